/**
 * Matmul benchmarks: square products (256 to 2048, and 4096 on a GPU) and the three products
 * of a transformer MLP layer (`[rows, 384] @ [384, 1536]` forward through a transposed weight,
 * and both backward products), in GFLOP/s beside the reference library when there is one.
 *
 * @module
 */
import { chooseMatmulTiling } from "../../kernels/matmul.ts";
import { matmul } from "../ops/matmul.ts";
import { describeTiling } from "../../kernels/matmul_wgsl.ts";
import { randn } from "../tensor/create.ts";
import { type Tensor, tidy } from "../tensor/tensor.ts";
import { transpose } from "../ops/layout.ts";
import { type MatmulShape, shapeKey } from "./reference.ts";
import type { BenchContext, BenchResult, BenchSuite } from "./suite.ts";
import { measure } from "./timing.ts";

/** A benchmarked product: its shape and what it stands for. */
export interface MatmulProblem extends MatmulShape {
  /** `square` or `transformer`. */
  family: string;
  /** A short description for the table. */
  label: string;
}

/** Transformer width and MLP hidden width (GPT-2 small's head count, a 384-wide model). */
const WIDTH = 384, HIDDEN = 4 * 384;

/**
 * The products the matmul suite measures: smaller on CPU adapters.
 *
 * @example
 * ```ts
 * matmulProblems(true).map((p) => p.label);
 * ```
 */
export function matmulProblems(cpu: boolean): MatmulProblem[] {
  const sizes = cpu ? [256, 512, 1024, 2048] : [256, 512, 1024, 2048, 4096];
  const square = sizes.map((s): MatmulProblem => ({
    m: s,
    n: s,
    k: s,
    layout: "nn",
    family: "square",
    label: `${s}x${s}x${s}`,
  }));
  const rows = cpu ? 2048 : 8192;
  const mlp: MatmulProblem[] = [
    {
      m: rows,
      n: HIDDEN,
      k: WIDTH,
      layout: "nt",
      family: "transformer",
      label: `x @ W^T [${rows}, ${WIDTH}] @ [${WIDTH}, ${HIDDEN}]`,
    },
    {
      m: rows,
      n: WIDTH,
      k: HIDDEN,
      layout: "nn",
      family: "transformer",
      label: `dY @ W [${rows}, ${HIDDEN}] @ [${HIDDEN}, ${WIDTH}]`,
    },
    {
      m: HIDDEN,
      n: WIDTH,
      k: rows,
      layout: "tn",
      family: "transformer",
      label: `dY^T @ x [${HIDDEN}, ${rows}] @ [${rows}, ${WIDTH}]`,
    },
  ];
  return [...square, ...mlp];
}

/** A `[rows, cols]` operand, stored transposed (as a `transpose()` view) when asked. */
function operand(rows: number, cols: number, transposed: boolean, seed: number): Tensor {
  if (!transposed) return randn([rows, cols], { seed });
  const stored = randn([cols, rows], { seed });
  const view = transpose(stored);
  stored.dispose();
  return view;
}

async function runProblem(context: BenchContext, p: MatmulProblem): Promise<BenchResult> {
  const a = operand(p.m, p.k, p.layout[0] === "t", 1);
  const b = operand(p.k, p.n, p.layout[1] === "t", 2);
  try {
    const timing = await measure(context.gpu, () => tidy(() => void matmul(a, b)));
    const gflops = (2 * p.m * p.n * p.k) / timing.ms / 1e6;
    const tiling = describeTiling(chooseMatmulTiling(context.gpu, p.m, p.n, 1));
    const refMs = context.reference?.ms.get(shapeKey(p));
    const fields: Record<string, number | string> = {
      m: p.m,
      n: p.n,
      k: p.k,
      layout: p.layout,
      family: p.family,
      gflops,
      tiling,
    };
    let ratio: number | undefined;
    if (refMs !== undefined && context.reference) {
      const refGflops = (2 * p.m * p.n * p.k) / refMs / 1e6;
      ratio = gflops / refGflops;
      Object.assign(fields, {
        reference: context.reference.library,
        reference_device: context.reference.device,
        reference_ms: refMs,
        reference_gflops: refGflops,
        ratio,
      });
    }
    return {
      name: "matmul",
      label: `${p.label} ${p.layout}`,
      ms: timing.ms,
      rate: { value: gflops, unit: "GFLOP/s" },
      ratio,
      note: tiling,
      fields,
    };
  } finally {
    a.dispose();
    b.dispose();
  }
}

/** GFLOP/s of square and transformer-shaped products. */
export const matmulSuite: BenchSuite = {
  name: "matmul",
  description: "f32 matmul GFLOP/s, square and transformer-shaped, beside a reference library",
  async *run(context) {
    for (const p of matmulProblems(context.cpu)) yield await runProblem(context, p);
  },
};
