/**
 * Reporting of LeCun 1989 runs: per-variant summaries (mean ± std over seeds) beside the
 * published numbers, the text table of `deno task repro`, its JSON document, and result files
 * (per-run JSON with history, history and summary CSVs, a Markdown summary), written
 * atomically.
 *
 * @module
 */
import * as aq from "arquero";
import { writeFileAtomic } from "../io/atomic.ts";
import { trialId } from "../sweep/identity.ts";
import { canonicalJson, type Config } from "../sweep/json.ts";
import {
  findVariant,
  type LecunConfig,
  lecunConfig,
  type LecunVariant,
  validateConfig,
  VARIANTS,
} from "./config.ts";
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

/** All runs of one recipe (a config up to its seed), summarized. */
export interface VariantSummary {
  variant: string;
  /**
   * The recipe's label: the variant's name, plus what differs from the named recipe, e.g.
   * `baseline (passes 3, trainSize 200)`.
   */
  recipe: string;
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
  /** Published single-run numbers of the named variant, when the recipe is exactly its own. */
  published: LecunVariant["published"];
}

/**
 * Groups results by recipe (the whole config but its seed; in order of first appearance) and
 * summarizes each: runs of different recipes are never averaged together.
 *
 * @example
 * ```ts
 * const [summary] = summarizeVariants(results);
 * console.log(summary.testError.mean);
 * ```
 */
export function summarizeVariants(results: readonly RunResult[]): VariantSummary[] {
  const byRecipe = new Map<string, RunResult[]>();
  for (const r of results) {
    const key = canonicalJson({ ...r.config, seed: 0 } as unknown as Config);
    byRecipe.set(key, [...(byRecipe.get(key) ?? []), r]);
  }
  return [...byRecipe.values()].map((runs) => ({
    variant: runs[0].config.variant,
    recipe: recipeLabel(runs[0].config),
    passes: runs[0].config.passes,
    trainSize: runs[0].config.trainSize,
    seeds: runs.map((r) => r.config.seed),
    trainError: meanStd(runs.map((r) => r.final.train.error)),
    testError: meanStd(runs.map((r) => r.final.test.error)),
    testMisses: meanStd(runs.map((r) => r.final.test.misses)),
    wallSeconds: meanStd(runs.map((r) => r.wallSeconds)).mean,
    published: isNamedRecipe(runs[0].config) ? findVariant(runs[0].config.variant).published : {},
  }));
}

/**
 * The fields in which `config` differs from its variant's named recipe (seed aside), or null
 * when the variant has no named recipe.
 */
function recipeChanges(config: LecunConfig): string[] | null {
  let named: LecunConfig;
  try {
    named = lecunConfig(config.variant, { seed: config.seed });
  } catch {
    return null;
  }
  return (Object.keys(named) as (keyof LecunConfig)[])
    .filter((key) => canonicalJson(named[key]) !== canonicalJson(config[key]))
    .map((key) => `${key} ${config[key]}`);
}

/**
 * Whether `config` is exactly its variant's named recipe (any seed): the runs whose numbers
 * stand beside the published ones.
 *
 * @example
 * ```ts
 * isNamedRecipe(lecunConfig("baseline", { seed: 1338 })); // true
 * isNamedRecipe(lecunConfig("baseline", { passes: 1 })); // false
 * ```
 */
export function isNamedRecipe(config: LecunConfig): boolean {
  return recipeChanges(config)?.length === 0;
}

/**
 * A recipe's label: the variant, plus what differs from its named recipe.
 *
 * @example
 * ```ts
 * recipeLabel(lecunConfig("baseline", { passes: 3, trainSize: 200 })); // "baseline (passes 3, trainSize 200)"
 * ```
 */
export function recipeLabel(config: LecunConfig): string {
  const changes = recipeChanges(config);
  if (changes === null) return `${config.variant} (not a named variant)`;
  return changes.length === 0 ? config.variant : `${config.variant} (${changes.join(", ")})`;
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
      `${s.recipe}${n > 1 ? ` (${n} seeds)` : ""}`,
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
 * The id of a run's whole recipe: the first 16 hex characters of SHA-256 over its canonical
 * config (every field, seed included), as sweep trial ids are made. Runs with equal ids are the
 * same run.
 *
 * @example
 * ```ts
 * await recipeId(lecunConfig("baseline")); // e.g. "5c0f3e..." (16 hex characters)
 * ```
 */
export function recipeId(config: LecunConfig): Promise<string> {
  return trialId("lecun1989-repro", "1", config as unknown as Config);
}

/**
 * File name of a run's result file: `<variant>-seed<seed>-<recipe id>.json`, named by its whole
 * recipe, so runs of different recipes never share a file.
 *
 * @example
 * ```ts
 * const config = lecunConfig("modern", { seed: 3 });
 * runFileName(config, await recipeId(config)); // "modern-seed3-<16 hex>.json"
 * ```
 */
export function runFileName(config: { variant: string; seed: number }, id: string): string {
  return `${config.variant}-seed${config.seed}-${id}.json`;
}

/** The file name runs had before they were named by recipe (still read, never written anew). */
function legacyRunFileName(config: { variant: string; seed: number }): string {
  return `${config.variant}-seed${config.seed}.json`;
}

/**
 * Writes one run's result file (config, final metrics, per-pass history, timings, adapter)
 * into `dir/runs/`, atomically, named by its recipe ({@link runFileName}). A published file of
 * the same recipe under the older name `<variant>-seed<seed>.json` is rewritten in place
 * rather than duplicated; a file of another recipe is never written over. Returns the path.
 *
 * @example
 * ```ts
 * await writeRunFile("results/lecun1989", result);
 * ```
 */
export async function writeRunFile(dir: string, result: RunResult): Promise<string> {
  await Deno.mkdir(`${dir}/runs`, { recursive: true });
  const id = await recipeId(result.config);
  const legacy = `${dir}/runs/${legacyRunFileName(result.config)}`;
  let path = `${dir}/runs/${runFileName(result.config, id)}`;
  try {
    const old = JSON.parse(await Deno.readTextFile(legacy)) as RunResult;
    if (await recipeId(old.config) === id) path = legacy;
  } catch {
    // No older file of this variant and seed (or not a run): write the recipe's own name.
  }
  await writeFileAtomic(path, JSON.stringify(result, null, 2) + "\n");
  return path;
}

/**
 * Every run result file in `dir/runs/` (written by {@link writeRunFile}), sorted by variant
 * ladder order, then recipe, then seed; an empty list when there is none. Each file is checked
 * against what its name claims (variant, seed and, for recipe-named files, the recipe id of its
 * config); a file that is not a run, or not the run it claims to be, is a one-line error.
 *
 * @example
 * ```ts
 * const results = await readRunFiles("results/lecun1989");
 * ```
 */
export async function readRunFiles(dir: string): Promise<RunResult[]> {
  const results: RunResult[] = [];
  const seen = new Map<string, string>();
  try {
    for await (const entry of Deno.readDir(`${dir}/runs`)) {
      if (!entry.isFile || !entry.name.endsWith(".json")) continue;
      const path = `${dir}/runs/${entry.name}`;
      let result: RunResult;
      try {
        result = JSON.parse(await Deno.readTextFile(path)) as RunResult;
        validateConfig(result.config);
        if (!Array.isArray(result.history) || typeof result.final !== "object") {
          throw new Error("no history or final pass");
        }
      } catch (error) {
        throw new Error(`${path}: not a run result file (${(error as Error).message})`);
      }
      const id = await recipeId(result.config);
      if (
        entry.name !== runFileName(result.config, id) &&
        entry.name !== legacyRunFileName(result.config)
      ) {
        throw new Error(
          `${path}: holds ${
            recipeLabel(result.config)
          } seed ${result.config.seed} (recipe ${id}), ` +
            `not the run its name says; expected the name ${runFileName(result.config, id)}`,
        );
      }
      if (seen.has(id)) throw new Error(`${path}: the same run as ${seen.get(id)}`);
      seen.set(id, path);
      results.push(result);
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
    a.config.variant.localeCompare(b.config.variant) ||
    recipeLabel(a.config).localeCompare(recipeLabel(b.config)) || a.config.seed - b.config.seed
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
      recipe: recipeLabel(r.config),
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
    recipe: recipeLabel(r.config),
  }));
  await writeFileAtomic(`${dir}/history.csv`, csvText(aq.from(history)));
  await writeFileAtomic(`${dir}/summary.csv`, csvText(aq.from(runs)));
  const adapter = results[0]?.adapter ?? "";
  const markdown = [
    `# LeCun 1989 reproduction`,
    ``,
    `Adapter: ${adapter}. Errors in percent (misses out of ${
      results[0]?.final.test.count ?? 2007
    } test digits);`,
    `mean ± sample std over the seeds of each recipe (runs of different recipes are never averaged);`,
    `wall time is training plus per-pass evaluation, compilation excluded.`,
    ``,
    "```",
    formatTable(summarizeVariants(results)),
    "```",
    ``,
  ].join("\n");
  await writeFileAtomic(`${dir}/summary.md`, markdown);
}

/** CSV text ending in exactly one newline (arquero's `toCSV` already ends its last row). */
function csvText(table: { toCSV(): string }): string {
  return table.toCSV().replace(/\n*$/, "\n");
}
