/**
 * Chinchilla's approach 2, IsoFLOP profiles: group runs by compute budget, fit a parabola of loss
 * in log₁₀ N per budget, take its minimum as N_opt(C) (D_opt = C/(6·N_opt)), then fit power laws
 * through the minima. Optionally, percentile bootstrap intervals from runs resampled with
 * replacement within each budget.
 *
 * @module
 */

import { bootstrapIntervals, type BootstrapOptions, type BootstrapSummary } from "./bootstrap.ts";
import { type ComputeOptimalLaw, fitComputeOptimalLaw } from "./compute_optimal.ts";
import { fitParabola } from "./regression.ts";

/** One finished run: its size, compute and final loss. */
export interface IsoFlopRun {
  /** Parameters. */
  n: number;
  /** Training FLOPs. */
  flops: number;
  /** Final loss. */
  loss: number;
}

/** How runs are grouped into budgets. */
export interface IsoFlopOptions {
  /**
   * Nominal budgets (FLOPs); each run joins the nearest one within `tolerance`. When absent,
   * runs are clustered: sorted by compute, a gap wider than `tolerance` starts a new budget
   * (the budget is then the geometric mean of its runs' compute).
   */
  budgets?: readonly number[];
  /** Distance in decades of compute (log₁₀) for grouping (default 0.05). */
  tolerance?: number;
  /** Fewest runs a profile needs (default 3, the parabola's parameters). */
  minRuns?: number;
  /**
   * Bootstrap intervals for the law and the tokens per parameter: the runs of each profile are
   * resampled with replacement within their budget and the parabolas and power laws refitted; a
   * resample in which some profile has fewer than `minRuns` distinct sizes or a parabola that
   * opens downward counts as failed.
   */
  bootstrap?: Omit<BootstrapOptions, "strata">;
}

/** One budget's profile and its parabola. */
export interface IsoFlopProfile {
  /** The budget C (FLOPs). */
  flops: number;
  /** Runs in the profile. */
  runs: IsoFlopRun[];
  /** loss ≈ c₀ + c₁·log₁₀N + c₂·(log₁₀N)². */
  parabola: [number, number, number];
  /** N at the parabola's minimum. */
  nOpt: number;
  /** C/(6·N_opt). */
  dOpt: number;
  /** The parabola's minimum loss. */
  lossOpt: number;
  /** True when N_opt lies within the profile's sampled model sizes. */
  interior: boolean;
}

/** The result of {@link isoFlopApproach}. */
export interface IsoFlopResult {
  /** Profiles with a minimum, by increasing budget. */
  profiles: IsoFlopProfile[];
  /** Budgets left out, with why. */
  skipped: { flops: number; runs: number; reason: string }[];
  /** Runs that joined no budget (only with explicit budgets). */
  unassigned: number;
  /** Power laws through the minima. */
  law: ComputeOptimalLaw;
  /** Geometric mean over the profiles of D_opt/N_opt, the tokens per parameter at the optimum. */
  tokensPerParameter: number;
  /**
   * With `options.bootstrap`: intervals for `a`, `b`, `nCoefficient`, `dCoefficient` and
   * `tokensPerParameter`.
   */
  bootstrap?: BootstrapSummary;
}

/** One budget's parabola and minimum, or why it has none. */
function fitProfile(
  flops: number,
  runs: IsoFlopRun[],
  minRuns: number,
): IsoFlopProfile | { reason: string } {
  const logN = runs.map((run) => Math.log10(run.n));
  const distinctSizes = new Set(logN).size;
  if (distinctSizes < minRuns) {
    return { reason: `${distinctSizes} distinct model sizes, fewer than ${minRuns}` };
  }
  const parabola = fitParabola(logN, runs.map((run) => run.loss));
  if (!(parabola[2] > 0)) return { reason: "the parabola opens downward, so it has no minimum" };
  const logNOpt = -parabola[1] / (2 * parabola[2]);
  const nOpt = 10 ** logNOpt;
  return {
    flops,
    runs,
    parabola,
    nOpt,
    dOpt: flops / (6 * nOpt),
    lossOpt: parabola[0] + parabola[1] * logNOpt + parabola[2] * logNOpt * logNOpt,
    interior: logNOpt >= Math.min(...logN) && logNOpt <= Math.max(...logN),
  };
}

/** The power laws and the geometric-mean tokens per parameter through the profiles' minima. */
function lawOf(profiles: readonly IsoFlopProfile[]) {
  const law = fitComputeOptimalLaw(
    profiles.map((p) => ({ flops: p.flops, n: p.nOpt, d: p.dOpt })),
  );
  const meanLogRatio = profiles.reduce((s, p) => s + Math.log(p.dOpt / p.nOpt), 0) /
    profiles.length;
  return { law, tokensPerParameter: Math.exp(meanLogRatio) };
}

/** Bootstrap of the law with the runs of each profile resampled within their budget. */
function bootstrapProfiles(
  profiles: readonly IsoFlopProfile[],
  minRuns: number,
  options: Omit<BootstrapOptions, "strata">,
): BootstrapSummary {
  const runs = profiles.flatMap((p) => p.runs);
  let start = 0;
  const strata = profiles.map((p) => {
    const stratum = p.runs.map((_, i) => start + i);
    start += p.runs.length;
    return stratum;
  });
  const quantities = ({ law, tokensPerParameter }: ReturnType<typeof lawOf>) => ({
    ...law,
    tokensPerParameter,
  });
  return bootstrapIntervals(runs.length, quantities(lawOf(profiles)), (indices) => {
    const refitted = strata.map((stratum, k) => {
      const profile = fitProfile(profiles[k].flops, stratum.map((i) => runs[indices[i]]), minRuns);
      if ("reason" in profile) throw new RangeError(profile.reason);
      return profile;
    });
    return quantities(lawOf(refitted));
  }, { ...options, strata });
}

function groupByNominalBudget(
  runs: readonly IsoFlopRun[],
  budgets: readonly number[],
  tolerance: number,
) {
  const groups = budgets.map((flops) => ({ flops, runs: [] as IsoFlopRun[] }));
  let unassigned = 0;
  for (const run of runs) {
    let nearest = -1;
    let distance = Infinity;
    budgets.forEach((budget, k) => {
      const gap = Math.abs(Math.log10(run.flops / budget));
      if (gap < distance) [nearest, distance] = [k, gap];
    });
    if (distance <= tolerance) groups[nearest].runs.push(run);
    else unassigned++;
  }
  return { groups, unassigned };
}

function clusterByCompute(runs: readonly IsoFlopRun[], tolerance: number) {
  const sorted = [...runs].sort((p, q) => p.flops - q.flops);
  const clusters: IsoFlopRun[][] = [];
  sorted.forEach((run, i) => {
    if (i === 0 || Math.log10(run.flops / sorted[i - 1].flops) > tolerance) clusters.push([]);
    clusters[clusters.length - 1].push(run);
  });
  const groups = clusters.map((members) => ({
    flops: Math.exp(members.reduce((s, r) => s + Math.log(r.flops), 0) / members.length),
    runs: members,
  }));
  return { groups, unassigned: 0 };
}

/**
 * Runs approach 2 on final losses of runs of several sizes at several compute budgets.
 *
 * @example
 * ```ts
 * const result = isoFlopApproach(runs, { budgets: [6e18, 1e19, 3e19, 6e19, 1e20], tolerance: 0.06 });
 * result.law.a; // N_opt ∝ C^a
 * const withIntervals = isoFlopApproach(runs, { bootstrap: { resamples: 1000, seed: 0 } });
 * withIntervals.bootstrap?.intervals.a.lower; // lower end of the 95% interval of a
 * ```
 */
export function isoFlopApproach(
  runs: readonly IsoFlopRun[],
  options: IsoFlopOptions = {},
): IsoFlopResult {
  const tolerance = options.tolerance ?? 0.05;
  const minRuns = options.minRuns ?? 3;
  if (!(tolerance > 0)) throw new RangeError(`tolerance must be positive, got ${tolerance}`);
  if (!Number.isInteger(minRuns) || minRuns < 3) {
    throw new RangeError(`minRuns must be an integer ≥ 3, got ${minRuns}`);
  }
  runs.forEach((run, i) => {
    for (const key of ["n", "flops", "loss"] as const) {
      if (!(run[key] > 0) || !Number.isFinite(run[key])) {
        throw new RangeError(`run ${i + 1} has ${key} = ${run[key]}; it must be a positive number`);
      }
    }
  });
  const budgets = options.budgets;
  budgets?.forEach((budget) => {
    if (!(budget > 0)) throw new RangeError(`budgets must be positive FLOPs, got ${budget}`);
  });
  const { groups, unassigned } = budgets
    ? groupByNominalBudget(runs, budgets, tolerance)
    : clusterByCompute(runs, tolerance);
  const profiles: IsoFlopProfile[] = [];
  const skipped: IsoFlopResult["skipped"] = [];
  for (const group of groups.sort((p, q) => p.flops - q.flops)) {
    const profile = fitProfile(group.flops, group.runs, minRuns);
    if ("reason" in profile) {
      skipped.push({ flops: group.flops, runs: group.runs.length, reason: profile.reason });
    } else {
      profiles.push(profile);
    }
  }
  if (profiles.length < 2) {
    throw new RangeError(
      `IsoFLOP analysis needs two or more budgets with a minimum; found ${profiles.length} ` +
        `(${skipped.length} skipped${budgets ? `, ${unassigned} runs matched no budget` : ""})`,
    );
  }
  const { law, tokensPerParameter } = lawOf(profiles);
  const result: IsoFlopResult = { profiles, skipped, unassigned, law, tokensPerParameter };
  if (options.bootstrap) result.bootstrap = bootstrapProfiles(profiles, minRuns, options.bootstrap);
  return result;
}
