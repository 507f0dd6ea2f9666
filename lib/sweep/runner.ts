/**
 * The sweep runner: plans the trials of this shard, skips finished ones, runs the rest with K
 * concurrent workers, writes each result atomically as it finishes, and regenerates
 * `summary.csv` at the end.
 *
 * Crash safety: a trial counts as done only once its file has been flushed and renamed into
 * place, so `kill -9` at any moment loses only the trials in flight (running, or finished
 * and still being written); they run again on the next invocation. Files are written in the
 * background while the next trial runs (at most {@link MAX_PENDING_WRITES} at once).
 *
 * @module
 */

import { removeStaleTempFiles } from "./atomic.ts";
import type { Objective, Sweep, SweepDevice } from "./define.ts";
import { gitCommit } from "./git.ts";
import { planTrials } from "./plan.ts";
import { type Best, improves, type ProgressSink } from "./progress.ts";
import { type ProgressMode, progressSink } from "./progress_select.ts";
import { writeSummary } from "./results.ts";
import { formatShard, selectShard, type Shard } from "./shard.ts";
import { readTrialRecords, type TrialRecord, trialsDir, writeTrialRecord } from "./store.ts";
import { executeTrial } from "./trial.ts";

/** Trial files being written at once, at most; a worker waits when this many are pending. */
export const MAX_PENDING_WRITES = 32;

/** How to run a sweep; every field is optional. */
export interface RunSweepOptions {
  /** Results directory (default `results/<name>`). */
  out?: string;
  /** A preset name from the definition. */
  preset?: string;
  /** Run only this share of the trials. */
  shard?: Shard;
  /** Trials run concurrently in this process (default 1). */
  workers?: number;
  /** Rerun trials recorded as failed (diverged ones are results and are kept). */
  retryFailed?: boolean;
  /**
   * Per-trial time limit in seconds; overrides the definition's `timeout`. A timed-out trial
   * is recorded as failed at once; a run that ignores its aborted signal is not waited for
   * (the CLI exits at the end; in a notebook it finishes unobserved).
   */
  timeout?: number;
  /** How progress is shown (default "auto"), or a custom display. */
  progress?: ProgressMode | ProgressSink;
  /** Acquires the device behind `ctx.device`, once, on first use by any trial. */
  acquireDevice?: () => Promise<SweepDevice>;
  /** Describes the adapter for trial records of trials that used the device. */
  describeAdapter?: () => string | Promise<string>;
  /** When aborted: start no new trials, finish running ones (first Ctrl-C). */
  stop?: AbortSignal;
  /** When aborted: abandon running trials unrecorded (second Ctrl-C, SIGTERM). */
  abandon?: AbortSignal;
  /** Receives warnings such as an unreadable trial file (default: console.warn). */
  onWarning?: (message: string) => void;
}

/** What a sweep run did and where things stand for its share of the trials. */
export interface SweepOutcome {
  experiment: string;
  out: string;
  summaryPath: string;
  /** Trials in this share. */
  total: number;
  /** Finished before this run and skipped. */
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
  if (timeout !== undefined && !(timeout > 0 && Number.isFinite(timeout))) {
    throw new Error(`timeout must be a positive number of seconds, got ${timeout}`);
  }
  const out = options.out ?? defaultResultsDir(sweep);
  const warn = options.onWarning ?? ((message: string) => console.warn(message));
  const planned = await planTrials(sweep, { preset: options.preset });
  const mine = options.shard ? selectShard(planned, options.shard) : planned;

  await Deno.mkdir(trialsDir(out), { recursive: true });
  await removeStaleTempFiles(trialsDir(out));
  const stored = await readTrialRecords(out);
  for (const { file, reason } of stored.unreadable) {
    warn(`warning: ignoring ${file}: ${reason}; that trial will run again`);
  }
  const records = new Map<string, TrialRecord>();
  for (const trial of mine) {
    const record = stored.records.get(trial.id);
    if (record) records.set(trial.id, record);
  }
  const queue = mine.filter((trial) => needsRun(records.get(trial.id), !!options.retryFailed));

  const sink = typeof options.progress === "object"
    ? options.progress
    : progressSink(options.progress);
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

  const env = {
    timeoutSeconds: timeout,
    abandon,
    device: memoizedDevice(options.acquireDevice),
    describeAdapter: memoizedDescription(options.describeAdapter),
    gitCommit: await gitCommit(),
  };
  let next = 0;
  let ran = 0;
  let fatal: { error: unknown } | null = null;
  // Trial files are written in the background so that a worker starts its next trial while
  // the previous file is being flushed to disk; concurrent flushes share journal commits.
  const writes = new Set<Promise<void>>();
  const persist = (record: TrialRecord) => {
    const write: Promise<void> = writeTrialRecord(out, record)
      .then(() => {
        records.set(record.id, record);
        ran++;
        sink.handle({
          type: "trial-end",
          id: record.id,
          status: record.status,
          metrics: record.metrics,
          wallSeconds: record.wallSeconds,
          error: record.error?.message ?? null,
        });
      })
      .catch((error) => {
        fatal ??= { error };
      })
      .finally(() => writes.delete(write));
    writes.add(write);
  };
  const worker = async () => {
    while (next < queue.length && !stop.aborted && !abandon.aborted && !fatal) {
      const trial = queue[next++];
      running++;
      sink.handle({ type: "trial-start", id: trial.id, config: trial.config });
      const record = await executeTrial(sweep, trial, {
        ...env,
        onReport: (step, metrics) =>
          sink.handle({ type: "trial-report", id: trial.id, step, metrics }),
      });
      running--;
      if (record !== null) persist(record);
      while (writes.size >= MAX_PENDING_WRITES) await Promise.race(writes);
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, queue.length) }, worker));
  await Promise.all(writes);
  stop.removeEventListener("abort", onStop);
  abandon.removeEventListener("abort", onAbandon);
  if (fatal) throw (fatal as { error: unknown }).error;

  const summaryPath = await writeSummary(out);
  const mineRecorded = mine.map((trial) => records.get(trial.id)).filter((r) => r !== undefined);
  const count = (status: string) => mineRecorded.filter((r) => r.status === status).length;
  const pending = mine.length - mineRecorded.length;
  const outcome: SweepOutcome = {
    experiment: sweep.name,
    out,
    summaryPath,
    total: mine.length,
    skipped: mine.length - queue.length,
    ran,
    ok: count("ok"),
    failed: count("failed"),
    diverged: count("diverged"),
    pending,
    problems: mineRecorded.filter((r) => r.status !== "ok"),
    interrupted: (stop.aborted || abandon.aborted) && pending > 0,
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

/** The device is acquired once and shared; a failed acquisition is retried by the next trial. */
function memoizedDevice(acquire?: () => Promise<SweepDevice>): () => Promise<SweepDevice> {
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

function memoizedDescription(describe?: () => string | Promise<string>): () => Promise<string> {
  let description: Promise<string> | undefined;
  return () =>
    description ??= Promise.resolve()
      .then(() => describe?.() ?? "unknown")
      .catch(() => "unknown");
}
