/**
 * Runs one trial: builds its context, enforces the timeout, watches reported metrics for
 * divergence, and turns whatever happened into a trial record.
 *
 * @module
 */

import type { ReportedMetrics, Sweep, SweepDevice, TrialContext, TrialMetrics } from "./define.ts";
import { serializationProblem } from "./json.ts";
import type { PlannedTrial } from "./plan.ts";
import type { HistoryPoint, TrialRecord, TrialStatus } from "./store.ts";

/** What the runner lends every trial. */
export interface TrialEnvironment {
  /** Seconds before the trial is aborted and recorded as failed; undefined for no limit. */
  timeoutSeconds?: number;
  /** When aborted, the trial is abandoned unrecorded (a second Ctrl-C). */
  abandon: AbortSignal;
  /** The shared device (memoized by the runner). */
  device: () => Promise<SweepDevice>;
  /** The adapter's description, asked only when the trial used the device. */
  describeAdapter: () => Promise<string>;
  gitCommit: string | null;
  /** Called on every `ctx.report`. */
  onReport?: (step: number, metrics: ReportedMetrics) => void;
}

/** Abort reason when a watched metric becomes NaN or infinite. */
class DivergedError extends Error {
  override name = "DivergedError";
}

type Settled = { kind: "returned"; value: unknown } | { kind: "threw"; error: unknown };
type Ending = Settled | { kind: "timeout" } | { kind: "abandoned" };

/**
 * Runs `trial` and returns its record, or null when it was abandoned (it then stays
 * unrecorded and reruns next time).
 *
 * @example
 * ```ts
 * import { defineSweep } from "./define.ts";
 * import { planTrials } from "./plan.ts";
 * import { executeTrial } from "./trial.ts";
 * const sweep = defineSweep({ name: "s", version: 1, axes: { x: [2] }, run: (c) => ({ y: c.x * 2 }) });
 * const [trial] = await planTrials(sweep);
 * const record = await executeTrial(sweep, trial, {
 *   abandon: new AbortController().signal,
 *   device: () => Promise.reject(new Error("no device")),
 *   describeAdapter: () => Promise.resolve("none"),
 *   gitCommit: null,
 * });
 * record?.metrics; // { y: 4 }
 * ```
 */
export async function executeTrial(
  sweep: Sweep,
  trial: PlannedTrial,
  env: TrialEnvironment,
): Promise<TrialRecord | null> {
  const controller = new AbortController();
  const startedAt = new Date();
  const start = performance.now();
  const history: HistoryPoint[] = [];
  const isWatched = watchedMetric(sweep.divergeOn);
  let lastReported: ReportedMetrics = {};
  let divergence: string | null = null;
  let usedDevice = false;
  let ended = false;

  const ctx: TrialContext = {
    id: trial.id,
    signal: controller.signal,
    report(step, metrics) {
      if (ended) return; // a timed-out or abandoned run that carries on is no longer heard
      checkReport(step, metrics);
      const point = { step, seconds: (performance.now() - start) / 1000, metrics: { ...metrics } };
      history.push(point);
      lastReported = point.metrics;
      env.onReport?.(step, point.metrics);
      const bad = divergence === null ? firstNonFinite(point.metrics, isWatched) : undefined;
      if (bad) {
        divergence = `${bad} became ${point.metrics[bad]} at step ${step}`;
        controller.abort(new DivergedError(divergence));
      }
    },
    get device() {
      usedDevice = true;
      return env.device();
    },
  };

  const settled: Promise<Settled> = (async () => await sweep.run(deepFreeze(trial.config), ctx))()
    .then((value) => ({ kind: "returned" as const, value }))
    .catch((error) => ({ kind: "threw" as const, error }));
  const ending = await firstEnding(settled, env);
  ended = true;
  if (ending.kind === "abandoned") {
    controller.abort(new DOMException("sweep interrupted", "AbortError"));
    return null;
  }
  if (ending.kind === "timeout") {
    controller.abort(
      new DOMException(`trial timed out after ${env.timeoutSeconds} s`, "TimeoutError"),
    );
  }
  const wallSeconds = (performance.now() - start) / 1000;
  let status: TrialStatus = "ok";
  let metrics: TrialMetrics = lastReported;
  let error: TrialRecord["error"] = null;
  if (ending.kind === "timeout") {
    status = "failed";
    error = { message: `timed out after ${env.timeoutSeconds} s`, stack: null };
  } else if (ending.kind === "threw") {
    status = "failed";
    error = describeError(ending.error);
  } else {
    const returned = checkReturned(ending.value);
    if (typeof returned === "string") {
      status = "failed";
      error = { message: returned, stack: null };
    } else {
      metrics = returned ?? lastReported;
      const bad = firstNonFinite(metrics, isWatched);
      if (divergence === null && bad) divergence = `returned ${bad} is ${metrics[bad]}`;
    }
  }
  if (divergence !== null) {
    status = "diverged";
    error = { message: divergence, stack: null };
  }
  return {
    id: trial.id,
    experiment: sweep.name,
    version: sweep.version,
    config: trial.config,
    status,
    metrics,
    history,
    adapter: usedDevice ? await env.describeAdapter() : "none",
    wallSeconds,
    gitCommit: env.gitCommit,
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    error,
  };
}

/** Whichever comes first: the run settles, the timeout fires, or the trial is abandoned. */
function firstEnding(settled: Promise<Settled>, env: TrialEnvironment): Promise<Ending> {
  return new Promise<Ending>((resolve) => {
    const timer = env.timeoutSeconds === undefined
      ? undefined
      : setTimeout(() => finish({ kind: "timeout" }), env.timeoutSeconds * 1000);
    const onAbandon = () => finish({ kind: "abandoned" });
    function finish(ending: Ending) {
      clearTimeout(timer);
      env.abandon.removeEventListener("abort", onAbandon);
      resolve(ending);
    }
    if (env.abandon.aborted) return finish({ kind: "abandoned" });
    env.abandon.addEventListener("abort", onAbandon);
    settled.then(finish);
  });
}

function watchedMetric(divergeOn: readonly string[] | undefined): (name: string) => boolean {
  if (divergeOn) return (name) => divergeOn.includes(name);
  return (name) => /loss$/i.test(name);
}

function firstNonFinite(
  metrics: Record<string, unknown>,
  isWatched: (name: string) => boolean,
): string | undefined {
  return Object.keys(metrics).find((name) =>
    isWatched(name) && typeof metrics[name] === "number" && !Number.isFinite(metrics[name])
  );
}

function checkReport(step: number, metrics: ReportedMetrics) {
  if (typeof step !== "number" || !Number.isFinite(step)) {
    throw new TypeError(`ctx.report: step must be a finite number, got ${step}`);
  }
  if (typeof metrics !== "object" || metrics === null || Array.isArray(metrics)) {
    throw new TypeError("ctx.report: metrics must be an object of numbers, e.g. { loss: 0.5 }");
  }
  for (const [name, value] of Object.entries(metrics)) {
    if (typeof value !== "number") {
      throw new TypeError(`ctx.report: metric "${name}" is ${typeof value}; expected a number`);
    }
  }
}

/** The returned metrics, undefined for "nothing returned", or why the value is unusable. */
function checkReturned(value: unknown): TrialMetrics | undefined | string {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `run returned ${JSON.stringify(value)}; expected a metrics object or nothing`;
  }
  const metrics: TrialMetrics = {};
  for (const [name, item] of Object.entries(value)) {
    if (item === undefined) continue;
    const problem = typeof item === "number"
      ? null
      : serializationProblem(item, `metric "${name}"`);
    if (problem) return `run returned ${problem}; metrics must be JSON values`;
    metrics[name] = item;
  }
  return metrics;
}

function describeError(error: unknown): { message: string; stack: string | null } {
  if (error instanceof Error) {
    return { message: `${error.name}: ${error.message}`, stack: error.stack ?? null };
  }
  return { message: String(error), stack: null };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
