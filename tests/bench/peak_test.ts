import assert from "node:assert/strict";
import { measurePeak, rooflinePoint } from "../../lib/bench/mod.ts";
import { gpu } from "../helpers/check.ts";

Deno.test("rooflinePoint: intensity and achieved FLOP/s from bench rows", () => {
  const matmul = rooflinePoint({
    name: "matmul",
    label: "256",
    ms: 2,
    fields: { m: 256, n: 256, k: 256 },
  })!;
  assert.equal(matmul.intensity, (2 * 256 ** 3) / (4 * 3 * 256 ** 2));
  assert.equal(matmul.flops, (2 * 256 ** 3) / 0.002);
  const attention = rooflinePoint({
    name: "attention",
    label: "a",
    ms: 10,
    fields: { b: 1, h: 1, t: 4, d: 2, gflops: 1 },
  })!;
  assert.equal(attention.flops, 1e9);
  assert.equal(attention.intensity, 1e9 * 0.01 / (8 * 8 * 4));
  const layernorm = rooflinePoint({
    name: "layernorm",
    label: "l",
    ms: 1,
    fields: { rows: 2, width: 4, pass: "forward" },
  })!;
  assert.equal(layernorm.intensity, (8 * 8) / (2 * 8 * 4));
  assert.equal(rooflinePoint({ name: "dispatch", label: "d", ms: 1, fields: {} }), undefined);
  assert.throws(
    () => rooflinePoint({ name: "matmul", label: "x", ms: 1, fields: { m: 1 } }),
    /bench row "matmul x" has no numeric field "n"/,
  );
});

Deno.test("measurePeak: positive FLOP/s and bandwidth, consistent ridge", async () => {
  const peak = await measurePeak(await gpu(), { targetMs: 20, repeats: 1 });
  assert.ok(peak.flops > 1e8 && Number.isFinite(peak.flops), `${peak.flops} FLOP/s`);
  assert.ok(peak.bandwidth > 1e7 && Number.isFinite(peak.bandwidth), `${peak.bandwidth} B/s`);
  assert.equal(peak.ridge, peak.flops / peak.bandwidth);
});
