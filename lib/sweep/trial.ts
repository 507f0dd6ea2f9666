/**
 * Runs one trial, or one pack of trials that train together: builds each trial's context,
 * enforces the timeout, watches reported metrics for divergence, and turns whatever happened
 * to each trial into its own trial record.
 *
 * @module
 */

import type {
  PackContext,
  ReportedMetrics,
  Sweep,
  SweepDevice,
  TrialMetrics,
  TrialResult,
} from "./define.ts";
import { serializationProblem } from "./json.ts";
import type { PlannedTrial } from "./plan.ts";
import type { HistoryPoint, TrialPlanNote, TrialRecord, TrialStatus } from "./store.ts";

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
  /** The preset and command-line narrowing the trial ran under (kept in its record). */
  plan?: TrialPlanNote;
  /** Called on every `ctx.report` of any trial of the batch. */
  onReport?: (id: string, step: number, metrics: ReportedMetrics) => void;
}

/** A batch's environment: a trial's, plus where each finished trial's record goes. */
export interface BatchEnvironment extends TrialEnvironment {
  /** Receives each trial's record as soon as it is known (members of a pack one by one). */
  onRecord: (record: TrialRecord) => void | Promise<void>;
}

/** Abort reason when a watched metric becomes NaN or infinite. */
class DivergedError extends Error {
  override name = "DivergedError";
}

type Settled = { kind: "returned"; value: unknown } | { kind: "threw"; error: unknown };
type Ending = Settled | { kind: "timeout" } | { kind: "abandoned" };

/** One trial of a batch while it runs. */
interface Member {
  trial: PlannedTrial;
  controller: AbortController;
  history: HistoryPoint[];
  lastReported: ReportedMetrics;
  divergence: string | null;
  usedDevice: boolean;
  /** Recorded (or abandoned): later reports and results are ignored. */
  ended: boolean;
  ctx: PackContext;
}

/**
 * Runs a batch: one trial through `sweep.run`, or (when `packed`) every trial of the batch
 * together through `sweep.pack.run`. Each trial's record goes to `env.onRecord` as soon as it
 * is known; resolves when every trial is recorded or abandoned (abandoned ones get no record).
 * A pack's throw fails its unfinished trials; a timeout fails them all; a divergence marks
 * only the trial whose metric diverged (and aborts its own signal).
 *
 * @example
 * ```ts
 * import { defineSweep } from "./define.ts";
 * import { planTrials } from "./plan.ts";
 * import { executeBatch } from "./trial.ts";
 * const sweep = defineSweep({
 *   name: "p", version: 1, axes: { x: [1, 2] }, run: () => ({}),
 *   pack: { key: () => "all", run: (configs) => Promise.resolve(configs.map((c) => ({ y: c.x }))) },
 * });
 * const records: unknown[] = [];
 * await executeBatch(sweep, await planTrials(sweep), {
 *   abandon: new AbortController().signal,
 *   device: () => Promise.reject(new Error("no device")),
 *   describeAdapter: () => Promise.resolve("none"),
 *   gitCommit: null,
 *   onRecord: (record) => void records.push(record),
 * }, true);
 * records.length; // 2
 * ```
 */
export async function executeBatch(
  sweep: Sweep,
  trials: readonly PlannedTrial[],
  env: BatchEnvironment,
  packed: boolean,
): Promise<void> {
  if (trials.length === 0) return;
  if (!packed && trials.length !== 1) throw new Error("an unpacked batch holds one trial");
  if (packed && !sweep.pack) throw new Error(`sweep "${sweep.name}" declares no pack`);
  const startedAt = new Date();
  const start = performance.now();
  const isWatched = watchedMetric(sweep.divergeOn);
  const writes: Promise<void>[] = [];

  const record = (
    member: Member,
    status: TrialStatus,
    metrics: TrialMetrics,
    error: string | null,
    stack: string | null = null,
  ) => {
    if (member.ended) return;
    member.ended = true;
    const wallSeconds = (performance.now() - start) / 1000;
    if (member.divergence !== null) {
      status = "diverged";
      error = member.divergence;
      stack = null;
    }
    writes.push((async () => {
      const trialRecord: TrialRecord = {
        id: member.trial.id,
        experiment: sweep.name,
        version: sweep.version,
        config: member.trial.config,
        status,
        metrics,
        history: member.history,
        adapter: member.usedDevice ? await env.describeAdapter() : "none",
        wallSeconds,
        gitCommit: env.gitCommit,
        startedAt: startedAt.toISOString(),
        endedAt: new Date().toISOString(),
        error: error === null ? null : { message: error, stack },
        ...(env.plan ? { plan: env.plan } : {}),
      };
      await env.onRecord(trialRecord);
    })());
  };
  /** Records a returned result (or its problem) for `member`. */
  const recordResult = (member: Member, value: unknown) => {
    const returned = checkReturned(value);
    if (typeof returned === "string") {
      return record(member, "failed", member.lastReported, returned);
    }
    const metrics = returned ?? member.lastReported;
    const bad = firstNonFinite(metrics, isWatched);
    if (member.divergence === null && bad) member.divergence = `returned ${bad} is ${metrics[bad]}`;
    record(member, "ok", metrics, null);
  };

  const members = trials.map((trial): Member => {
    const member = {
      trial,
      controller: new AbortController(),
      history: [],
      lastReported: {},
      divergence: null,
      usedDevice: false,
      ended: false,
    } as unknown as Member;
    member.ctx = {
      id: trial.id,
      signal: member.controller.signal,
      report(step, metrics) {
        if (member.ended) return; // a finished, timed-out or abandoned trial is no longer heard
        checkReport(step, metrics);
        const point = {
          step,
          seconds: (performance.now() - start) / 1000,
          metrics: { ...metrics },
        };
        member.history.push(point);
        member.lastReported = point.metrics;
        env.onReport?.(trial.id, step, point.metrics);
        const bad = member.divergence === null
          ? firstNonFinite(point.metrics, isWatched)
          : undefined;
        if (bad) {
          member.divergence = `${bad} became ${point.metrics[bad]} at step ${step}`;
          member.controller.abort(new DivergedError(member.divergence));
        }
      },
      get device() {
        member.usedDevice = true;
        return env.device();
      },
      finish(result: TrialResult) {
        if (packed) recordResult(member, result);
      },
    };
    return member;
  });

  const frozen = members.map((m) => deepFreeze(m.trial.config));
  const settled: Promise<Settled> =
    (async () =>
      packed
        ? await sweep.pack!.run(frozen, members.map((m) => m.ctx))
        : await sweep.run(frozen[0], members[0].ctx))()
      .then((value) => ({ kind: "returned" as const, value }))
      .catch((error) => ({ kind: "threw" as const, error }));
  const ending = await firstEnding(settled, env);
  const open = members.filter((m) => !m.ended);
  if (ending.kind === "abandoned") {
    for (const member of open) {
      member.ended = true;
      member.controller.abort(new DOMException("sweep interrupted", "AbortError"));
    }
  } else if (ending.kind === "timeout") {
    for (const member of open) {
      member.controller.abort(
        new DOMException(`trial timed out after ${env.timeoutSeconds} s`, "TimeoutError"),
      );
      record(member, "failed", member.lastReported, `timed out after ${env.timeoutSeconds} s`);
    }
  } else if (ending.kind === "threw") {
    const { message, stack } = describeError(ending.error);
    for (const member of open) record(member, "failed", member.lastReported, message, stack);
  } else if (!packed) {
    recordResult(members[0], ending.value);
  } else if (!Array.isArray(ending.value) || ending.value.length !== members.length) {
    const got = Array.isArray(ending.value)
      ? `${ending.value.length} results`
      : JSON.stringify(ending.value) ?? "undefined";
    const message = `pack.run returned ${got}; expected an array of ${members.length} results`;
    for (const member of open) record(member, "failed", member.lastReported, message);
  } else {
    for (const member of open) recordResult(member, ending.value[members.indexOf(member)]);
  }
  await Promise.all(writes);
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

/**
 * `acquire` memoized: the device is acquired once and shared; a failed acquisition is retried
 * by the next caller. Without `acquire`, every call rejects with a clear message.
 *
 * @example
 * ```ts
 * import { memoizedDevice } from "./trial.ts";
 * const device = memoizedDevice(undefined);
 * await device().catch((error) => error.message); // "no GPU device: ..."
 * ```
 */
export function memoizedDevice(
  acquire?: () => Promise<SweepDevice>,
): () => Promise<SweepDevice> {
  let device: Promise<SweepDevice> | undefined;
  return () => {
    if (!acquire) {
      return Promise.reject(
        new Error("no GPU device: this sweep was run without an acquireDevice option"),
      );
    }
    device ??= acquire().catch((error) => {
      device = undefined;
      throw error;
    });
    return device;
  };
}

/**
 * `describe` memoized, with "unknown" when it is missing or fails.
 *
 * @example
 * ```ts
 * import { memoizedDescription } from "./trial.ts";
 * await memoizedDescription(() => "llvmpipe")(); // "llvmpipe"
 * ```
 */
export function memoizedDescription(
  describe?: () => string | Promise<string>,
): () => Promise<string> {
  let description: Promise<string> | undefined;
  return () =>
    description ??= Promise.resolve()
      .then(() => describe?.() ?? "unknown")
      .catch(() => "unknown");
}
