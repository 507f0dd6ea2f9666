import assert from "node:assert/strict";
import { renderPlotSvg, rooflineSpec } from "../../lib/plot/mod.ts";

const ROOF = { flops: 40e9, bandwidth: 2e9 };
const POINTS = [
  { name: "matmul", label: "256x256x256", intensity: 42.7, flops: 4.4e9 },
  { name: "layernorm", label: "[8192, 384]", intensity: 1, flops: 1.1e9 },
];

Deno.test("rooflineSpec: the roof bends at the ridge, points carry their fraction of it", async () => {
  const spec = rooflineSpec(POINTS, ROOF, { adapter: "lavapipe" }) as unknown as {
    layer: { data: { values: Record<string, number>[] } }[];
  };
  const roof = spec.layer[0].data.values;
  const ridge = ROOF.flops / ROOF.bandwidth;
  for (const r of roof) {
    assert.ok(Math.abs(r.gflops - Math.min(40, 2 * r.intensity)) < 1e-9);
  }
  assert.ok(roof[0].intensity < 1 && roof.at(-1)!.intensity > ridge * 2);
  const points = spec.layer[2].data.values;
  assert.ok(Math.abs(points[0].fraction - 4.4 / 40) < 1e-12);
  assert.ok(Math.abs(points[1].fraction - 1.1 / 2) < 1e-12);
  const { svg } = await renderPlotSvg(spec as never);
  assert.match(svg, /lavapipe: 40.0 GFLOP\/s, 2.00 GB\/s/);
});

Deno.test("rooflineSpec: one-line errors", () => {
  assert.throws(() => rooflineSpec([], ROOF), /roofline: no rows to plot/);
  assert.throws(() => rooflineSpec(POINTS, { flops: 0, bandwidth: 1 }), /must be positive/);
});
