/**
 * Glue the notebooks share: the run scale (`SCALELAB_NOTEBOOK_SCALE`), paths from the
 * repository root whatever the kernel's working directory, plot specs read from results
 * directories with their data inlined, copies of published trials to analyze elsewhere, and
 * smaller variants of an experiment's sweep.
 *
 * @module
 */

import type { Sweep } from "../sweep/define.ts";
import type { JsonValue } from "../sweep/json.ts";
import { readSelfContainedSpec } from "../plot/data.ts";
import type { PlotSpec } from "../plot/spec.ts";

/** The repository root, as a directory path with a trailing slash. */
export const REPO_ROOT: string = decodeURIComponent(new URL("../../", import.meta.url).pathname);

/** How big notebook runs are: `small` for headless checks (CI), `full` otherwise. */
export type NotebookScale = "small" | "full";

/**
 * The scale from `SCALELAB_NOTEBOOK_SCALE` (`small` or `full`, default `full`).
 *
 * @example
 * ```ts
 * const passes = notebookScale() === "small" ? 2 : 23;
 * ```
 */
export function notebookScale(): NotebookScale {
  const value = Deno.env.get("SCALELAB_NOTEBOOK_SCALE") ?? "full";
  if (value !== "small" && value !== "full") {
    throw new Error(`SCALELAB_NOTEBOOK_SCALE must be "small" or "full", got "${value}"`);
  }
  return value;
}

/**
 * A path relative to the repository root (absolute paths are kept).
 *
 * @example
 * ```ts
 * repoPath("results/gpt-model-size"); // "/…/scalelab/results/gpt-model-size"
 * ```
 */
export function repoPath(path: string): string {
  return path.startsWith("/") ? path : REPO_ROOT + path;
}

/**
 * Reads a Vega-Lite spec file (`NAME.vl.json`) with every `data.url` replaced by the file's rows,
 * so the spec is self-contained in a notebook output; data is read only from the spec's own
 * directory.
 *
 * @example
 * ```ts
 * const spec = await readPlotSpec("results/lecun1989/error-curves.vl.json");
 * ```
 */
export function readPlotSpec(path: string): Promise<PlotSpec> {
  return readSelfContainedSpec(repoPath(path));
}

/**
 * Reads a JSON file (e.g. a results directory's `fits.json`) relative to the repository root.
 *
 * @example
 * ```ts
 * const fits = await readJsonFile("results/gpt-isoflop/fits.json");
 * ```
 */
export async function readJsonFile(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(repoPath(path)));
}

/**
 * Copies the trial files of a published results directory into `out/trials` (replacing what an
 * earlier copy left there), so an analysis can run on them and write its fits and plots there
 * instead of into `results/`. Returns `out` as an absolute path.
 *
 * @example
 * ```ts
 * const dir = await copyTrials("results/gpt-model-size", "out/notebooks/gpt-model-size");
 * await analyze(dir);
 * ```
 */
export async function copyTrials(from: string, out: string): Promise<string> {
  const source = `${repoPath(from)}/trials`;
  const target = repoPath(out);
  await Deno.remove(`${target}/trials`, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await Deno.mkdir(`${target}/trials`, { recursive: true });
  let copied = 0;
  for await (const entry of Deno.readDir(source)) {
    if (!entry.isFile || !entry.name.endsWith(".json")) continue;
    await Deno.copyFile(`${source}/${entry.name}`, `${target}/trials/${entry.name}`);
    copied++;
  }
  if (copied === 0) throw new Error(`${source} holds no trial files`);
  return target;
}

/**
 * The sweep with a preset's axis lists (or its own axes) made the default and then `changes`
 * applied: a smaller run of the same experiment, with the same trial ids for equal configs.
 *
 * @example
 * ```ts
 * import { sweep } from "../../experiments/gpt-model-size.ts";
 * const small = sweepVariant(sweep, "cpu", { steps: [60] }, { model: 2 });
 * ```
 */
export function sweepVariant(
  sweep: Sweep,
  preset: string | undefined,
  changes: Record<string, readonly JsonValue[]> = {},
  firsts: Record<string, number> = {},
): Sweep {
  const base = preset === undefined ? {} : sweep.presets[preset];
  if (base === undefined) {
    const names = Object.keys(sweep.presets).join(", ") || "none";
    throw new Error(`sweep "${sweep.name}" has no preset "${preset}"; presets: ${names}`);
  }
  const axes: Record<string, readonly JsonValue[]> = { ...sweep.axes, ...base, ...changes };
  for (const [axis, count] of Object.entries(firsts)) {
    if (!(axis in axes)) throw new Error(`sweep "${sweep.name}" has no axis "${axis}"`);
    axes[axis] = axes[axis].slice(0, count);
  }
  for (const axis of Object.keys(changes)) {
    if (!(axis in sweep.axes)) throw new Error(`sweep "${sweep.name}" has no axis "${axis}"`);
  }
  return { ...sweep, axes: Object.freeze(axes) };
}
