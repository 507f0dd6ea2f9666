/**
 * Raster images for notebooks: a grid of 16×16 digits (the image type and its PNG encoder are
 * the plot layer's, re-exported here).
 *
 * @module
 */

import type { RasterImage } from "../plot/png.ts";

export { checkImage, crc32, encodePng, type RasterImage } from "../plot/png.ts";

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
