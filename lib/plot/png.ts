/**
 * PNG encoding with no native code: zlib through the runtime's `CompressionStream("deflate")`,
 * per-row adaptive filtering, and an exact palette (8-bit indexed colour) when an opaque image
 * has at most 256 colours, which charts often do, or a quantized one on request (for notebook
 * outputs, which must stay small). Used for every rendered plot and raster image.
 *
 * @module
 */

/** A raster image: `width * height * channels` bytes, row-major, 8 bits per channel. */
export interface RasterImage {
  width: number;
  height: number;
  /** 1 = gray, 3 = RGB, 4 = RGBA. */
  channels: 1 | 3 | 4;
  data: Uint8Array;
}

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const COLOR_TYPE = { 1: 0, 3: 2, 4: 6 } as const;
const INDEXED = 3;

let crcTable: Uint32Array | undefined;

/**
 * CRC-32 (IEEE, as PNG chunks use) of `bytes`.
 *
 * @example
 * ```ts
 * crc32(new TextEncoder().encode("IEND")); // 0xae426082
 * ```
 */
export function crc32(bytes: Uint8Array): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (const byte of bytes) crc = crcTable[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * Checks an image's shape, throwing a one-line error on a bad one.
 *
 * @example
 * ```ts
 * checkImage({ width: 2, height: 1, channels: 1, data: new Uint8Array(2) });
 * ```
 */
export function checkImage(image: RasterImage): void {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`image size must be positive integers, got ${width}×${height}`);
  }
  if (!(channels in COLOR_TYPE)) {
    throw new RangeError(`image channels must be 1, 3 or 4, got ${channels}`);
  }
  if (data.length !== width * height * channels) {
    throw new RangeError(
      `image data holds ${data.length} bytes; ${width}×${height}×${channels} needs ` +
        `${width * height * channels}`,
    );
  }
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

async function zlib(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** RGB pixels of an opaque image (RGBA with every alpha 255), or undefined. */
function opaqueRgb(image: RasterImage): Uint8Array | undefined {
  if (image.channels === 3) return image.data;
  if (image.channels !== 4) return undefined;
  const { data } = image;
  const rgb = new Uint8Array((data.length / 4) * 3);
  for (let i = 0, j = 0; i < data.length; i += 4, j += 3) {
    if (data[i + 3] !== 255) return undefined;
    rgb[j] = data[i];
    rgb[j + 1] = data[i + 1];
    rgb[j + 2] = data[i + 2];
  }
  return rgb;
}

/**
 * Palette and indices of RGB pixels: exact when they have at most 256 colours; else, with
 * `quantize`, the 256 most frequent colours, every other pixel mapped to the nearest of them
 * (in a chart those are the fills and lines; the rest are anti-aliased edge blends); else
 * undefined.
 */
function indexed(
  rgb: Uint8Array,
  quantize: boolean,
): { palette: Uint8Array; indices: Uint8Array } | undefined {
  const count = new Map<number, number>();
  const keys = new Uint32Array(rgb.length / 3);
  for (let p = 0; p < keys.length; p++) {
    const key = (rgb[3 * p] << 16) | (rgb[3 * p + 1] << 8) | rgb[3 * p + 2];
    keys[p] = key;
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  if (count.size > 256 && !quantize) return undefined;
  const kept = [...count.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 256)
    .map(([key]) => key);
  const index = new Map(kept.map((key, k) => [key, k]));
  const channel = (key: number, shift: number) => (key >> shift) & 255;
  for (const key of count.keys()) {
    if (index.has(key)) continue;
    let best = 0, bestDistance = Infinity;
    kept.forEach((other, k) => {
      const d = (channel(key, 16) - channel(other, 16)) ** 2 +
        (channel(key, 8) - channel(other, 8)) ** 2 + (channel(key, 0) - channel(other, 0)) ** 2;
      if (d < bestDistance) [best, bestDistance] = [k, d];
    });
    index.set(key, best);
  }
  const indices = Uint8Array.from(keys, (key) => index.get(key)!);
  const palette = new Uint8Array(3 * kept.length);
  kept.forEach((key, k) =>
    palette.set([channel(key, 16), channel(key, 8), channel(key, 0)], 3 * k)
  );
  return { palette, indices };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Scanlines with a filter byte each: the filter (none, sub, up, average, Paeth) that minimises
 * the sum of absolute filtered bytes, the usual heuristic; `none` throughout when `adaptive` is
 * false (as for palette images).
 */
function filterRows(
  pixels: Uint8Array,
  stride: number,
  bpp: number,
  adaptive: boolean,
): Uint8Array {
  const height = pixels.length / stride;
  const out = new Uint8Array(height * (stride + 1));
  const trial = new Uint8Array(stride);
  const zero = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = pixels.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : zero;
    let best = 0, bestCost = Infinity;
    for (let filter = 0; filter < (adaptive ? 5 : 1); filter++) {
      let cost = 0;
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? row[i - bpp] : 0, b = up[i], c = i >= bpp ? up[i - bpp] : 0;
        const predicted = filter === 0
          ? 0
          : filter === 1
          ? a
          : filter === 2
          ? b
          : filter === 3
          ? (a + b) >> 1
          : paeth(a, b, c);
        const value = (row[i] - predicted) & 255;
        trial[i] = value;
        cost += value < 128 ? value : 256 - value;
      }
      if (cost < bestCost) {
        bestCost = cost;
        best = filter;
        out[y * (stride + 1)] = filter;
        out.set(trial, y * (stride + 1) + 1);
      }
    }
    out[y * (stride + 1)] = best;
  }
  return out;
}

/**
 * Encodes an image as PNG: 8-bit indexed colour when it is opaque with at most 256 colours
 * (or, with `quantize`, any opaque image, reduced to its 256 most frequent colours: lossy at
 * anti-aliased edges only), else gray, RGB (opaque) or RGBA; rows unfiltered or adaptively
 * filtered, whichever compresses smaller.
 *
 * @example
 * ```ts
 * const png = await encodePng({ width: 1, height: 1, channels: 1, data: new Uint8Array([0]) });
 * ```
 */
export async function encodePng(
  image: RasterImage,
  options: { quantize?: boolean } = {},
): Promise<Uint8Array> {
  checkImage(image);
  const { width, height } = image;
  const rgb = opaqueRgb(image);
  const palette = rgb && indexed(rgb, options.quantize ?? false);
  let colorType: number, bpp: number, pixels: Uint8Array;
  if (palette) [colorType, bpp, pixels] = [INDEXED, 1, palette.indices];
  else if (rgb) [colorType, bpp, pixels] = [COLOR_TYPE[3], 3, rgb];
  else [colorType, bpp, pixels] = [COLOR_TYPE[image.channels], image.channels, image.data];
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header[8] = 8;
  header[9] = colorType;
  const plain = await zlib(filterRows(pixels, width * bpp, bpp, false));
  const filtered = palette ? plain : await zlib(filterRows(pixels, width * bpp, bpp, true));
  const parts = [
    new Uint8Array(PNG_SIGNATURE),
    chunk("IHDR", header),
    ...(palette ? [chunk("PLTE", palette.palette)] : []),
    chunk("IDAT", filtered.length < plain.length ? filtered : plain),
    chunk("IEND", new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
