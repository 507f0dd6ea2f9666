/**
 * `deno task fit TABLE.csv --law chinchilla|kaplan|power|isoflop [...]`: fits a scaling law to
 * a results table and prints its parameters (with bootstrap intervals when asked) and a
 * residual summary, as text or as one JSON document (`--json`); `--plot FILE.vl.json` also
 * writes a Vega-Lite spec of the fit for `deno task plots`. Run with `--help` for the flags.
 *
 * Exit status: 0 on success, 2 for bad usage or a bad table, 1 when the fit itself fails.
 *
 * @module
 */

import { writePlotSpec } from "../plot/directory.ts";
import { isoFlopFigureSpec } from "../plot/isoflop_plot.ts";
import { scalingPlotSpec } from "../plot/scaling_plot.ts";
import type { PlotSpec } from "../plot/spec.ts";
import { BootstrapFailure, type BootstrapSummary } from "../scaling/bootstrap.ts";
import { fitChinchilla } from "../scaling/chinchilla.ts";
import { computeOptimalAllocation } from "../scaling/compute_optimal.ts";
import { formatConstant } from "../scaling/format.ts";
import { isoFlopApproach, type IsoFlopResult } from "../scaling/isoflop.ts";
import { fitKaplanD, fitKaplanN, fitKaplanND } from "../scaling/kaplan.ts";
import type { LawFit } from "../scaling/law_fit.ts";
import { fitPowerLaw, predictPowerLaw } from "../scaling/power_law.ts";
import { type CsvTable, excludeHighest, positiveColumn, readCsvTable } from "../scaling/table.ts";
import { UsageError } from "./args.ts";
import { FIT_USAGE, type FitArgs, parseFitArgs } from "./fit_args.ts";
import { prepareOutput } from "./sandbox.ts";

/** A bad table: missing file or column, bad value, too few rows. */
class TableError extends Error {}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The columns a fit uses, after exclusion (`n` holds x for the power law). */
interface FitColumns {
  n?: number[];
  d?: number[];
  flops?: number[];
  loss: number[];
  rows: number;
  points: number;
}

async function readColumns(args: FitArgs): Promise<FitColumns> {
  try {
    const table: CsvTable = await readCsvTable(args.table);
    const lossColumn = args.law === "power" ? args.y! : args.loss;
    const used = [args.n, args.d, args.c, args.x, lossColumn].filter((c) => c !== undefined);
    for (const column of used) positiveColumn(table, column);
    const kept = excludeHighest(table, lossColumn, args.excludeTop);
    const column = (name?: string) => name === undefined ? undefined : positiveColumn(kept, name);
    const n = column(args.law === "power" ? args.x : args.n);
    let d = column(args.d);
    let flops = column(args.c);
    if (flops && n) d = flops.map((c, i) => c / (6 * n[i]));
    else if (d && n) flops = d.map((tokens, i) => 6 * n[i] * tokens);
    return {
      n,
      d,
      flops,
      loss: column(lossColumn)!,
      rows: table.numRows(),
      points: kept.numRows(),
    };
  } catch (error) {
    throw new TableError(messageOf(error));
  }
}

type AnyFit = LawFit<object>;

/** A fitted law and the plot that shows it. */
interface FittedLaw {
  fit: AnyFit;
  plot: () => PlotSpec;
}

/** Too few points for the law is a property of the table, so it is reported as one. */
function asTableError<T>(fit: () => T): T {
  try {
    return fit();
  } catch (error) {
    throw / were given; at least/.test(messageOf(error)) ? new TableError(messageOf(error)) : error;
  }
}

function fitOptions(args: FitArgs) {
  return {
    bootstrap: args.bootstrap === undefined
      ? undefined
      : { resamples: args.bootstrap, seed: args.seed, level: args.level },
  };
}

/** The bootstrap's settings and intervals for `--json` (nothing without `--bootstrap`). */
function bootstrapJson(boot: BootstrapSummary | undefined) {
  return boot
    ? {
      bootstrap: {
        resamples: boot.resamples,
        seed: boot.seed,
        level: boot.level,
        failed: boot.failed,
      },
      intervals: boot.intervals,
    }
    : {};
}

/** A table of quantities with their estimates and, when bootstrapped, their intervals. */
function quantityLines(quantities: Record<string, number>, boot?: BootstrapSummary): string[] {
  const failed = boot && boot.failed > 0 ? `, ${boot.failed} failed` : "";
  const width = Math.max(10, ...Object.keys(quantities).map((name) => name.length + 2));
  const lines = [
    "quantity".padEnd(width) + "estimate      " +
    (boot
      ? `${
        Math.round(boot.level * 100)
      }% interval (${boot.resamples} resamples, seed ${boot.seed}${failed})`
      : ""),
  ];
  for (const [name, value] of Object.entries(quantities)) {
    const interval = boot?.intervals[name];
    const range = interval
      ? `[${formatConstant(interval.lower)}, ${formatConstant(interval.upper)}]`
      : "";
    lines.push(name.padEnd(width) + formatConstant(value, 5).padEnd(14) + range);
  }
  return lines;
}

function chinchillaLaw(args: FitArgs, columns: FitColumns): FittedLaw {
  const { n, d, flops, loss } = columns;
  const fit = asTableError(() => fitChinchilla({ n: n!, d: d!, loss }, fitOptions(args)));
  const plot = () =>
    scalingPlotSpec(loss.map((l, i) => ({ flops: flops![i], n: n![i], loss: l })), {
      x: "flops",
      y: "loss",
      xTitle: "compute C = 6ND (FLOPs)",
      color: { field: "n", type: "quantitative", log: true, title: "parameters N" },
      laws: [{
        label: `${fit.equation}, at N_opt(C)`,
        predict: (c) => computeOptimalAllocation(fit.params, c).loss,
      }],
      title: `Chinchilla fit (${columns.points} runs)`,
    });
  return { fit, plot };
}

function powerLaw(args: FitArgs, columns: FitColumns): FittedLaw {
  const { n: x, loss: y } = columns;
  const fit = asTableError(() =>
    fitPowerLaw({ x: x!, y }, { ...fitOptions(args), irreducible: args.irreducible })
  );
  const plot = () =>
    scalingPlotSpec(y.map((value, i) => ({ x: x![i], y: value })), {
      x: "x",
      y: "y",
      xTitle: args.x,
      yTitle: args.y,
      laws: [{ label: fit.equation, predict: (v) => predictPowerLaw(fit.params, v) }],
      title: "power-law fit",
    });
  return { fit, plot };
}

function kaplanLaw(args: FitArgs, columns: FitColumns): FittedLaw {
  const { n, d, loss } = columns;
  const options = fitOptions(args);
  const curve = (x: number[], title: string, label: string, predict: (v: number) => number) =>
    scalingPlotSpec(loss.map((l, i) => ({ x: x[i], loss: l, ...(d ? { d: d[i] } : {}) })), {
      x: "x",
      y: "loss",
      xTitle: title,
      ...(n && d
        ? { color: { field: "d", type: "quantitative" as const, log: true, title: "tokens D" } }
        : {}),
      laws: [{ label, predict }],
      title: "Kaplan fit",
    });
  if (n && d) {
    const fit = asTableError(() => fitKaplanND({ n, d, loss }, options));
    const { Nc, alphaN } = fit.params;
    const label = `${fit.equation}; drawn at D → ∞`;
    return { fit, plot: () => curve(n, "parameters N", label, (v) => (Nc / v) ** alphaN) };
  }
  if (n) {
    const fit = asTableError(() => fitKaplanN({ n, loss }, options));
    const { Nc, alphaN } = fit.params;
    return { fit, plot: () => curve(n, "parameters N", fit.equation, (v) => (Nc / v) ** alphaN) };
  }
  const fit = asTableError(() => fitKaplanD({ d: d!, loss }, options));
  const { Dc, alphaD } = fit.params;
  return { fit, plot: () => curve(d!, "tokens D", fit.equation, (v) => (Dc / v) ** alphaD) };
}

function fitJson(args: FitArgs, columns: FitColumns, fit: AnyFit): Record<string, unknown> {
  return {
    law: fit.law,
    ...fit.params,
    ...fit.derived,
    equation: fit.equation,
    table: args.table,
    rows: columns.rows,
    excluded: args.excludeTop,
    points: columns.points,
    objective: fit.objective,
    residuals: fit.residuals,
    starts: fit.starts,
    evaluations: fit.evaluations,
    fitMilliseconds: Math.round(fit.fitMilliseconds),
    ...bootstrapJson(fit.bootstrap),
  };
}

function tableLine(args: FitArgs, columns: FitColumns, extra = ""): string {
  const derived = args.c && args.law !== "power" ? `; D = C/(6N) from "${args.c}"` : "";
  return `table ${args.table}: ${columns.rows} rows, ${args.excludeTop} highest-loss excluded, ` +
    `${columns.points} used${derived}${extra}`;
}

function fitText(args: FitArgs, columns: FitColumns, fit: AnyFit): string {
  const quantities = { ...(fit.params as Record<string, number>), ...fit.derived };
  const lines = [
    `${fit.law} fit: ${fit.equation}`,
    tableLine(args, columns),
    "",
    ...quantityLines(quantities, fit.bootstrap),
  ];
  const r = fit.residuals;
  lines.push(
    "",
    `log residuals: rmse ${formatConstant(r.rmse, 3)}, mean |r| ${
      formatConstant(r.meanAbsolute, 3)
    }, max |r| ${formatConstant(r.maxAbsolute, 3)} over ${r.count} points`,
    `fit: ${fit.starts} starts, ${fit.evaluations} evaluations, ${
      (fit.fitMilliseconds / 1000).toFixed(2)
    } s`,
  );
  return lines.join("\n");
}

function isoFlopJson(args: FitArgs, columns: FitColumns, result: IsoFlopResult) {
  return {
    law: "isoflop",
    ...result.law,
    tokensPerParameter: result.tokensPerParameter,
    table: args.table,
    rows: columns.rows,
    excluded: args.excludeTop,
    points: columns.points,
    profiles: result.profiles.map((p) => ({
      flops: p.flops,
      runs: p.runs.length,
      nOpt: p.nOpt,
      dOpt: p.dOpt,
      lossOpt: p.lossOpt,
      interior: p.interior,
      parabola: p.parabola,
    })),
    skipped: result.skipped,
    unassigned: result.unassigned,
    ...bootstrapJson(result.bootstrap),
  };
}

function isoFlopText(args: FitArgs, columns: FitColumns, result: IsoFlopResult): string {
  const { law } = result;
  const lines = [
    `isoflop (approach 2): N_opt = ${formatConstant(law.nCoefficient)}·C^${
      formatConstant(law.a)
    }, D_opt = ${formatConstant(law.dCoefficient)}·C^${formatConstant(law.b)}`,
    tableLine(args, columns, `, ${result.unassigned} matched no budget`),
    "",
    "budget C    runs  N_opt       D_opt       loss at N_opt",
  ];
  for (const p of result.profiles) {
    lines.push(
      formatConstant(p.flops, 2).padEnd(12) + String(p.runs.length).padEnd(6) +
        formatConstant(p.nOpt, 3).padEnd(12) + formatConstant(p.dOpt, 3).padEnd(12) +
        formatConstant(p.lossOpt) + (p.interior ? "" : "  (minimum outside the sampled sizes)"),
    );
  }
  for (const s of result.skipped) {
    lines.push(`skipped ${formatConstant(s.flops, 2)} (${s.runs} runs): ${s.reason}`);
  }
  const quantities = { ...law, tokensPerParameter: result.tokensPerParameter };
  lines.push("", ...quantityLines(quantities, result.bootstrap));
  if (result.bootstrap) {
    lines.push(
      "(runs resampled within each budget; a failed resample has a budget with fewer than 3 " +
        "distinct sizes or a parabola opening downward)",
    );
  }
  return lines.join("\n");
}

function isoFlopLaw(args: FitArgs, columns: FitColumns): { text: string; plot: () => PlotSpec } {
  const runs = columns.loss.map((loss, i) => ({
    n: columns.n![i],
    flops: columns.flops![i],
    loss,
  }));
  let result: IsoFlopResult;
  try {
    result = isoFlopApproach(runs, {
      budgets: args.budgets,
      tolerance: args.tolerance,
      ...fitOptions(args),
    });
  } catch (error) {
    // Too few bootstrap refits is a failed fit; every other error is about the table.
    throw error instanceof BootstrapFailure ? error : new TableError(messageOf(error));
  }
  return {
    text: args.json
      ? JSON.stringify(isoFlopJson(args, columns, result), null, 2)
      : isoFlopText(args, columns, result),
    plot: () =>
      isoFlopFigureSpec(result, [], { title: "IsoFLOP analysis (Chinchilla approach 2)" }),
  };
}

/**
 * Runs `deno task fit` with `args` and returns its exit status.
 *
 * @example
 * ```ts
 * import { fitCommand } from "./fit.ts";
 * await fitCommand(["runs.csv", "--law", "power", "--x", "flops", "--y", "loss", "--json"]);
 * ```
 */
export async function fitCommand(args: readonly string[]): Promise<number> {
  try {
    const parsed = parseFitArgs(args);
    if (parsed.help) {
      console.log(FIT_USAGE);
      return 0;
    }
    if (parsed.plot !== undefined) {
      prepareOutput(parsed.plot, { flag: "--plot", task: "fit", kind: "file" });
    }
    const columns = await readColumns(parsed);
    let outcome: { text: string; plot: () => PlotSpec };
    if (parsed.law === "isoflop") {
      outcome = isoFlopLaw(parsed, columns);
    } else {
      const fitted = parsed.law === "chinchilla"
        ? chinchillaLaw(parsed, columns)
        : parsed.law === "power"
        ? powerLaw(parsed, columns)
        : kaplanLaw(parsed, columns);
      outcome = {
        text: parsed.json
          ? JSON.stringify(fitJson(parsed, columns, fitted.fit), null, 2)
          : fitText(parsed, columns, fitted.fit),
        plot: fitted.plot,
      };
    }
    console.log(outcome.text);
    if (parsed.plot !== undefined) await writePlotSpec(parsed.plot, outcome.plot());
    return 0;
  } catch (error) {
    console.error(`error: ${messageOf(error).split("\n")[0]}`);
    return error instanceof UsageError || error instanceof TableError ? 2 : 1;
  }
}

if (import.meta.main) Deno.exit(await fitCommand(Deno.args));
