/**
 * What every experiment analysis shares: reading a results directory's finished trials, writing
 * the fits JSON atomically, and writing a plot spec and rendering it to SVG and PNG beside it.
 *
 * @module
 */
import { renderPlotFile, writePlotSpec } from "../plot/directory.ts";
import { orderByValue } from "../plot/format.ts";
import type { PlotSpec, PlotTitle } from "../plot/spec.ts";
import { trainingCurvesSpec } from "../plot/training_curves.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { readTrialRecords, type TrialRecord } from "../sweep/store.ts";

/** What an analysis wrote and found. */
export interface AnalysisReport {
  /** The fits JSON. */
  fits: string;
  /** Rendered plots (PNG paths; the SVG and the `.vl.json` spec lie beside each). */
  plots: string[];
  /** One line per headline number, for the terminal. */
  lines: string[];
}

/**
 * Trials of a results directory by status; throws a one-line error when none finished ok.
 *
 * @example
 * ```ts
 * const { ok, other } = await finishedTrials("results/gpt-model-size");
 * ```
 */
export async function finishedTrials(
  dir: string,
): Promise<{ ok: TrialRecord[]; other: TrialRecord[] }> {
  const { records } = await readTrialRecords(dir);
  const all = [...records.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  const ok = all.filter((r) => r.status === "ok");
  if (ok.length === 0) {
    throw new Error(`${dir}: no finished trials to analyze (${all.length} recorded, none ok)`);
  }
  return { ok, other: all.filter((r) => r.status !== "ok") };
}

/**
 * A numeric metric of a trial record; throws naming the trial when it is missing.
 *
 * @example
 * ```ts
 * const loss = metric(record, "loss");
 * ```
 */
export function metric(record: TrialRecord, name: string): number {
  const value = record.metrics[name];
  if (typeof value !== "number") {
    throw new Error(`trial ${record.id} has no numeric metric "${name}"`);
  }
  return value;
}

/**
 * A numeric config value of a trial record.
 *
 * @example
 * ```ts
 * const width = configNumber(record, "width");
 * ```
 */
export function configNumber(record: TrialRecord, name: string): number {
  const value = record.config[name];
  if (typeof value !== "number") throw new Error(`trial ${record.id} has no numeric "${name}"`);
  return value;
}

/**
 * Writes `value` as pretty JSON, atomically.
 *
 * @example
 * ```ts
 * await writeJson("results/gpt-model-size/fits.json", { alphaN: 0.1 });
 * ```
 */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/**
 * Writes `DIR/NAME.vl.json` and renders it to `NAME.svg` and `NAME.png`; returns the PNG path.
 * Throws when a panel of the rendered plot shows no visible mark.
 *
 * @example
 * ```ts
 * await writePlot("results/gpt-model-size", "loss-vs-n", spec);
 * ```
 */
export async function writePlot(dir: string, name: string, spec: PlotSpec): Promise<string> {
  const path = `${dir.replace(/\/+$/, "")}/${name}.vl.json`;
  await writePlotSpec(path, spec);
  const rendered = await renderPlotFile(path);
  if (rendered.problems.length > 0) throw new Error(rendered.problems.join("; "));
  return rendered.png;
}

/** How {@link validationCurvesSpec} names, orders and groups the trials' curves. */
export interface CurveGrouping {
  /** The curve's colour label (trials with one label share a colour). */
  label: (record: TrialRecord) => string;
  /** A number ordering the labels (default: natural order of the labels). */
  order?: (record: TrialRecord) => number;
  /** A panel label: one panel per value (default: one panel). */
  panel?: (record: TrialRecord) => string;
  /** A number ordering the panels. */
  panelOrder?: (record: TrialRecord) => number;
  /** Colours from a sequential scheme (labels that form a scale). */
  sequential?: boolean;
  colorTitle: string;
  title: PlotTitle;
}

/** Labels of `records` ordered by a number each has. */
function labelsByValue(
  records: readonly TrialRecord[],
  label: (record: TrialRecord) => string,
  value: ((record: TrialRecord) => number) | undefined,
): string[] | undefined {
  return value && orderByValue(records.map((r) => [label(r), value(r)] as const));
}

/**
 * Held-out loss curves of every trial against training tokens, coloured (and optionally
 * panelled) by `grouping`; the trial id separates curves that share a colour.
 *
 * @example
 * ```ts
 * const spec = validationCurvesSpec(ok, {
 *   label: (r) => `N = ${r.metrics.n}`, order: (r) => Number(r.metrics.n),
 *   colorTitle: "model size", title: "held-out loss during training",
 * });
 * ```
 */
export function validationCurvesSpec(
  records: readonly TrialRecord[],
  grouping: CurveGrouping,
): PlotSpec {
  const rows = records.flatMap((record) =>
    record.history
      .filter((point) => typeof point.metrics.val_loss === "number")
      .map((point) => ({
        tokens: point.metrics.tokens,
        val_loss: point.metrics.val_loss,
        config: grouping.label(record),
        trial: record.id,
        ...(grouping.panel ? { panel: grouping.panel(record) } : {}),
      }))
  );
  const panelOrder = grouping.panel &&
    labelsByValue(records, grouping.panel, grouping.panelOrder);
  return trainingCurvesSpec(rows, {
    x: "tokens",
    y: "val_loss",
    detail: "trial",
    order: labelsByValue(records, grouping.label, grouping.order),
    sequential: grouping.sequential,
    ...(grouping.panel
      ? { facet: { field: "panel", order: panelOrder, columns: panelOrder!.length === 4 ? 2 : 3 } }
      : {}),
    xTitle: "training tokens",
    yTitle: "held-out loss (nats/token)",
    colorTitle: grouping.colorTitle,
    title: grouping.title,
  });
}

/**
 * A value with its bootstrap interval, as `0.123 [0.101, 0.145]`.
 *
 * @example
 * ```ts
 * withInterval(-0.12, { lower: -0.15, upper: -0.09 }); // "-0.120 [-0.150, -0.090]"
 * ```
 */
export function withInterval(value: number, interval: { lower: number; upper: number }): string {
  const f = (v: number) => v.toPrecision(3);
  return `${f(value)} [${f(interval.lower)}, ${f(interval.upper)}]`;
}
