/**
 * Chinchilla's approach 1: the envelope of training curves. At each compute budget, the run with
 * the lowest loss (interpolated in log compute along its curve) gives N_opt(C); D_opt = C/(6N).
 * Power laws through the envelope give the compute-optimal exponents.
 *
 * @module
 */

import { type ComputeOptimalLaw, fitComputeOptimalLaw } from "./compute_optimal.ts";

/** One point of one run's training curve. */
export interface TrainingCurvePoint {
  /** Run identifier; points of one run share it. */
  run: string;
  /** Parameters of the run's model. */
  n: number;
  /** Compute spent so far (FLOPs). */
  flops: number;
  /** Loss at that point. */
  loss: number;
}

/** The best run at one budget. */
export interface EnvelopePoint {
  /** Compute budget (FLOPs). */
  flops: number;
  /** Run with the lowest loss at this budget. */
  run: string;
  /** Its parameters. */
  n: number;
  /** C/(6·n). */
  d: number;
  /** Its loss at this budget. */
  loss: number;
}

/** The result of {@link envelopeApproach}. */
export interface EnvelopeResult {
  /** The lowest-loss run at each budget. */
  envelope: EnvelopePoint[];
  /** Power laws through the envelope. */
  law: ComputeOptimalLaw;
}

interface Curve {
  run: string;
  n: number;
  logC: number[];
  loss: number[];
}

function lossAt(curve: Curve, logC: number): number {
  const { logC: xs, loss } = curve;
  if (logC < xs[0] || logC > xs[xs.length - 1]) return Infinity;
  if (xs.length === 1) return loss[0];
  let hi = 1;
  while (hi < xs.length - 1 && xs[hi] < logC) hi++;
  const lo = hi - 1;
  const t = xs[hi] === xs[lo] ? 0 : (logC - xs[lo]) / (xs[hi] - xs[lo]);
  return loss[lo] + t * (loss[hi] - loss[lo]);
}

/**
 * Runs approach 1 over `budgets` log-spaced compute budgets (default 100) spanning the curves.
 *
 * @example
 * ```ts
 * const result = envelopeApproach(points); // points: { run, n, flops, loss }[] from several runs
 * result.law.a; // N_opt ∝ C^a
 * ```
 */
export function envelopeApproach(
  points: readonly TrainingCurvePoint[],
  options: { budgets?: number } = {},
): EnvelopeResult {
  const budgetCount = options.budgets ?? 100;
  if (!Number.isInteger(budgetCount) || budgetCount < 2) {
    throw new RangeError(`budgets must be an integer ≥ 2, got ${budgetCount}`);
  }
  const byRun = new Map<string, { n: number; rows: TrainingCurvePoint[] }>();
  points.forEach((point, i) => {
    for (const key of ["n", "flops", "loss"] as const) {
      if (!(point[key] > 0) || !Number.isFinite(point[key])) {
        throw new RangeError(`point ${i + 1} has ${key} = ${point[key]}; it must be positive`);
      }
    }
    const entry = byRun.get(point.run) ?? { n: point.n, rows: [] };
    if (entry.n !== point.n) {
      throw new RangeError(`run "${point.run}" has two sizes, ${entry.n} and ${point.n}`);
    }
    entry.rows.push(point);
    byRun.set(point.run, entry);
  });
  if (new Set([...byRun.values()].map((entry) => entry.n)).size < 2) {
    throw new RangeError("the envelope needs training curves of at least two model sizes");
  }
  const curves: Curve[] = [...byRun].map(([run, { n, rows }]) => {
    const sorted = [...rows].sort((p, q) => p.flops - q.flops);
    return { run, n, logC: sorted.map((p) => Math.log(p.flops)), loss: sorted.map((p) => p.loss) };
  });
  const lowest = Math.min(...curves.map((c) => c.logC[0]));
  const highest = Math.max(...curves.map((c) => c.logC[c.logC.length - 1]));
  const envelope: EnvelopePoint[] = [];
  for (let k = 0; k < budgetCount; k++) {
    const logC = k === budgetCount - 1
      ? highest
      : lowest + (highest - lowest) * k / (budgetCount - 1);
    let best: Curve | undefined;
    let bestLoss = Infinity;
    for (const curve of curves) {
      const loss = lossAt(curve, logC);
      if (loss < bestLoss) [best, bestLoss] = [curve, loss];
    }
    if (best === undefined) continue;
    const flops = Math.exp(logC);
    envelope.push({ flops, run: best.run, n: best.n, d: flops / (6 * best.n), loss: bestLoss });
  }
  return { envelope, law: fitComputeOptimalLaw(envelope) };
}
