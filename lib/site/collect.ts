/**
 * What the results browser shows of one results directory: its headline fits (`fits.json`'s
 * `headline`), its figures (every `NAME.vl.json`, made self-contained and compact), its trials
 * as a table, and every trial's training history. Two layouts are read: a sweep's
 * `trials/*.json` records, and a run table (`summary.csv` with one row per run, `history.csv`
 * with one row per run and pass, keyed by `variant` and `seed`, as `deno task repro` writes).
 *
 * @module
 */

import * as aq from "arquero";
import { compactPlotData } from "../plot/compact.ts";
import { readSelfContainedSpec } from "../plot/data.ts";
import { PLOT_SPEC_SUFFIX } from "../plot/directory.ts";
import { formatNumber } from "../plot/format.ts";
import type { PlotSpec } from "../plot/spec.ts";
import { trainingCurvesSpec } from "../plot/training_curves.ts";
import { readTrialRecords } from "../sweep/store.ts";

/** A table of trials: column names and one row of values per trial. */
export interface TrialTable {
  /** Columns in display order; `id` first. */
  columns: string[];
  /** Which columns are numbers (sorted numerically, drawn right-aligned). */
  numeric: string[];
  rows: (string | number | null)[][];
}

/** Every trial's history, columnar: `trials[id]` holds rows of `columns`. */
export interface TrialHistories {
  /** `step` (or `pass`) first, then the reported metrics. */
  columns: string[];
  trials: Record<string, (number | null)[][]>;
}

/** A curve chart the page can draw: a Vega-Lite template whose rows it replaces. */
export interface CurveChart {
  /** The metric on the y axis. */
  metric: string;
  /** The field on the x axis. */
  x: string;
  /** The template, drawn with the first trials' curves; the page swaps in the selected ones. */
  spec: PlotSpec;
}

/** A figure of the directory. */
export interface Figure {
  /** File name without `.vl.json`. */
  name: string;
  /** The spec with its data inline (compact). */
  spec: PlotSpec;
  /** Rendered files beside the spec that exist (`NAME.png`, `NAME.svg`). */
  files: string[];
}

/** Everything the browser shows of one experiment. */
export interface ExperimentData {
  /** Directory name, e.g. `gpt-model-size`. */
  name: string;
  /** Headline results, one line each. */
  headline: string[];
  figures: Figure[];
  trials: TrialTable;
  /** Label of each trial for legends: its varying settings. */
  labels: Record<string, string>;
  histories: TrialHistories;
  curves: CurveChart[];
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

async function figuresOf(dir: string): Promise<Figure[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.endsWith(PLOT_SPEC_SUFFIX)) names.push(entry.name);
  }
  const figures: Figure[] = [];
  for (const file of names.sort()) {
    const name = file.slice(0, -PLOT_SPEC_SUFFIX.length);
    const spec = compactPlotData(await readSelfContainedSpec(`${dir}/${file}`));
    const files = [];
    for (const ext of ["png", "svg"]) {
      if (await exists(`${dir}/${name}.${ext}`)) files.push(`${name}.${ext}`);
    }
    figures.push({ name, spec, files });
  }
  return figures;
}

async function headlineOf(dir: string): Promise<string[]> {
  if (!await exists(`${dir}/fits.json`)) return [];
  const fits = JSON.parse(await Deno.readTextFile(`${dir}/fits.json`));
  return Array.isArray(fits.headline) ? fits.headline.map(String) : [];
}

/** A value as the table shows it: numbers at four significant digits, objects as JSON. */
function cell(value: unknown): string | number | null {
  if (typeof value === "number") {
    return Number.isFinite(value) ? Number(value.toPrecision(4)) : null;
  }
  if (value === null || value === undefined) return null;
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** Config keys whose value differs between trials (the ones worth a column). */
function varying(configs: readonly Record<string, unknown>[]): string[] {
  const keys = [...new Set(configs.flatMap((c) => Object.keys(c)))];
  return keys.filter((key) => new Set(configs.map((c) => JSON.stringify(c[key]))).size > 1);
}

/**
 * The keys that tell trials apart: in config order (a sweep's axes come before what it derives
 * from them), each key kept unless the keys kept so far already determine its value.
 */
function distinguishing(configs: readonly Record<string, unknown>[], keys: readonly string[]) {
  const kept: string[] = [];
  for (const key of keys) {
    const seen = new Map<string, string>();
    const determined = configs.every((c) => {
      const context = JSON.stringify(kept.map((k) => c[k]));
      const value = JSON.stringify(c[key]);
      if (!seen.has(context)) seen.set(context, value);
      return seen.get(context) === value;
    });
    if (!determined) kept.push(key);
  }
  return kept;
}

function labelOf(config: Record<string, unknown>, keys: readonly string[]): string {
  return keys.map((key) => {
    const value = config[key];
    const shown = typeof value !== "number"
      ? String(value)
      : Math.abs(value) >= 1e5
      ? formatNumber(value)
      : String(Number(value.toPrecision(4)));
    return `${key} ${shown}`;
  }).join(" · ");
}

interface Trials {
  table: TrialTable;
  labels: Record<string, string>;
  histories: TrialHistories;
  /** Headline lines the trials themselves give (a run table's means), if any. */
  headline?: string[];
}

async function sweepTrials(dir: string): Promise<Trials> {
  const { records } = await readTrialRecords(dir);
  const all = [...records.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  const keys = varying(all.map((r) => r.config)).filter((key) =>
    all.every((r) => typeof r.config[key] !== "object" || r.config[key] === null)
  );
  const metrics = [...new Set(all.flatMap((r) => Object.keys(r.metrics)))].filter((m) =>
    all.some((r) => typeof r.metrics[m] === "number")
  );
  const columns = ["id", "status", ...keys, ...metrics];
  const rows = all.map((r) => [
    r.id.slice(0, 8),
    r.status,
    ...keys.map((k) => cell(r.config[k])),
    ...metrics.map((m) => cell(r.metrics[m])),
  ]);
  const numeric = columns.filter((_, c) =>
    rows.every((row) => row[c] === null || typeof row[c] === "number")
  );
  const reported = [
    ...new Set(all.flatMap((r) => r.history.flatMap((h) => Object.keys(h.metrics)))),
  ].filter((m) => all.some((r) => r.history.some((h) => typeof h.metrics[m] === "number")));
  const histories: TrialHistories = { columns: ["step", ...reported], trials: {} };
  const labels: Record<string, string> = {};
  const named = distinguishing(all.map((r) => r.config), keys);
  for (const r of all) {
    const id = r.id.slice(0, 8);
    labels[id] = labelOf(r.config, named) || id;
    histories.trials[id] = r.history.map((h) => [
      h.step,
      ...reported.map((m) => {
        const v = h.metrics[m];
        return typeof v === "number" && Number.isFinite(v) ? Number(v.toPrecision(4)) : null;
      }),
    ]);
  }
  return { table: { columns, numeric, rows }, labels, histories };
}

/** A run table (`summary.csv` + `history.csv`, runs keyed by variant and seed). */
async function runTrials(dir: string): Promise<Trials> {
  // A row without a variant is the blank line some writers end the file with.
  const read = async (file: string) =>
    (aq.fromCSV(await Deno.readTextFile(`${dir}/${file}`)).objects() as Record<string, unknown>[])
      .filter((row) => row.variant !== null && row.variant !== undefined);
  const summary = await read("summary.csv");
  const history = await read("history.csv");
  const idOf = (row: Record<string, unknown>) => `${row.variant}-seed${row.seed}`;
  const columns = ["id", ...Object.keys(summary[0] ?? {})];
  const rows = summary.map((row) => [idOf(row), ...columns.slice(1).map((c) => cell(row[c]))]);
  const numeric = columns.filter((_, c) =>
    rows.every((row) => row[c] === null || typeof row[c] === "number")
  );
  const keyColumns = new Set(["variant", "seed", "pass"]);
  const reported = Object.keys(history[0] ?? {}).filter((c) =>
    !keyColumns.has(c) && c !== "seconds" && history.every((h) => typeof h[c] === "number")
  );
  const histories: TrialHistories = { columns: ["pass", ...reported], trials: {} };
  const labels: Record<string, string> = {};
  for (const row of summary) labels[idOf(row)] = `${row.variant} · seed ${row.seed}`;
  for (const h of history) {
    (histories.trials[idOf(h)] ??= []).push([
      Number(h.pass),
      ...reported.map((m) => Number(Number(h[m]).toPrecision(4))),
    ]);
  }
  const byVariant = new Map<string, number[]>();
  for (const row of summary.filter((r) => typeof r.test_error === "number")) {
    byVariant.set(String(row.variant), [
      ...(byVariant.get(String(row.variant)) ?? []),
      Number(row.test_error),
    ]);
  }
  const headline = [...byVariant].map(([variant, errors]) => {
    const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
    const std = errors.length > 1
      ? Math.sqrt(errors.reduce((a, e) => a + (e - mean) ** 2, 0) / (errors.length - 1))
      : 0;
    return `${variant}: test error ${mean.toFixed(2)}% ± ${std.toFixed(2)} ` +
      `(${errors.length} run${errors.length === 1 ? "" : "s"})`;
  });
  return { table: { columns, numeric, rows }, labels, histories, headline };
}

/** Curve templates: one per reported metric, against tokens when reported, else the step. */
function curveCharts(trials: Trials): CurveChart[] {
  const { columns, trials: byId } = trials.histories;
  const ids = Object.keys(byId);
  const xField = columns.includes("tokens") ? "tokens" : columns[0];
  const xIndex = columns.indexOf(xField);
  const charts: CurveChart[] = [];
  for (const metric of columns.slice(1)) {
    if (metric === "tokens" || metric === "flops" || metric === "lr") continue;
    const k = columns.indexOf(metric);
    const rowsOf = (id: string) =>
      byId[id].filter((p) => p[k] !== null && p[xIndex] !== null && p[xIndex]! > 0)
        .map((p) => ({ [xField]: p[xIndex], [metric]: p[k], trial: trials.labels[id] }));
    const all = ids.flatMap(rowsOf);
    if (all.length === 0) continue;
    const positive = all.every((row) => Number(row[metric]) > 0);
    const sample = ids.slice(0, 3).flatMap(rowsOf);
    charts.push({
      metric,
      x: xField,
      spec: trainingCurvesSpec(sample.length > 0 ? sample : all.slice(0, 1), {
        x: xField,
        y: metric,
        color: "trial",
        logY: positive,
        colorTitle: "trial",
        xTitle: xField,
        yTitle: metric,
        width: 520,
        height: 300,
      }),
    });
  }
  return charts;
}

/**
 * Reads what the browser shows of results directory `dir`.
 *
 * @example
 * ```ts
 * const data = await collectExperiment("results/gpt-model-size");
 * data.trials.rows.length; // 6
 * ```
 */
export async function collectExperiment(dir: string): Promise<ExperimentData> {
  const name = dir.replace(/\/+$/, "").split("/").pop()!;
  const trials = await exists(`${dir}/trials`)
    ? await sweepTrials(dir)
    : await exists(`${dir}/summary.csv`) && await exists(`${dir}/history.csv`)
    ? await runTrials(dir)
    : {
      table: { columns: [], numeric: [], rows: [] },
      labels: {},
      histories: { columns: [], trials: {} },
    };
  return {
    name,
    headline: trials.headline ?? await headlineOf(dir),
    figures: await figuresOf(dir),
    trials: trials.table,
    labels: trials.labels,
    histories: trials.histories,
    curves: curveCharts(trials),
  };
}
