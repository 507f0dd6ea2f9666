/**
 * Raster images for notebooks: a small pixel-array type, a PNG encoder (zlib through the
 * runtime's `CompressionStream("deflate")`, no native code), and a grid of 16×16 digits.
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

/**
 * Encodes an image as PNG (8-bit, no filtering, zlib-compressed).
 *
 * @example
 * ```ts
 * const png = await encodePng({ width: 1, height: 1, channels: 1, data: new Uint8Array([0]) });
 * ```
 */
export async function encodePng(image: RasterImage): Promise<Uint8Array> {
  checkImage(image);
  const { width, height, channels, data } = image;
  const stride = width * channels;
  const raw = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    // Each scanline starts with its filter type, 0 (none).
    raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header[8] = 8;
  header[9] = COLOR_TYPE[channels];
  const parts = [
    new Uint8Array(PNG_SIGNATURE),
    chunk("IHDR", header),
    chunk("IDAT", await zlib(raw)),
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

/** Layout of {@link digitGrid}. */
export interface DigitGridOptions {
  /** Digits drawn (default: all, at most 100). */
  count?: number;
  /** Digits per row (default 10). */
  columns?: number;
  /** Side of one digit in pixels (default 16). */
  side?: number;
  /** Each pixel drawn as a `scale`×`scale` block (default 3). */
  scale?: number;
  /** Gap between digits in output pixels (default 2). */
  gap?: number;
}

/**
 * A grid of square gray digits with values in [-1, 1] (the 1989 set's scaling): ink (+1)
 * black on white (-1), light gray gaps between digits.
 *
 * @example
 * ```ts
 * const { train } = await loadDigits1989();
 * const image = digitGrid(train.images, { count: 40, columns: 10 });
 * ```
 */
export function digitGrid(images: Float32Array, options: DigitGridOptions = {}): RasterImage {
  const side = options.side ?? 16;
  const pixels = side * side;
  const available = Math.floor(images.length / pixels);
  const count = options.count ?? Math.min(available, 100);
  const columns = Math.min(options.columns ?? 10, count);
  const scale = options.scale ?? 3;
  const gap = options.gap ?? 2;
  if (!(Number.isInteger(count) && count >= 1 && count <= available)) {
    throw new RangeError(`digit grid: count must be 1 to ${available}, got ${count}`);
  }
  for (const [name, value] of [["columns", columns], ["scale", scale], ["side", side]] as const) {
    if (!(Number.isInteger(value) && value >= 1)) {
      throw new RangeError(`digit grid: ${name} must be a positive integer, got ${value}`);
    }
  }
  const rows = Math.ceil(count / columns);
  const cell = side * scale + gap;
  const width = columns * cell + gap;
  const height = rows * cell + gap;
  const data = new Uint8Array(width * height).fill(200);
  for (let d = 0; d < count; d++) {
    const x0 = gap + (d % columns) * cell;
    const y0 = gap + Math.floor(d / columns) * cell;
    for (let y = 0; y < side * scale; y++) {
      for (let x = 0; x < side * scale; x++) {
        const v = images[d * pixels + Math.floor(y / scale) * side + Math.floor(x / scale)];
        const ink = Math.min(1, Math.max(0, (v + 1) / 2));
        data[(y0 + y) * width + x0 + x] = Math.round(255 * (1 - ink));
      }
    }
  }
  return { width, height, channels: 1, data };
}
