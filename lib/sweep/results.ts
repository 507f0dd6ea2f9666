/**
 * Results directories as tables: `loadResults` (one row per trial), `loadHistory` (one row per
 * reported point) and `summary.csv`, regenerated from the trial files.
 *
 * @module
 */

import * as aq from "arquero";
import { writeFileAtomic } from "./atomic.ts";
import { joinPath } from "./paths.ts";
import type { JsonValue } from "./json.ts";
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

/**
 * Loads a results directory (`DIR/trials/*.json`) as a table of trials; see
 * {@link resultsTable} for the columns.
 *
 * @example
 * ```ts
 * import { loadResults } from "./results.ts";
 * const table = await loadResults("results/example-quadratic");
 * table.filter((d: { status: string }) => d.status === "ok").print();
 * ```
 */
export async function loadResults(dir: string): Promise<ResultsTable> {
  const { records } = await readTrialRecords(dir);
  return resultsTable([...records.values()]);
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
export async function loadHistory(dir: string): Promise<ResultsTable> {
  const { records } = await readTrialRecords(dir);
  return historyTable([...records.values()]);
}

/**
 * Regenerates `DIR/summary.csv` from the trial files (atomically) and returns its path.
 *
 * @example
 * ```ts
 * import { writeSummary } from "./results.ts";
 * const path = await writeSummary("results/example-quadratic");
 * console.log(await Deno.readTextFile(path));
 * ```
 */
export async function writeSummary(dir: string): Promise<string> {
  const path = joinPath(dir, "summary.csv");
  await writeFileAtomic(path, (await loadResults(dir)).toCSV() + "\n");
  return path;
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
