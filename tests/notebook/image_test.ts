import assert from "node:assert/strict";
import { checkImage, crc32, encodePng, type RasterImage } from "../../lib/notebook/mod.ts";

async function inflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Chunks of a PNG, each CRC checked. */
function chunks(png: Uint8Array): Map<string, Uint8Array> {
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  const view = new DataView(png.buffer, png.byteOffset);
  const found = new Map<string, Uint8Array>();
  for (let at = 8; at < png.length;) {
    const length = view.getUint32(at);
    const type = new TextDecoder().decode(png.subarray(at + 4, at + 8));
    assert.equal(view.getUint32(at + 8 + length), crc32(png.subarray(at + 4, at + 8 + length)));
    found.set(type, png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  assert.deepEqual([...found.keys()].at(-1), "IEND");
  return found;
}

/** Decodes what encodePng writes (8-bit gray, RGB, RGBA or indexed) back to RGBA-or-less pixels. */
async function decode(png: Uint8Array): Promise<{ colorType: number; pixels: Uint8Array }> {
  const parts = chunks(png);
  const ihdr = new DataView(parts.get("IHDR")!.buffer, parts.get("IHDR")!.byteOffset);
  const [width, height, colorType] = [ihdr.getUint32(0), ihdr.getUint32(4), ihdr.getUint8(9)];
  const bpp = { 0: 1, 2: 3, 3: 1, 6: 4 }[colorType]!;
  const raw = await inflate(parts.get("IDAT")!);
  const stride = width * bpp;
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i];
      const a = i >= bpp ? out[y * stride + i - bpp] : 0;
      const b = y > 0 ? out[(y - 1) * stride + i] : 0;
      const c = i >= bpp && y > 0 ? out[(y - 1) * stride + i - bpp] : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
        ? a
        : Math.abs(p - b) <= Math.abs(p - c)
        ? b
        : c;
      const predicted = [0, a, b, (a + b) >> 1, paeth][filter];
      out[y * stride + i] = (x + predicted) & 255;
    }
  }
  if (colorType !== 3) return { colorType, pixels: out };
  const palette = parts.get("PLTE")!;
  const rgb = new Uint8Array(out.length * 3);
  out.forEach((k, p) => rgb.set(palette.subarray(3 * k, 3 * k + 3), 3 * p));
  return { colorType, pixels: rgb };
}

Deno.test("crc32 matches PNG's chunk CRCs", () => {
  assert.equal(crc32(new TextEncoder().encode("IEND")), 0xae426082);
});

Deno.test("encodePng: lossless round trips in gray, RGBA, RGB and exact palettes", async () => {
  const gray: RasterImage = {
    width: 5,
    height: 4,
    channels: 1,
    data: Uint8Array.from({ length: 20 }, (_, i) => i * 13),
  };
  const rgba: RasterImage = {
    width: 2,
    height: 3,
    channels: 4,
    data: Uint8Array.from({ length: 24 }, (_, i) => i * 10),
  };
  // An opaque gradient of 600 colours: too many for a palette, stored as RGB.
  const many = Uint8Array.from(
    { length: 30 * 20 * 4 },
    (_, i) => i % 4 === 3 ? 255 : i % 4 === 0 ? (i >> 2) % 256 : i % 4 === 1 ? (i >> 10) * 40 : 7,
  );
  // An opaque chart-like image of 3 colours: stored indexed.
  const few = Uint8Array.from(
    { length: 8 * 8 * 4 },
    (_, i) => i % 4 === 3 ? 255 : [[255, 255, 255], [76, 120, 168], [0, 0, 0]][(i >> 2) % 3][i % 4],
  );
  const rgbOf = (data: Uint8Array) => data.filter((_, i) => i % 4 !== 3);
  const cases: [RasterImage, number, Uint8Array][] = [
    [gray, 0, gray.data],
    [rgba, 6, rgba.data],
    [{ width: 30, height: 20, channels: 4, data: many }, 2, rgbOf(many)],
    [{ width: 8, height: 8, channels: 4, data: few }, 3, rgbOf(few)],
  ];
  for (const [image, colorType, pixels] of cases) {
    const decoded = await decode(await encodePng(image));
    assert.equal(decoded.colorType, colorType);
    assert.deepEqual(decoded.pixels, pixels);
  }
});

Deno.test("encodePng quantize: 256 most frequent colours, the rest mapped to the nearest", async () => {
  // 256 colours on three rows each, and one pixel of a 257th colour (an anti-aliased blend).
  const width = 257, height = 3;
  const colour = (x: number) => [x % 256, 255 - (x % 256), 128];
  const rare = [1, 1, 1];
  const data = new Uint8Array(width * height * 4);
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      data.set([...(x === 256 && y === 0 ? rare : colour(x)), 255], 4 * (y * width + x));
    }
  }
  const image = { width, height, channels: 4 as const, data };
  assert.equal((await decode(await encodePng(image))).colorType, 2, "lossless by default");
  const { colorType, pixels } = await decode(await encodePng(image, { quantize: true }));
  assert.equal(colorType, 3);
  const distance = (c: number[]) => c.reduce((d, v, k) => d + (v - rare[k]) ** 2, 0);
  const nearest = Array.from({ length: 256 }, (_, x) => colour(x))
    .reduce((best, c) => distance(c) < distance(best) ? c : best);
  assert.deepEqual([...pixels.subarray(256 * 3, 257 * 3)], nearest, "the blend → its nearest");
  assert.deepEqual([...pixels.subarray(width * 3 + 5 * 3, width * 3 + 6 * 3)], colour(5));
});

Deno.test("checkImage: one-line errors for bad shapes", () => {
  assert.throws(
    () => checkImage({ width: 2, height: 2, channels: 1, data: new Uint8Array(3) }),
    /holds 3 bytes; 2×2×1 needs 4/,
  );
  assert.throws(
    () => checkImage({ width: 0, height: 2, channels: 1, data: new Uint8Array(0) }),
    /positive integers/,
  );
  assert.throws(
    () => checkImage({ width: 1, height: 1, channels: 2 as 1, data: new Uint8Array(2) }),
    /channels must be 1, 3 or 4/,
  );
});
