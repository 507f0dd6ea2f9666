import { deepStrictEqual } from "node:assert/strict";
import { assertClose, gpu, randomArray } from "../helpers/check.ts";
import {
  declareRowKernel,
  planRowsFor,
  type RowPlan,
  rowPrelude,
  rowReduce,
  runRowKernel,
} from "../../kernels/rows.ts";
import * as T from "../../lib/ops/mod.ts";

const runtime = await gpu();

Deno.test("planRows: lanes grow with the row on a GPU, one lane per row on a CPU", () => {
  const pick = (p: RowPlan) => [p.width, p.units, p.lanes, p.groupSize, p.rowsPerGroup];
  deepStrictEqual(pick(planRowsFor(false, 16384, 384, true)), [4, 96, 8, 64, 8]);
  deepStrictEqual(pick(planRowsFor(false, 16384, 384, false)), [1, 384, 32, 64, 2]);
  deepStrictEqual(pick(planRowsFor(false, 10, 7, true)), [1, 7, 1, 64, 64]);
  deepStrictEqual(pick(planRowsFor(false, 3, 4096, true)), [4, 1024, 64, 64, 1]);
  deepStrictEqual(pick(planRowsFor(false, 2, 50257, true)), [1, 50257, 256, 256, 1]);
  deepStrictEqual(pick(planRowsFor(true, 16384, 384, true)), [4, 96, 1, 64, 64]);
  deepStrictEqual(pick(planRowsFor(true, 16384, 4096, true)), [4, 1024, 1, 64, 64]);
  // Very long rows: split over lanes on a CPU too.
  deepStrictEqual(pick(planRowsFor(true, 16384, 50257, true)), [1, 50257, 256, 256, 1]);
  // Too few rows to keep a CPU's cores busy one row per invocation: lanes as on a GPU.
  deepStrictEqual(pick(planRowsFor(true, 255, 4096, true)), [4, 1024, 64, 64, 1]);
});

/** Row sums and maxima through rowPrelude + rowReduce. */
const rowStatsKernel = declareRowKernel("row_stats_test", (plan) => {
  return {
    storage: [
      { name: "x", access: "read", type: plan.elem },
      { name: "out", access: "read_write", type: "f32" },
    ],
    uniforms: { rows: "u32", units: "u32" },
    body: /* wgsl */ `
${rowReduce(plan, "rowSum", "sum")}
${rowReduce(plan, "rowMax", "max")}
@compute @workgroup_size(${plan.groupSize})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${rowPrelude(plan)}
  var s = 0.0;
  var m = -3.4028235e38;
  for (var j = lane; j < units; j += ${plan.lanes}u) {
    s += hsum(x[row * p.units + j]);
    m = max(m, hmax(x[row * p.units + j]));
  }
  s = rowSum(s, lane, slot);
  m = rowMax(m, lane, slot);
  if (live && lane == 0u) { out[2u * row] = s; out[2u * row + 1u] = m; }
}`,
  };
});

/** Row sums and maxima of `x` [rows, n] with a given plan. */
function rowStats(plan: RowPlan, x: T.Tensor): T.Tensor {
  const out = T.empty([plan.rows, 2], "f32");
  runRowKernel(runtime, rowStatsKernel, plan, {}, { x: x.buffer, out: out.buffer }, {
    rows: plan.rows,
    units: plan.units,
  });
  return out;
}

function rowStatsReference(data: Float32Array, rows: number, n: number): Float64Array {
  const expected = new Float64Array(2 * rows);
  for (let r = 0; r < rows; r++) {
    const row = data.subarray(r * n, (r + 1) * n);
    expected[2 * r] = row.reduce((a, b) => a + b, 0);
    expected[2 * r + 1] = Math.max(...row);
  }
  return expected;
}

function manualPlan(rows: number, n: number, width: 1 | 4, lanes: number): RowPlan {
  const groupSize = Math.max(lanes, 64);
  return { rows, n, width, units: n / width, lanes, groupSize, rowsPerGroup: groupSize / lanes };
}

Deno.test("row reductions are right for every lane count and load width", async () => {
  const rows = 300, n = 12;
  const data = randomArray(rows * n, 5, -4, 4);
  const x = T.tensor(data, [rows, n]);
  for (const lanes of [1, 2, 8, 16, 32, 64, 256]) {
    for (const width of [1, 4] as const) {
      const out = rowStats(manualPlan(rows, n, width, lanes), x);
      assertClose(await out.toArray(), rowStatsReference(data, rows, n), {
        atol: 1e-5,
        what: `${lanes} lanes, width ${width}`,
      });
      out.dispose();
    }
  }
  x.dispose();
});

Deno.test("row launches fold past 65535 workgroups", async () => {
  // One row per workgroup: 70000 rows need more workgroups than one grid dimension holds.
  const rows = 70000, n = 4;
  const data = randomArray(rows * n, 6, -4, 4);
  const x = T.tensor(data, [rows, n]);
  const out = rowStats(manualPlan(rows, n, 4, 64), x);
  assertClose(await out.toArray(), rowStatsReference(data, rows, n), { atol: 1e-5 });
  for (const t of [x, out]) t.dispose();
});
