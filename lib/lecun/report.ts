/**
 * Reporting of LeCun 1989 runs: per-variant summaries (mean ± std over seeds) beside the
 * published numbers, the text table of `deno task repro`, its JSON document, and result files
 * (per-run JSON with history, history and summary CSVs, a Markdown summary), written
 * atomically.
 *
 * @module
 */
import * as aq from "arquero";
import { writeFileAtomic } from "../sweep/atomic.ts";
import { findVariant, type LecunVariant, VARIANTS } from "./config.ts";
import type { RunResult } from "./run.ts";

/** Mean and sample standard deviation (0 for one value). */
export interface MeanStd {
  mean: number;
  std: number;
}

/**
 * Mean and sample standard deviation of `values`.
 *
 * @example
 * ```ts
 * meanStd([1, 2, 3]); // { mean: 2, std: 1 }
 * ```
 */
export function meanStd(values: readonly number[]): MeanStd {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}

/** All runs of one variant, summarized. */
export interface VariantSummary {
  variant: string;
  passes: number;
  trainSize: number;
  seeds: number[];
  /** Final train error, percent. */
  trainError: MeanStd;
  /** Final test error, percent. */
  testError: MeanStd;
  testMisses: MeanStd;
  /** Wall seconds of the training (compilation excluded), mean over the variant's runs. */
  wallSeconds: number;
  /** Published single-run numbers of the named variant, if it is one. */
  published: LecunVariant["published"];
}

/**
 * Groups results by variant (in order of first appearance) and summarizes each.
 *
 * @example
 * ```ts
 * const [summary] = summarizeVariants(results);
 * console.log(summary.testError.mean);
 * ```
 */
export function summarizeVariants(results: readonly RunResult[]): VariantSummary[] {
  const byVariant = new Map<string, RunResult[]>();
  for (const r of results) {
    byVariant.set(r.config.variant, [...(byVariant.get(r.config.variant) ?? []), r]);
  }
  return [...byVariant.entries()].map(([variant, runs]) => ({
    variant,
    passes: runs[0].config.passes,
    trainSize: runs[0].config.trainSize,
    seeds: runs.map((r) => r.config.seed),
    trainError: meanStd(runs.map((r) => r.final.train.error)),
    testError: meanStd(runs.map((r) => r.final.test.error)),
    testMisses: meanStd(runs.map((r) => r.final.test.misses)),
    wallSeconds: meanStd(runs.map((r) => r.wallSeconds)).mean,
    published: publishedOf(variant),
  }));
}

function publishedOf(variant: string): LecunVariant["published"] {
  try {
    return findVariant(variant).published;
  } catch {
    return {};
  }
}

const pct = (v: number) => `${v.toFixed(2)}%`;
const pm = (m: MeanStd, n: number) => n > 1 ? `${pct(m.mean)} ± ${m.std.toFixed(2)}` : pct(m.mean);

/**
 * The text table of `deno task repro`: variant | passes | train err | test err (misses) |
 * published repro | paper | wall time, with mean ± std when a variant has several seeds.
 *
 * @example
 * ```ts
 * console.log(formatTable(summarizeVariants(results)));
 * ```
 */
export function formatTable(summaries: readonly VariantSummary[]): string {
  const header = [
    "variant",
    "passes",
    "train err",
    "test err (misses)",
    "published repro",
    "paper",
    "wall time",
  ];
  const rows = summaries.map((s) => {
    const n = s.seeds.length;
    const misses = n > 1 ? s.testMisses.mean.toFixed(1) : s.testMisses.mean.toFixed(0);
    const p = s.published;
    const repro = p.reproTest === undefined
      ? "-"
      : `${p.reproTrain === undefined ? "" : `${pct(p.reproTrain)} / `}${pct(p.reproTest)}`;
    const paper = p.paperTest === undefined
      ? "-"
      : `${pct(p.paperTrain ?? NaN)} / ${pct(p.paperTest)}`;
    return [
      `${s.variant}${n > 1 ? ` (${n} seeds)` : ""}`,
      String(s.passes),
      pm(s.trainError, n),
      `${pm(s.testError, n)} (${misses})`,
      repro,
      paper,
      `${s.wallSeconds.toFixed(1)} s`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(" | ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("-|-"), ...rows.map(line)].join("\n");
}

/** One run in the `--json` document of `deno task repro`. */
export interface RunSummaryJson {
  variant: string;
  seed: number;
  passes: number;
  trainSize: number;
  trainError: number;
  testError: number;
  trainMisses: number;
  testMisses: number;
  wallSeconds: number;
}

/**
 * The `--json` document: adapter and one entry per run (errors in percent).
 *
 * @example
 * ```ts
 * console.log(JSON.stringify(reproJson(gpu.adapterName, results)));
 * ```
 */
export function reproJson(
  adapter: string,
  results: readonly RunResult[],
): { adapter: string; runs: RunSummaryJson[] } {
  return {
    adapter,
    runs: results.map((r) => ({
      variant: r.config.variant,
      seed: r.config.seed,
      passes: r.config.passes,
      trainSize: r.config.trainSize,
      trainError: r.final.train.error,
      testError: r.final.test.error,
      trainMisses: r.final.train.misses,
      testMisses: r.final.test.misses,
      wallSeconds: r.wallSeconds,
    })),
  };
}

/**
 * File name of a run's result file: `<variant>-seed<seed>.json`.
 *
 * @example
 * ```ts
 * runFileName(lecunConfig("modern", { seed: 3 })); // "modern-seed3.json"
 * ```
 */
export function runFileName(config: { variant: string; seed: number }): string {
  return `${config.variant}-seed${config.seed}.json`;
}

/**
 * Writes one run's result file (config, final metrics, per-pass history, timings, adapter)
 * into `dir/runs/`, atomically.
 *
 * @example
 * ```ts
 * await writeRunFile("results/lecun1989", result);
 * ```
 */
export async function writeRunFile(dir: string, result: RunResult): Promise<void> {
  await Deno.mkdir(`${dir}/runs`, { recursive: true });
  await writeFileAtomic(
    `${dir}/runs/${runFileName(result.config)}`,
    JSON.stringify(result, null, 2) + "\n",
  );
}

/**
 * Every run result file in `dir/runs/` (written by {@link writeRunFile}), sorted by variant
 * ladder order, then seed; an empty list when there is none.
 *
 * @example
 * ```ts
 * const results = await readRunFiles("results/lecun1989");
 * ```
 */
export async function readRunFiles(dir: string): Promise<RunResult[]> {
  const results: RunResult[] = [];
  try {
    for await (const entry of Deno.readDir(`${dir}/runs`)) {
      if (!entry.isFile || !entry.name.endsWith(".json")) continue;
      const path = `${dir}/runs/${entry.name}`;
      try {
        results.push(JSON.parse(await Deno.readTextFile(path)) as RunResult);
      } catch (error) {
        throw new Error(`${path}: not a run result file (${(error as Error).message})`);
      }
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const order = (variant: string) => {
    const i = VARIANTS.findIndex((v) => v.name === variant);
    return i < 0 ? VARIANTS.length : i;
  };
  return results.sort((a, b) =>
    order(a.config.variant) - order(b.config.variant) ||
    a.config.variant.localeCompare(b.config.variant) || a.config.seed - b.config.seed
  );
}

/**
 * Writes `dir/history.csv` (one row per run and pass), `dir/summary.csv` (one row per run) and
 * `dir/summary.md` (the table beside the published numbers), atomically.
 *
 * @example
 * ```ts
 * await writeSummaryFiles("results/lecun1989", results);
 * ```
 */
export async function writeSummaryFiles(dir: string, results: readonly RunResult[]): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const history = results.flatMap((r) =>
    r.history.map((h) => ({
      variant: r.config.variant,
      seed: r.config.seed,
      pass: h.pass,
      lr: h.lr,
      train_loss: h.train.loss,
      train_error: h.train.error,
      train_misses: h.train.misses,
      test_loss: h.test.loss,
      test_error: h.test.error,
      test_misses: h.test.misses,
      seconds: h.seconds,
    }))
  );
  const runs = results.map((r) => ({
    variant: r.config.variant,
    seed: r.config.seed,
    passes: r.config.passes,
    train_size: r.config.trainSize,
    train_error: r.final.train.error,
    test_error: r.final.test.error,
    train_misses: r.final.train.misses,
    test_misses: r.final.test.misses,
    wall_seconds: r.wallSeconds,
    compile_seconds: r.compileSeconds,
    group_size: r.groupSize,
    adapter: r.adapter,
  }));
  await writeFileAtomic(`${dir}/history.csv`, aq.from(history).toCSV() + "\n");
  await writeFileAtomic(`${dir}/summary.csv`, aq.from(runs).toCSV() + "\n");
  const adapter = results[0]?.adapter ?? "";
  const markdown = [
    `# LeCun 1989 reproduction`,
    ``,
    `Adapter: ${adapter}. Errors in percent (misses out of ${
      results[0]?.final.test.count ?? 2007
    } test digits);`,
    `mean ± sample std over seeds; wall time is training plus per-pass evaluation, compilation excluded.`,
    ``,
    "```",
    formatTable(summarizeVariants(results)),
    "```",
    ``,
  ].join("\n");
  await writeFileAtomic(`${dir}/summary.md`, markdown);
  await writeFileAtomic(
    `${dir}/error-curves.vl.json`,
    JSON.stringify(errorCurvesSpec(), null, 2) + "\n",
  );
}

/**
 * A Vega-Lite spec of train (dashed) and test (solid) error per pass, mean over seeds, one
 * color per variant, reading `history.csv` beside it (`deno task plots DIR` renders it).
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("results/lecun1989/error-curves.vl.json", JSON.stringify(errorCurvesSpec()));
 * ```
 */
export function errorCurvesSpec(): Record<string, unknown> {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: "LeCun 1989 and its modernization ladder: error per pass (mean over seeds)",
    data: { url: "history.csv" },
    transform: [
      { filter: "datum.pass > 0" },
      { fold: ["train_error", "test_error"], as: ["set", "error"] },
      { calculate: "datum.set === 'test_error' ? 'test' : 'train'", as: "set" },
    ],
    mark: { type: "line", strokeWidth: 1.5 },
    encoding: {
      x: { field: "pass", type: "quantitative", title: "passes over the train set" },
      y: {
        aggregate: "mean",
        field: "error",
        type: "quantitative",
        title: "error (%)",
        scale: { type: "log" },
      },
      color: { field: "variant", type: "nominal", sort: VARIANTS.map((v) => v.name) },
      strokeDash: { field: "set", type: "nominal", sort: ["test", "train"], title: "set" },
    },
    width: 560,
    height: 320,
  };
}
