import assert from "node:assert/strict";
import { augmentShift, rollImage } from "../../lib/lecun/noise.ts";
import { dropoutKeeps } from "../../lib/random/counter.ts";
import { hash32, noiseUniform } from "../../lib/random/counter.ts";

Deno.test("noise is a pure function of seed, step and unit", () => {
  assert.equal(hash32(0), 0);
  assert.notEqual(hash32(1), hash32(2));
  assert.equal(noiseUniform(7, 3, 11, 5), noiseUniform(7, 3, 11, 5));
  assert.notEqual(noiseUniform(7, 3, 11, 5), noiseUniform(8, 3, 11, 5));
  const shifts = new Map<string, number>();
  let kept = 0;
  for (let t = 0; t < 9000; t++) {
    const key = augmentShift(1337, t).join(",");
    shifts.set(key, (shifts.get(key) ?? 0) + 1);
    if (dropoutKeeps(1337, t, 3, 0.25)) kept++;
  }
  assert.equal(shifts.size, 9, "all nine shifts in {-1,0,1}² occur");
  for (const n of shifts.values()) assert.ok(n > 800 && n < 1200, `shift count ${n}`);
  assert.ok(Math.abs(kept / 9000 - 0.75) < 0.02, `kept ${kept / 9000}`);
});

Deno.test("rollImage wraps around like torch.roll", () => {
  const image = Float32Array.from({ length: 256 }, (_, i) => i);
  const down = rollImage(image, 1, 0);
  assert.equal(down[16], 0);
  assert.equal(down[0], 240);
  const left = rollImage(image, 0, -1);
  assert.equal(left[0], 1);
  assert.equal(left[15], 0);
  assert.deepEqual(rollImage(rollImage(image, 1, -1), -1, 1), image);
});
