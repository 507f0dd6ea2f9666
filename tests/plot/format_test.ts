import assert from "node:assert/strict";
import {
  compactPlotData,
  formatCount,
  formatNumber,
  logTicks,
  naturalOrder,
  orderByValue,
  POWER_OF_TEN_LABELS,
  renderPlotSvg,
  scalingPlotSpec,
  superscript,
  VEGA_LITE_SCHEMA,
} from "../../lib/plot/mod.ts";
import { countItems } from "./svg_marks.ts";

Deno.test("formatNumber: three significant digits, powers of ten written out", () => {
  assert.equal(formatNumber(1.831e-13), "1.83×10⁻¹³");
  assert.equal(formatNumber(2.041e9), "2.04×10⁹");
  assert.equal(formatNumber(2e9), "2×10⁹");
  assert.equal(formatNumber(1e5), "10⁵");
  assert.equal(formatNumber(477.83), "478");
  assert.equal(formatNumber(2143), "2140");
  assert.equal(formatNumber(2.3), "2.30");
  assert.equal(formatNumber(0.05636), "0.0564");
  assert.equal(formatNumber(-0.35123), "−0.351");
  assert.equal(formatNumber(0), "0");
  assert.equal(formatNumber(1.3e10, 2), "1.3×10¹⁰");
  assert.equal(superscript(-13), "⁻¹³");
  assert.equal(formatCount(39520), "39,520");
});

Deno.test("orders: numbers inside labels by value, budgets by FLOPs", () => {
  assert.deepEqual(naturalOrder(["1×32", "1×8", "2×16", "1×8"]), ["1×8", "1×32", "2×16"]);
  assert.deepEqual(naturalOrder(["N = 3,312", "N = 888", "N = 25,472"]), [
    "N = 888",
    "N = 3,312",
    "N = 25,472",
  ]);
  const budgets = [1.3e10, 2e9, 3.2e10, 5e9].map((c) => [formatNumber(c, 2), c] as const);
  assert.deepEqual(orderByValue(budgets), ["2×10⁹", "5×10⁹", "1.3×10¹⁰", "3.2×10¹⁰"]);
  assert.deepEqual(logTicks(0.03, 12), [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10]);
  assert.throws(() => logTicks(0, 1), /0 < low ≤ high/);
});

Deno.test("tick labels: 1, 2 and 5 times powers of ten, others blank", async () => {
  const spec = {
    $schema: VEGA_LITE_SCHEMA,
    data: { values: [{ x: 1e9, y: 1 }, { x: 2e11, y: 2 }] },
    mark: "point",
    encoding: {
      x: {
        field: "x",
        type: "quantitative",
        scale: { type: "log" },
        axis: { labelExpr: POWER_OF_TEN_LABELS },
      },
      y: { field: "y", type: "quantitative" },
    },
  };
  const { svg } = await renderPlotSvg(spec as never);
  const labels = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  for (const label of ["10⁹", "2×10⁹", "5×10⁹", "10¹⁰", "10¹¹", "2×10¹¹"]) {
    assert.ok(labels.includes(label), `${label} in ${labels.join(" ")}`);
  }
  assert.ok(!labels.some((l) => l.startsWith("3×")), "no label at 3×10ⁿ");
});

Deno.test("compactPlotData: inline rows as CSV at 4 digits, drawing the same marks", async () => {
  const rows = [1e3, 1e4, 1e5].map((n, i) => ({
    n,
    loss: 3.14159265 - i / 7,
    model: `m${i}`,
    ok: true,
  }));
  const spec = scalingPlotSpec(rows, { x: "n", y: "loss", color: { field: "model" } });
  const small = compactPlotData(spec) as unknown as {
    layer: { data: { values: unknown; format?: unknown } }[];
  };
  const data = small.layer[0].data;
  assert.equal(typeof data.values, "string");
  assert.match(data.values as string, /3\.142/);
  assert.deepEqual(data.format, {
    type: "csv",
    parse: { n: "number", loss: "number", ok: "boolean" },
  });
  assert.ok(JSON.stringify(small).length < JSON.stringify(spec).length);
  const before = await renderPlotSvg(spec);
  const after = await renderPlotSvg(small as never);
  assert.equal(countItems(after.svg, "symbol"), countItems(before.svg, "symbol"));
  assert.deepEqual(after.warnings, []);
  // Rows with missing text keep JSON (CSV cannot tell "" from null), numbers still rounded.
  const gaps = compactPlotData(
    { data: { values: [{ a: 1.234567, b: null }, { a: 2, b: "x" }] } } as never,
  );
  assert.deepEqual((gaps as unknown as { data: unknown }).data, {
    values: [{ a: 1.235, b: null }, { a: 2, b: "x" }],
  });
});
