import assert from "node:assert/strict";
import { lecunShape, parameterLayout } from "../../kernels/lecun/architecture.ts";
import { initParameters } from "../../lib/lecun/init.ts";

Deno.test("initialization equals PyTorch's after torch.manual_seed(1337)", () => {
  const shape = lecunShape(1);
  const p = initParameters(shape, 1337, -1);
  const L = parameterLayout(shape);
  // PyTorch 1.13: torch.manual_seed(1337); (torch.rand(12, 1, 5, 5) - 0.5) * 2 * 2.4 / 25**0.5
  assert.deepEqual(Array.from(p.subarray(0, 3)), [
    -0.40481558442115784,
    -0.0042079356499016285,
    0.11817421764135361,
  ]);
  for (const [name, fanIn] of [["h1w", 25], ["h2w", 200], ["h3w", 192], ["outw", 30]] as const) {
    const { offset, shape: dims } = L[name];
    const values = p.subarray(offset, offset + dims.reduce((a, b) => a * b, 1));
    const bound = 2.4 / Math.sqrt(fanIn);
    assert.ok(values.every((v) => Math.abs(v) <= bound), `${name} within ±${bound}`);
    assert.ok(Math.max(...values) > 0.9 * bound && Math.min(...values) < -0.9 * bound);
  }
  assert.ok(p.subarray(L.h1b.offset, L.h1b.offset + 768).every((v) => v === 0));
  assert.deepEqual(Array.from(p.subarray(L.outb.offset)), new Array(10).fill(-1));
  assert.notDeepEqual(initParameters(shape, 1338, -1), p);
  assert.ok(initParameters(shape, 1, 0).subarray(L.outb.offset).every((v) => v === 0));
});
