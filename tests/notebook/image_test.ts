import assert from "node:assert/strict";
import { checkImage, crc32, encodePng } from "../../lib/notebook/mod.ts";

async function inflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("crc32 matches PNG's chunk CRCs", () => {
  assert.equal(crc32(new TextEncoder().encode("IEND")), 0xae426082);
});

Deno.test("encodePng: signature, IHDR, IDAT that inflates to filtered scanlines, IEND", async () => {
  const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 10);
  const png = await encodePng({ width: 2, height: 3, channels: 4, data });
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  const view = new DataView(png.buffer);
  const chunks: [string, Uint8Array][] = [];
  for (let at = 8; at < png.length;) {
    const length = view.getUint32(at);
    const type = new TextDecoder().decode(png.subarray(at + 4, at + 8));
    const body = png.subarray(at + 8, at + 8 + length);
    assert.equal(view.getUint32(at + 8 + length), crc32(png.subarray(at + 4, at + 8 + length)));
    chunks.push([type, body]);
    at += 12 + length;
  }
  assert.deepEqual(chunks.map(([t]) => t), ["IHDR", "IDAT", "IEND"]);
  const ihdr = new DataView(chunks[0][1].buffer, chunks[0][1].byteOffset);
  assert.deepEqual([ihdr.getUint32(0), ihdr.getUint32(4), chunks[0][1][8], chunks[0][1][9]], [
    2,
    3,
    8,
    6,
  ]);
  const raw = await inflate(chunks[1][1]);
  assert.equal(raw.length, 3 * (1 + 8));
  assert.deepEqual([...raw.subarray(9, 18)], [0, ...data.subarray(8, 16)]);
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
