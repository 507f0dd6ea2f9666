/**
 * The results directory: one JSON file per trial at `DIR/trials/<id>.json`, written
 * atomically, read back tolerant of leftovers from killed processes.
 *
 * @module
 */

import { isTempFileName, writeFileAtomic } from "../io/atomic.ts";
import { joinPath } from "../io/paths.ts";
import { type Config, decodeNonFinite, type JsonValue, stringifyKeepingNonFinite } from "./json.ts";
import type { ReportedMetrics, TrialMetrics } from "./define.ts";

/** How a trial ended. */
export type TrialStatus = "ok" | "failed" | "diverged";

/** One `ctx.report` call. */
export interface HistoryPoint {
  step: number;
  /** Seconds since the trial started. */
  seconds: number;
  metrics: ReportedMetrics;
}

/** Under which plan a trial ran: the preset and the command line's narrowing of the grid. */
export interface TrialPlanNote {
  /** The `--preset` name, or null for the definition's own axes. */
  preset: string | null;
  /** `--axis name=v1,v2` narrowing (values kept only for these axes), or null. */
  axes: Record<string, JsonValue[]> | null;
}

/** The content of `DIR/trials/<id>.json`. */
export interface TrialRecord {
  id: string;
  experiment: string;
  version: string;
  config: Config;
  status: TrialStatus;
  /** Returned by `run`; for failed or diverged trials, the last reported metrics. */
  metrics: TrialMetrics;
  history: HistoryPoint[];
  /** The GPU adapter the trial used, or "none" when it never asked for the device. */
  adapter: string;
  wallSeconds: number;
  /** The commit checked out where the sweep ran (read from `.git`), or null outside a checkout. */
  gitCommit: string | null;
  /** ISO 8601 timestamps. */
  startedAt: string;
  endedAt: string;
  /** Why a trial failed or diverged; null when ok. */
  error: { message: string; stack: string | null } | null;
  /**
   * The plan the trial ran under; absent in records written before it was kept. It is not part
   * of the trial's identity: a narrowed grid's trials are the full grid's trials.
   */
  plan?: TrialPlanNote;
}

const STATUSES: readonly string[] = ["ok", "failed", "diverged"];

/**
 * The directory holding the trial files of results directory `out`.
 *
 * @example
 * ```ts
 * import { trialsDir } from "./store.ts";
 * trialsDir("results/quadratic"); // "results/quadratic/trials"
 * ```
 */
export function trialsDir(out: string): string {
  return joinPath(out, "trials");
}

/**
 * Writes a trial record to `out/trials/<id>.json` atomically.
 *
 * @example
 * ```ts
 * import { writeTrialRecord, type TrialRecord } from "./store.ts";
 * declare const record: TrialRecord;
 * await writeTrialRecord("results/quadratic", record);
 * ```
 */
export async function writeTrialRecord(out: string, record: TrialRecord): Promise<void> {
  const path = joinPath(trialsDir(out), `${record.id}.json`);
  await writeFileAtomic(path, stringifyKeepingNonFinite(record, 1) + "\n");
}

/** What {@link readTrialRecords} found. */
export interface StoredTrials {
  /** Valid records by id. */
  records: Map<string, TrialRecord>;
  /** Trial files that are not valid records, with the reason (they count as not run). */
  unreadable: { file: string; reason: string }[];
}

/**
 * Reads every trial file under `out/trials`, skipping temp files; a missing directory reads
 * as empty.
 *
 * @example
 * ```ts
 * import { readTrialRecords } from "./store.ts";
 * const { records } = await readTrialRecords("results/quadratic");
 * console.log(records.size);
 * ```
 */
export async function readTrialRecords(out: string): Promise<StoredTrials> {
  const dir = trialsDir(out);
  const records = new Map<string, TrialRecord>();
  const unreadable: StoredTrials["unreadable"] = [];
  let names: string[];
  try {
    names = [];
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".json") && !isTempFileName(entry.name)) {
        names.push(entry.name);
      }
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { records, unreadable };
    throw error;
  }
  names.sort();
  for (const name of names) {
    const path = joinPath(dir, name);
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    const parsed = parseTrialRecord(text, name.slice(0, -".json".length));
    if (typeof parsed === "string") unreadable.push({ file: path, reason: parsed });
    else records.set(parsed.id, parsed);
  }
  return { records, unreadable };
}

/**
 * Parses a trial file's text: a record whose id is `expectedId`, with NaN and ±Infinity
 * metrics decoded, or the reason the text is not such a record.
 *
 * @example
 * ```ts
 * import { parseTrialRecord } from "./store.ts";
 * parseTrialRecord("{ truncated", "00000000000000aa"); // "not valid JSON (...)"
 * ```
 */
export function parseTrialRecord(text: string, expectedId: string): TrialRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not valid JSON (${error instanceof Error ? error.message : error})`;
  }
  if (typeof value !== "object" || value === null) return "not a JSON object";
  const record = value as Record<string, JsonValue>;
  if (record.id !== expectedId) return `its id ${JSON.stringify(record.id)} does not match`;
  if (typeof record.status !== "string" || !STATUSES.includes(record.status)) {
    return `status ${JSON.stringify(record.status)} is not ok, failed or diverged`;
  }
  if (typeof record.config !== "object" || record.config === null || Array.isArray(record.config)) {
    return "config is missing";
  }
  if (typeof record.experiment !== "string" || typeof record.version !== "string") {
    return "experiment or version is missing";
  }
  const trial = value as TrialRecord;
  return {
    ...trial,
    metrics: decodeNonFinite(trial.metrics ?? {}),
    history: (trial.history ?? []).map((point) => ({
      ...point,
      metrics: decodeNonFinite(point.metrics),
    })),
  };
}

/**
 * Reads one trial's file, `out/trials/<id>.json`: its record, or null when there is none or it
 * is not a valid record.
 *
 * @example
 * ```ts
 * import { readTrialRecord } from "./store.ts";
 * await readTrialRecord("results/quadratic", "3fa2c1d09e8b7a65"); // null when not run yet
 * ```
 */
export async function readTrialRecord(out: string, id: string): Promise<TrialRecord | null> {
  try {
    const parsed = parseTrialRecord(
      await Deno.readTextFile(joinPath(trialsDir(out), `${id}.json`)),
      id,
    );
    return typeof parsed === "string" ? null : parsed;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}
