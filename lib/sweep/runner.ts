/**
 * The sweep runner: plans the trials of this shard, skips finished ones, runs the rest in K
 * worker slots (in this process, or each slot in a long-lived child process that is killed
 * when a trial hangs, crashes or runs out of memory), trains compatible trials together when
 * the sweep declares a `pack`, writes each trial's record atomically as it finishes, and
 * regenerates the summary files from the plan's records at the end.
 *
 * Crash safety: a trial counts as done only once its file has been flushed and renamed into
 * place, and a slot starts its next batch only after the files of its last one are on disk,
 * so `kill -9` at any moment loses only the trials in flight; they run again on the next
 * invocation. Processes sharing a results directory claim each trial before running it (see
 * `claims.ts`), so no trial runs twice, and a claim left by a dead process is taken over.
 *
 * @module
 */

import { removeStaleTempFiles } from "../io/atomic.ts";
import { ClaimBook } from "./claims.ts";
import {
  type AdapterLimits,
  type Objective,
  type Sweep,
  SweepDefinitionError,
  type SweepDevice,
  timeoutProblem,
} from "./define.ts";
import { firstLine } from "./errors.ts";
import { gitCommit } from "./git.ts";
import { type IsolateCommand, IsolatedSlot } from "./isolate.ts";
import type { JsonValue } from "./json.ts";
import { type PlannedTrial, planTrials } from "./plan.ts";
import {
  describeOthers,
  identityProblem,
  loadPlanRecords,
  restoreSetAside,
  setAsideForeign,
} from "./plan_records.ts";
import { type Best, improves, type ProgressSink } from "./progress.ts";
import { type ProgressMode, progressSink } from "./progress_select.ts";
import { writeSummary } from "./results.ts";
import { formatShard, selectShard, type Shard } from "./shard.ts";
import {
  readTrialRecord,
  type TrialPlanNote,
  type TrialRecord,
  trialsDir,
  writeTrialRecord,
} from "./store.ts";
import {
  type BatchEnvironment,
  executeBatch,
  memoizedDescription,
  memoizedDevice,
} from "./trial.ts";

/** Most trials in one pack when the sweep's `pack.capacity` is not given. */
export const DEFAULT_PACK_CAPACITY = 8;

/** How to run a sweep; every field is optional. */
export interface RunSweepOptions {
  /** Results directory (default `results/<name>`). */
  out?: string;
  /** A preset name from the definition. */
  preset?: string;
  /**
   * Narrows the grid to these values of these axes (`--axis name=v1,v2`); trial ids are those
   * of the full grid, and the narrowing is kept in each record's `plan`.
   */
  axes?: Readonly<Record<string, readonly JsonValue[]>>;
  /** Run only this share of the trials. */
  shard?: Shard;
  /** Worker slots: batches (single trials or packs) run concurrently (default 1). */
  workers?: number;
  /** Rerun trials recorded as failed (diverged ones are results and are kept). */
  retryFailed?: boolean;
  /**
   * Per-trial (per-pack) time limit in seconds; overrides the definition's `timeout`. A
   * timed-out trial is recorded as failed at once. In an isolate its process is killed; in
   * this process a run that ignores its aborted signal is left running unobserved.
   */
  timeout?: number;
  /** How progress is shown (default "auto"), or a custom display. */
  progress?: ProgressMode | ProgressSink;
  /** Acquires the device behind `ctx.device`, once, on first use by any trial (in-process). */
  acquireDevice?: () => Promise<SweepDevice>;
  /** Describes the adapter for trial records of trials that used the device (in-process). */
  describeAdapter?: () => string | Promise<string>;
  /** The adapter's limits for `pack.capacity`, asked once when the sweep packs; null if none. */
  adapterLimits?: () => Promise<AdapterLimits | null>;
  /**
   * Runs each worker slot's trials in a child process started by this command (one per slot,
   * reused across trials, replaced when killed). Without it, trials run in this process.
   */
  isolate?: IsolateCommand;
  /** When aborted: start no new trials, finish running ones (first Ctrl-C). */
  stop?: AbortSignal;
  /** When aborted: abandon running trials unrecorded (second Ctrl-C, SIGTERM). */
  abandon?: AbortSignal;
  /** Receives warnings such as an unreadable trial file (default: console.warn). */
  onWarning?: (message: string) => void;
  /** Claim timings: a claim untouched for `staleMs` (default 60 s) is taken over. */
  claims?: { staleMs?: number; heartbeatMs?: number };
}

/** What a sweep run did and where things stand for its share of the trials. */
export interface SweepOutcome {
  experiment: string;
  out: string;
  summaryPath: string;
  /** Trials in this share. */
  total: number;
  /** Finished before this run (or by another process meanwhile) and skipped. */
  skipped: number;
  /** Run (and recorded) now. */
  ran: number;
  ok: number;
  failed: number;
  diverged: number;
  /** Not recorded (interrupted before or during their run). */
  pending: number;
  /** Failed and diverged trials of this share, including ones recorded by earlier runs. */
  problems: TrialRecord[];
  /** Stopped by `stop` or `abandon` with trials left. */
  interrupted: boolean;
  /** Every trial of the whole plan (all shards, not narrowed) is recorded. */
  planComplete: boolean;
  /** One line on trial files not used (foreign ones set aside, others left), or null. */
  others: string | null;
  wallSeconds: number;
}

/**
 * The default results directory of a sweep.
 *
 * @example
 * ```ts
 * import { defineSweep } from "./define.ts";
 * import { defaultResultsDir } from "./runner.ts";
 * defaultResultsDir(defineSweep({ name: "quad", version: 1, axes: { a: [1] }, run: () => ({}) })); // "results/quad"
 * ```
 */
export function defaultResultsDir(sweep: Sweep): string {
  return `results/${sweep.name}`;
}

/**
 * Whether a trial with this stored record still has to run.
 *
 * @example
 * ```ts
 * import { needsRun } from "./runner.ts";
 * needsRun(undefined, false); // true
 * ```
 */
export function needsRun(record: TrialRecord | undefined, retryFailed: boolean): boolean {
  return record === undefined || (retryFailed && record.status === "failed");
}

/** A worker slot: runs batches in this process or in its isolate. */
interface Slot {
  runBatch(trials: readonly PlannedTrial[], packed: boolean, env: BatchEnvironment): Promise<void>;
  close(): Promise<void>;
}

/** What a slot takes next: a batch, "wait" (trials held by other processes), or nothing. */
type Take = { trials: PlannedTrial[]; packed: boolean } | "wait" | null;

/**
 * Runs (or resumes) a sweep and returns its outcome. Trial failures do not throw: they are
 * recorded and listed in `problems`.
 *
 * @example
 * ```ts
 * import { defineSweep } from "./define.ts";
 * import { runSweep } from "./runner.ts";
 * const sweep = defineSweep({
 *   name: "square",
 *   version: 1,
 *   axes: { x: [1, 2, 3] },
 *   run: (config) => ({ loss: config.x ** 2 }),
 * });
 * const outcome = await runSweep(sweep, { out: "/tmp/square", workers: 2, progress: "none" });
 * outcome.ok; // 3
 * ```
 */
export async function runSweep(sweep: Sweep, options: RunSweepOptions = {}): Promise<SweepOutcome> {
  const started = performance.now();
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new Error(`workers must be a positive integer, got ${workers}`);
  }
  const timeout = options.timeout ?? sweep.timeout;
  if (timeout !== undefined && timeoutProblem(timeout) !== null) {
    throw new Error(`timeout ${timeout} is invalid: ${timeoutProblem(timeout)}`);
  }
  const out = options.out ?? defaultResultsDir(sweep);
  const warn = options.onWarning ?? ((message: string) => console.warn(message));
  const planned = await planTrials(sweep, { preset: options.preset, axes: options.axes });
  const mine = options.shard ? selectShard(planned, options.shard) : planned;
  const keys = packKeys(sweep, mine);
  const plan: TrialPlanNote | undefined = options.preset || options.axes
    ? {
      preset: options.preset ?? null,
      axes: options.axes
        ? Object.fromEntries(Object.entries(options.axes).map(([k, v]) => [k, [...v]]))
        : null,
    }
    : undefined;

  await Deno.mkdir(trialsDir(out), { recursive: true });
  await removeStaleTempFiles(trialsDir(out));
  const fullPlanIds = new Set(
    (await planTrials(sweep, { preset: options.preset })).map((t) => t.id),
  );
  await restoreSetAside(out, fullPlanIds);
  const stored = await loadPlanRecords(sweep, out, { preset: options.preset });
  for (const { file, reason } of stored.unreadable) {
    warn(`warning: ignoring ${file}: ${reason}; that trial will run again`);
  }
  await setAsideForeign(out, stored.foreign);
  const others = describeOthers(out, stored, true);
  if (others) warn(`warning: ${others}`);
  const records = new Map<string, TrialRecord>();
  for (const trial of mine) {
    const record = stored.records.get(trial.id);
    if (record) records.set(trial.id, record);
  }
  const knownEnd = new Map([...records].map(([id, record]) => [id, record.endedAt]));
  const queue = mine.filter((trial) => needsRun(records.get(trial.id), !!options.retryFailed));

  const sink = guardedSink(
    typeof options.progress === "object" ? options.progress : progressSink(options.progress),
  );
  sink.handle({
    type: "sweep-start",
    experiment: sweep.name,
    version: sweep.version,
    out,
    shard: options.shard ? formatShard(options.shard) : null,
    total: mine.length,
    done: mine.length - queue.length,
    pending: queue.length,
    workers,
    objective: sweep.objective,
    best: bestOf(records.values(), sweep.objective),
  });

  const stop = options.stop ?? new AbortController().signal;
  const abandon = options.abandon ?? new AbortController().signal;
  let running = 0;
  const onStop = () => sink.handle({ type: "interrupt", mode: "stop", running });
  const onAbandon = () => sink.handle({ type: "interrupt", mode: "abandon", running });
  stop.addEventListener("abort", onStop, { once: true });
  abandon.addEventListener("abort", onAbandon, { once: true });

  const claims = new ClaimBook(out, options.claims);
  const pollMs = Math.min(2000, (options.claims?.staleMs ?? 60_000) / 4);
  const device = memoizedDevice(options.acquireDevice);
  const describeAdapter = memoizedDescription(options.describeAdapter);
  const commit = await gitCommit();
  let limits: Promise<AdapterLimits | null> | undefined;
  const adapterLimits = () =>
    limits ??= (options.adapterLimits?.() ?? Promise.resolve(null)).catch((error) => {
      warn(
        `warning: adapter limits unknown (${firstLine(error)}); packs use capacity(config, null)`,
      );
      return null;
    });

  let ran = 0;
  let skipped = mine.length - queue.length;
  let fatal: { error: unknown } | null = null;
  const waiting: PlannedTrial[] = [];

  /** Claims `trial`; "adopted" when another process recorded it meanwhile. */
  const claim = async (trial: PlannedTrial): Promise<"run" | "busy" | "adopted"> => {
    if (await claims.take(trial.id) === "busy") return "busy";
    const record = await readTrialRecord(out, trial.id);
    if (
      record && record.endedAt !== knownEnd.get(trial.id) &&
      await identityProblem(sweep, record) === null
    ) {
      records.set(trial.id, record);
      skipped++;
      await claims.release(trial.id);
      sink.handle({ type: "trial-elsewhere", id: trial.id, status: record.status });
      return "adopted";
    }
    return "run";
  };
  const takeNow = async (): Promise<Take> => {
    const trials: PlannedTrial[] = [];
    let key: string | null = null;
    let capacity = 1;
    for (let i = 0; i < queue.length && trials.length < capacity;) {
      const trial = queue[i];
      const trialKey = keys.get(trial.id) ?? null;
      if (trials.length > 0 && trialKey !== key) {
        i++;
        continue;
      }
      queue.splice(i, 1);
      const got = await claim(trial);
      if (got === "busy") waiting.push(trial);
      if (got !== "run") continue;
      trials.push(trial);
      if (trials.length === 1 && trialKey !== null) {
        key = trialKey;
        capacity = packCapacity(sweep, trial, await adapterLimits());
      }
    }
    if (trials.length > 0) return { trials, packed: key !== null };
    return waiting.length > 0 ? "wait" : null;
  };
  let taking: Promise<unknown> = Promise.resolve();
  const take = (): Promise<Take> => {
    const next = taking.then(takeNow);
    taking = next.catch(() => {});
    return next;
  };

  const persist = async (record: TrialRecord) => {
    try {
      await writeTrialRecord(out, record);
      records.set(record.id, record);
      ran++;
      await claims.release(record.id);
      sink.handle({
        type: "trial-end",
        id: record.id,
        status: record.status,
        metrics: record.metrics,
        wallSeconds: record.wallSeconds,
        error: record.error?.message ?? null,
      });
    } catch (error) {
      fatal ??= { error };
    }
  };
  const slots: Slot[] = Array.from(
    { length: workers },
    () =>
      options.isolate ? isolatedSlot(new IsolatedSlot(options.isolate), sweep) : {
        runBatch: (trials, packed, env) => executeBatch(sweep, trials, env, packed),
        close: () => Promise.resolve(),
      },
  );
  const work = async (slot: Slot) => {
    while (!stop.aborted && !abandon.aborted && !fatal) {
      let taken: Take;
      try {
        taken = await take();
      } catch (error) {
        fatal ??= { error };
        break;
      }
      if (taken === null) break;
      if (taken === "wait") {
        await sleep(pollMs, abandon);
        queue.push(...waiting.splice(0));
        continue;
      }
      const { trials, packed } = taken;
      running += trials.length;
      for (const trial of trials) {
        sink.handle({
          type: "trial-start",
          id: trial.id,
          config: trial.config,
          ...(trials.length > 1 ? { pack: trials.length } : {}),
        });
      }
      try {
        await slot.runBatch(trials, packed, {
          timeoutSeconds: timeout,
          abandon,
          device,
          describeAdapter,
          gitCommit: commit,
          plan,
          onReport: (id, step, metrics) => sink.handle({ type: "trial-report", id, step, metrics }),
          onRecord: persist,
        });
      } catch (error) {
        fatal ??= { error };
      }
      running -= trials.length;
    }
  };
  try {
    await Promise.all(slots.map(work));
  } finally {
    await Promise.all(slots.map((slot) => slot.close()));
    await claims.releaseAll();
    stop.removeEventListener("abort", onStop);
    abandon.removeEventListener("abort", onAbandon);
  }
  if (fatal) throw (fatal as { error: unknown }).error;

  const summary = await writeSummary(sweep, out, { preset: options.preset });
  const mineRecorded = mine.map((trial) => records.get(trial.id)).filter((r) => r !== undefined);
  const count = (status: string) => mineRecorded.filter((r) => r.status === status).length;
  const pending = mine.length - mineRecorded.length;
  const outcome: SweepOutcome = {
    experiment: sweep.name,
    out,
    summaryPath: summary.summary,
    total: mine.length,
    skipped,
    ran,
    ok: count("ok"),
    failed: count("failed"),
    diverged: count("diverged"),
    pending,
    problems: mineRecorded.filter((r) => r.status !== "ok"),
    interrupted: (stop.aborted || abandon.aborted) && pending > 0,
    planComplete: summary.rows === fullPlanIds.size,
    others,
    wallSeconds: (performance.now() - started) / 1000,
  };
  sink.handle({
    type: "sweep-end",
    ok: outcome.ok,
    failed: outcome.failed,
    diverged: outcome.diverged,
    pending,
    interrupted: outcome.interrupted,
    wallSeconds: outcome.wallSeconds,
  });
  await sink.flush?.();
  return outcome;
}

/** Pack keys of the trials that have one (checked once, before any trial runs). */
function packKeys(sweep: Sweep, trials: readonly PlannedTrial[]): Map<string, string> {
  const keys = new Map<string, string>();
  if (!sweep.pack) return keys;
  for (const trial of trials) {
    let key: unknown;
    try {
      key = sweep.pack.key(structuredClone(trial.config));
    } catch (error) {
      throw new SweepDefinitionError(
        `sweep "${sweep.name}": pack.key threw for ${JSON.stringify(trial.config)}: ${
          firstLine(error)
        }`,
      );
    }
    if (key !== null && typeof key !== "string") {
      throw new SweepDefinitionError(
        `sweep "${sweep.name}": pack.key must return a string or null, got ${JSON.stringify(key)}`,
      );
    }
    if (key !== null) keys.set(trial.id, key);
  }
  return keys;
}

function packCapacity(sweep: Sweep, first: PlannedTrial, limits: AdapterLimits | null): number {
  const capacity = sweep.pack?.capacity;
  if (!capacity) return DEFAULT_PACK_CAPACITY;
  let value: unknown;
  try {
    value = capacity(structuredClone(first.config), limits);
  } catch (error) {
    throw new SweepDefinitionError(
      `sweep "${sweep.name}": pack.capacity threw for ${JSON.stringify(first.config)}: ${
        firstLine(error)
      }`,
    );
  }
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new SweepDefinitionError(
      `sweep "${sweep.name}": pack.capacity must return a positive integer, got ${
        JSON.stringify(value)
      } for ${JSON.stringify(first.config)}`,
    );
  }
  return value as number;
}

function isolatedSlot(slot: IsolatedSlot, sweep: Sweep): Slot {
  return {
    runBatch: (trials, packed, env) =>
      slot.runBatch(trials, packed, { ...env, experiment: sweep.name, version: sweep.version }),
    close: () => slot.close(),
  };
}

/**
 * A display whose failure (a closed stdout: `sweep ... | head -1`) ends the display, not the
 * sweep; later events are dropped.
 */
function guardedSink(sink: ProgressSink): ProgressSink {
  let broken = false;
  return {
    handle(event) {
      if (broken) return;
      try {
        sink.handle(event);
      } catch {
        broken = true;
      }
    },
    flush: () => sink.flush?.().catch(() => {}) ?? Promise.resolve(),
  };
}

function sleep(ms: number, abandon: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    abandon.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      abandon.removeEventListener("abort", done);
      resolve();
    }
  });
}

function bestOf(records: Iterable<TrialRecord>, objective: Objective): Best | null {
  let best: Best | null = null;
  for (const record of records) {
    const value = record.metrics[objective.metric];
    if (record.status === "ok" && typeof value === "number" && improves(objective, value, best)) {
      best = { id: record.id, value };
    }
  }
  return best;
}
