/**
 * Progress events of a sweep and the state every display derives from them: done/total,
 * running trials, best metric so far, ETA.
 *
 * @module
 */

import type { Objective, ReportedMetrics, TrialMetrics } from "./define.ts";
import type { Config } from "./json.ts";
import type { TrialStatus } from "./store.ts";

/** The best value of the objective metric seen so far, and which trial gave it. */
export interface Best {
  id: string;
  value: number;
}

/** One thing that happened during a sweep. */
export type ProgressEvent =
  | {
    type: "sweep-start";
    experiment: string;
    version: string;
    out: string;
    /** `I/N` or null when not sharded. */
    shard: string | null;
    /** Trials in this process's share. */
    total: number;
    /** Of those, already finished before this run (skipped). */
    done: number;
    /** Of those, to run now. */
    pending: number;
    workers: number;
    objective: Objective;
    best: Best | null;
  }
  /** `pack`: how many trials train together with this one (absent when it trains alone). */
  | { type: "trial-start"; id: string; config: Config; pack?: number }
  /** A trial of this share that another process recorded meanwhile (skipped here). */
  | { type: "trial-elsewhere"; id: string; status: TrialStatus }
  | { type: "trial-report"; id: string; step: number; metrics: ReportedMetrics }
  | {
    type: "trial-end";
    id: string;
    status: TrialStatus;
    metrics: TrialMetrics;
    wallSeconds: number;
    error: string | null;
  }
  /** First Ctrl-C ("stop": finish running trials) or second ("abandon": leave them). */
  | { type: "interrupt"; mode: "stop" | "abandon"; running: number }
  | {
    type: "sweep-end";
    ok: number;
    failed: number;
    diverged: number;
    /** Trials of this share still not run (interrupted). */
    pending: number;
    interrupted: boolean;
    wallSeconds: number;
  };

/** A progress display: receives every event in order. */
export interface ProgressSink {
  handle(event: ProgressEvent): void;
  /** Resolves once everything handled so far is shown (e.g. notebook updates are async). */
  flush?(): Promise<void>;
}

interface RunningTrial {
  config: Config;
  /** Trials training together with it (1 when alone). */
  pack: number;
  step?: number;
  metrics?: ReportedMetrics;
}

/**
 * Folds progress events into what a display shows.
 *
 * @example
 * ```ts
 * import { ProgressTracker } from "./progress.ts";
 * const tracker = new ProgressTracker();
 * tracker.handle({ type: "trial-start", id: "ab12", config: { lr: 0.1 } });
 * tracker.running.size; // 1
 * ```
 */
export class ProgressTracker {
  experiment = "";
  total = 0;
  /** Finished trials of this share, including those done before this run. */
  done = 0;
  ok = 0;
  failed = 0;
  diverged = 0;
  objective: Objective = { metric: "loss", goal: "min" };
  best: Best | null = null;
  readonly running = new Map<string, RunningTrial>();
  /** Id of the running trial that reported last (shown first). */
  latest: string | null = null;
  finished = false;
  interrupt: "stop" | "abandon" | null = null;
  #startedAt = 0;
  #finishedThisRun = 0;
  #pendingAtStart = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Updates the state with one event. */
  handle(event: ProgressEvent): void {
    switch (event.type) {
      case "sweep-start":
        this.experiment = event.experiment;
        this.total = event.total;
        this.done = event.done;
        this.objective = event.objective;
        this.best = event.best;
        this.#pendingAtStart = event.pending;
        this.#startedAt = this.now();
        break;
      case "trial-start":
        this.running.set(event.id, { config: event.config, pack: event.pack ?? 1 });
        this.latest = event.id;
        break;
      case "trial-elsewhere":
        this.done++;
        this[event.status]++;
        this.#pendingAtStart--;
        break;
      case "trial-report": {
        const trial = this.running.get(event.id);
        if (trial) Object.assign(trial, { step: event.step, metrics: event.metrics });
        this.latest = event.id;
        break;
      }
      case "trial-end":
        this.running.delete(event.id);
        if (this.latest === event.id) this.latest = this.running.keys().next().value ?? null;
        this.done++;
        this.#finishedThisRun++;
        this[event.status]++;
        if (event.status === "ok") this.#considerBest(event.id, event.metrics);
        break;
      case "interrupt":
        this.interrupt = event.mode;
        break;
      case "sweep-end":
        this.finished = true;
        break;
    }
  }

  /** Seconds left, estimated from this run's throughput; null before the first trial ends. */
  etaSeconds(): number | null {
    if (this.#finishedThisRun === 0) return null;
    const elapsed = (this.now() - this.#startedAt) / 1000;
    const remaining = this.#pendingAtStart - this.#finishedThisRun;
    return (elapsed / this.#finishedThisRun) * Math.max(remaining, 0);
  }

  /** Seconds since the sweep started. */
  elapsedSeconds(): number {
    return (this.now() - this.#startedAt) / 1000;
  }

  #considerBest(id: string, metrics: TrialMetrics) {
    const value = metrics[this.objective.metric];
    if (typeof value === "number" && improves(this.objective, value, this.best)) {
      this.best = { id, value };
    }
  }
}

/**
 * Whether `value` of the objective metric beats `best` (any finite value beats none).
 *
 * @example
 * ```ts
 * import { improves } from "./progress.ts";
 * improves({ metric: "loss", goal: "min" }, 0.5, { id: "ab", value: 0.7 }); // true
 * ```
 */
export function improves(objective: Objective, value: number, best: Best | null): boolean {
  if (!Number.isFinite(value)) return false;
  if (best === null) return true;
  return objective.goal === "min" ? value < best.value : value > best.value;
}

/** Status lines fit in this many columns (fewer when the terminal is narrower). */
export const STATUS_COLUMNS = 100;

/**
 * The one-line status a display shows, at most `width` characters: counts, ETA and best so far
 * first, then as many running trials' key numbers (short id, step, objective) as fit, e.g.
 * `quadratic 7/24 (ok 6, failed 1) | ETA 12s | best loss 0.0011 | 2 running: 3fa2c1d0 step 40 loss=0.012`.
 *
 * A finished line says how long the sweep took, unless `elapsed` is false (a saved notebook
 * output that a rerun should reproduce).
 *
 * @example
 * ```ts
 * import { ProgressTracker, statusLine } from "./progress.ts";
 * statusLine(new ProgressTracker()); // " 0/0"
 * ```
 */
export function statusLine(
  tracker: ProgressTracker,
  width = STATUS_COLUMNS,
  options: { elapsed?: boolean } = {},
): string {
  const parts = [`${tracker.experiment} ${tracker.done}/${tracker.total}${countsText(tracker)}`];
  if (tracker.interrupt === "stop") parts.push("stopping after running trials");
  else if (!tracker.finished) {
    const eta = tracker.etaSeconds();
    if (eta !== null) parts.push(`ETA ${formatDuration(eta)}`);
  } else if (options.elapsed ?? true) {
    parts.push(`took ${formatDuration(tracker.elapsedSeconds())}`);
  }
  if (tracker.best) {
    parts.push(`best ${tracker.objective.metric} ${formatNumber(tracker.best.value)}`);
  }
  let line = parts.join(" | ");
  const running = runningTexts(tracker);
  if (running.length > 0) {
    line += ` | ${running[0]}`;
    for (const trial of running.slice(1)) {
      if (line.length + trial.length + 2 > width) break;
      line += `; ${trial}`;
    }
  }
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}

function countsText(tracker: ProgressTracker): string {
  const counts = [["ok", tracker.ok], ["failed", tracker.failed], ["diverged", tracker.diverged]]
    .filter(([, n]) => n !== 0)
    .map(([label, n]) => `${label} ${n}`);
  return counts.length ? ` (${counts.join(", ")})` : "";
}

/**
 * "N running[, K] [in packs of P]: <first trial>", then one entry per further running trial;
 * an entry is the short id, the step and the objective metric (or the first reported one).
 */
function runningTexts(tracker: ProgressTracker): string[] {
  if (tracker.running.size === 0) return [];
  const order = [...tracker.running.keys()].sort((a, b) =>
    a === tracker.latest ? -1 : b === tracker.latest ? 1 : 0
  );
  const entries = order.map((id) => {
    const trial = tracker.running.get(id)!;
    let text = id.slice(0, 8);
    if (trial.step !== undefined) text += ` step ${trial.step}`;
    const metrics = Object.entries(trial.metrics ?? {});
    const objective = metrics.findIndex(([name]) => name === tracker.objective.metric);
    if (objective > 0) metrics.unshift(...metrics.splice(objective, 1));
    if (metrics.length > 0) text += ` ${metrics[0][0]}=${formatNumber(metrics[0][1])}`;
    return text;
  });
  const packed = [...tracker.running.values()].filter((trial) => trial.pack > 1);
  const sizes = [...new Set(packed.map((trial) => trial.pack))].sort((a, b) => b - a);
  const all = packed.length === tracker.running.size;
  const header = `${tracker.running.size} running` +
    (packed.length === 0
      ? ""
      : `${all ? "" : `, ${packed.length}`} in packs of ${sizes.join("/")}`);
  return [`${header}: ${entries[0]}`, ...entries.slice(1)];
}

/**
 * `a=1 b=x` for a config (nested values as compact JSON).
 *
 * @example
 * ```ts
 * import { describeConfig } from "./progress.ts";
 * describeConfig({ lr: 0.1, seed: 2 }); // "lr=0.1 seed=2"
 * ```
 */
export function describeConfig(config: Config): string {
  return Object.entries(config)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
}

/**
 * Four significant digits, exponent form for very small or large values.
 *
 * @example
 * ```ts
 * import { formatNumber } from "./progress.ts";
 * formatNumber(0.000123456); // "1.235e-4"
 * ```
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value) || value === 0) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e5) return String(Number(value.toPrecision(4)));
  return value.toExponential(3).replace("e+", "e");
}

/**
 * `42s`, `3m05s` or `2h07m`.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./progress.ts";
 * formatDuration(185); // "3m05s"
 * ```
 */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
