/**
 * Results directories as tables: `loadResults` (one row per trial), `loadHistory` (one row per
 * reported point), and the files a sweep writes from its plan's records: `summary.csv`, the
 * same table as Arrow IPC (`summary.arrow`, for pandas and polars) and a tidy `history.csv`
 * (`id,step,metric,value`).
 *
 * @module
 */

import * as aq from "arquero";
import { writeFileAtomic } from "../io/atomic.ts";
import type { Sweep } from "./define.ts";
import { joinPath } from "../io/paths.ts";
import type { JsonValue } from "./json.ts";
import { type ForeignRecord, loadPlanRecords } from "./plan_records.ts";
import { readTrialRecords, type TrialRecord } from "./store.ts";

/** An arquero table (`aq.table(...)`'s type). */
export type ResultsTable = ReturnType<typeof aq.table>;

/** Columns every results row has, besides config and metric columns. */
const FIXED_COLUMNS = [
  "id",
  "status",
  "version",
  "wall_seconds",
  "adapter",
  "git_commit",
  "started_at",
  "error",
];

type Cell = string | number | boolean | null;

/**
 * One row per trial: `id`, `status`, `version`, the config flattened (`model.width` for
 * nested objects), the metrics, `wall_seconds`, `adapter`, `git_commit`, `started_at` and
 * `error`. A config key that clashes with a fixed column gets a `config.` prefix; a metric
 * that clashes with a fixed or config column gets `metrics.`. Rows are sorted by config.
 *
 * @example
 * ```ts
 * import { resultsTable } from "./results.ts";
 * resultsTable([]).numRows(); // 0
 * ```
 */
export function resultsTable(records: TrialRecord[]): ResultsTable {
  const configRows = records.map((record) => flatten(record.config));
  const metricRows = records.map((record) => flatten(record.metrics));
  const names = columnNamer(FIXED_COLUMNS, configRows, metricRows);
  const order = records.map((_, i) => i).sort((a, b) =>
    compareRows(configRows[a], configRows[b], names.configKeys) ||
    (records[a].id < records[b].id ? -1 : 1)
  );
  const columns: Record<string, Cell[]> = {};
  const put = (name: string, values: Cell[]) => columns[name] = order.map((i) => values[i]);
  put("id", records.map((r) => r.id));
  put("status", records.map((r) => r.status));
  put("version", records.map((r) => r.version));
  for (const key of names.configKeys) {
    put(names.config(key), configRows.map((row) => row[key] ?? null));
  }
  for (const key of names.metricKeys) {
    put(names.metric(key), metricRows.map((row) => row[key] ?? null));
  }
  put("wall_seconds", records.map((r) => r.wallSeconds));
  put("adapter", records.map((r) => r.adapter));
  put("git_commit", records.map((r) => r.gitCommit));
  put("started_at", records.map((r) => r.startedAt));
  put("error", records.map((r) => r.error?.message ?? null));
  return aq.table(columns);
}

/**
 * One row per reported history point: `id`, `status`, the config columns, `step`,
 * `seconds` and the reported metrics (ready for loss curves).
 *
 * @example
 * ```ts
 * import { historyTable } from "./results.ts";
 * historyTable([]).numRows(); // 0
 * ```
 */
export function historyTable(records: TrialRecord[]): ResultsTable {
  const sorted = [...records].sort((a, b) => (a.id < b.id ? -1 : 1));
  const configRows = sorted.map((record) => flatten(record.config));
  const points = sorted.flatMap((record, r) =>
    record.history.map((point) => ({ record, config: configRows[r], point }))
  );
  const names = columnNamer(
    ["id", "status", "step", "seconds"],
    configRows,
    points.map(({ point }) => point.metrics),
  );
  const columns: Record<string, Cell[]> = {
    id: points.map(({ record }) => record.id),
    status: points.map(({ record }) => record.status),
  };
  for (const key of names.configKeys) {
    columns[names.config(key)] = points.map(({ config }) => config[key] ?? null);
  }
  columns.step = points.map(({ point }) => point.step);
  columns.seconds = points.map(({ point }) => point.seconds);
  for (const key of names.metricKeys) {
    columns[names.metric(key)] = points.map(({ point }) => point.metrics[key] ?? null);
  }
  return aq.table(columns);
}

/** Which records to load: a sweep's plan (checked records only) instead of every file. */
export interface PlanSelection {
  sweep: Sweep;
  preset?: string;
}

/**
 * Loads a results directory (`DIR/trials/*.json`) as a table of trials; see
 * {@link resultsTable} for the columns. With `plan`, only the records of that plan are loaded
 * (checked against experiment, version and config hash); without it, every readable record.
 *
 * @example
 * ```ts
 * import { loadResults } from "./results.ts";
 * const table = await loadResults("results/example-quadratic");
 * table.filter((d: { status: string }) => d.status === "ok").print();
 * ```
 */
export async function loadResults(dir: string, plan?: PlanSelection): Promise<ResultsTable> {
  return resultsTable(await recordsOf(dir, plan));
}

/**
 * Loads every trial's reported history from a results directory; see {@link historyTable}.
 *
 * @example
 * ```ts
 * import { loadHistory } from "./results.ts";
 * const curves = await loadHistory("results/example-quadratic");
 * console.log(curves.columnNames());
 * ```
 */
export async function loadHistory(dir: string, plan?: PlanSelection): Promise<ResultsTable> {
  return historyTable(await recordsOf(dir, plan));
}

async function recordsOf(dir: string, plan?: PlanSelection): Promise<TrialRecord[]> {
  if (plan) {
    return [...(await loadPlanRecords(plan.sweep, dir, { preset: plan.preset })).records.values()];
  }
  return [...(await readTrialRecords(dir)).records.values()];
}

/**
 * The tidy history of `records`: one row per reported metric value, columns `id`, `step`,
 * `metric`, `value` (ready for `pivot` or a grouped plot), sorted by id, then report order.
 *
 * @example
 * ```ts
 * import { tidyHistoryTable } from "./results.ts";
 * tidyHistoryTable([]).columnNames(); // ["id", "step", "metric", "value"]
 * ```
 */
export function tidyHistoryTable(records: readonly TrialRecord[]): ResultsTable {
  const columns: { id: string[]; step: number[]; metric: string[]; value: number[] } = {
    id: [],
    step: [],
    metric: [],
    value: [],
  };
  for (const record of [...records].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    for (const point of record.history) {
      for (const [metric, value] of Object.entries(point.metrics)) {
        columns.id.push(record.id);
        columns.step.push(point.step);
        columns.metric.push(metric);
        columns.value.push(value);
      }
    }
  }
  return aq.table(columns);
}

/** What {@link writeSummary} wrote and what it left out. */
export interface SummaryFiles {
  /** `DIR/summary.csv`: one row per trial of the plan. */
  summary: string;
  /** `DIR/summary.arrow`: the same table as an Arrow IPC file. */
  arrow: string;
  /** `DIR/history.csv`: the plan's trials' histories, tidy. */
  history: string;
  /** Records of the plan it holds. */
  rows: number;
  /** Records of this experiment outside the plan (another preset or grid), not included. */
  outside: number;
  /** Records of another experiment or version, or failing their hash check, not included. */
  foreign: ForeignRecord[];
}

/**
 * Regenerates `DIR/summary.csv`, `DIR/summary.arrow` and `DIR/history.csv` (each atomically)
 * from the records of the sweep's plan only (see `loadPlanRecords`); other files are counted,
 * never mixed in.
 *
 * @example
 * ```ts
 * import { loadExperiment } from "./experiment.ts";
 * import { writeSummary } from "./results.ts";
 * const sweep = await loadExperiment("example-quadratic");
 * const files = await writeSummary(sweep, "results/example-quadratic");
 * console.log(await Deno.readTextFile(files.summary));
 * ```
 */
export async function writeSummary(
  sweep: Sweep,
  dir: string,
  options: { preset?: string } = {},
): Promise<SummaryFiles> {
  const found = await loadPlanRecords(sweep, dir, options);
  const records = [...found.records.values()];
  const table = resultsTable(records);
  const files: SummaryFiles = {
    summary: joinPath(dir, "summary.csv"),
    arrow: joinPath(dir, "summary.arrow"),
    history: joinPath(dir, "history.csv"),
    rows: records.length,
    outside: found.outside.length,
    foreign: found.foreign,
  };
  await writeFileAtomic(files.summary, csvText(table));
  await writeFileAtomic(files.arrow, arrowFile(table));
  await writeFileAtomic(files.history, csvText(tidyHistoryTable(records)));
  return files;
}

/** CSV text ending in exactly one newline. */
function csvText(table: ResultsTable): string {
  return table.toCSV().replace(/\n*$/, "\n");
}

/**
 * The table as an Arrow IPC file (pandas `read_feather`, polars `read_ipc`). A column whose
 * values mix types (e.g. numbers and strings) is written as text.
 */
function arrowFile(table: ResultsTable): Uint8Array {
  const columns: Record<string, unknown[]> = {};
  for (const name of table.columnNames()) {
    const values = Array.from(table.array(name) as ArrayLike<unknown>);
    const kinds = new Set(values.filter((v) => v !== null && v !== undefined).map((v) => typeof v));
    columns[name] = kinds.size > 1
      ? values.map((v) => v === null || v === undefined ? null : String(v))
      : values;
  }
  return aq.toArrowIPC(aq.table(columns), { format: "file" });
}

/** Nested plain objects become dotted keys; arrays become JSON text. */
function flatten(value: Record<string, JsonValue>, prefix = ""): Record<string, Cell> {
  const flat: Record<string, Cell> = {};
  for (const [key, item] of Object.entries(value)) {
    const name = prefix + key;
    if (Array.isArray(item)) flat[name] = JSON.stringify(item);
    else if (typeof item === "object" && item !== null) {
      Object.assign(flat, flatten(item, `${name}.`));
    } else flat[name] = item;
  }
  return flat;
}

/**
 * Column names for config and metric keys: a config key that clashes with a fixed column
 * gets a `config.` prefix, a metric key that clashes with a fixed or config column `metrics.`.
 */
function columnNamer(
  fixed: string[],
  configRows: Record<string, Cell>[],
  metricRows: Record<string, Cell>[],
) {
  const configKeys = unionOfKeys(configRows);
  const config = (key: string) => fixed.includes(key) ? `config.${key}` : key;
  const taken = new Set([...fixed, ...configKeys.map(config)]);
  const metric = (key: string) => taken.has(key) ? `metrics.${key}` : key;
  return { configKeys, metricKeys: unionOfKeys(metricRows), config, metric };
}

function unionOfKeys(rows: Record<string, Cell>[]): string[] {
  const keys = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) keys.add(key);
  return [...keys];
}

function compareRows(a: Record<string, Cell>, b: Record<string, Cell>, keys: string[]): number {
  for (const key of keys) {
    const order = compareCells(a[key] ?? null, b[key] ?? null);
    if (order !== 0) return order;
  }
  return 0;
}

/** Numbers numerically, then strings, booleans; missing values last. */
function compareCells(a: Cell, b: Cell): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  const rank = (cell: Cell) => typeof cell === "number" ? 0 : typeof cell === "string" ? 1 : 2;
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  return String(a) < String(b) ? -1 : 1;
}
