/**
 * Rendering a results directory's plots. Convention: every `NAME.vl.json` under the directory
 * (searched recursively) is a Vega-Lite spec; it is rendered to `NAME.svg` and `NAME.png` beside
 * it. A spec may carry its data inline or point at a file with a `data.url` relative to the
 * spec's own directory (e.g. `"summary.csv"`), which must lie inside the directory rendered.
 * Each rendering is checked for a visible mark in every panel.
 *
 * @module
 */

import { writeFileAtomic } from "../io/atomic.ts";
import { checkVisibleMarks } from "./marks.ts";
import { renderPlotSvg, svgToPng } from "./render.ts";
import type { PlotSpec } from "./spec.ts";
import type { PlotTheme } from "./theme.ts";

/** How {@link renderPlotFile} and {@link renderPlotDirectory} draw. */
export interface PlotFileOptions {
  /** Directory the specs may read data from (default: the spec's own directory). */
  dataRoot?: string;
  /** Re-style with this theme. */
  theme?: PlotTheme;
  /** Re-flow every figure to this width in pixels. */
  width?: number;
}

/** Suffix that marks a file as a plot spec. */
export const PLOT_SPEC_SUFFIX = ".vl.json";

/** One rendered spec. */
export interface RenderedPlotFiles {
  /** The spec file. */
  spec: string;
  /** The SVG written beside it. */
  svg: string;
  /** The PNG written beside it. */
  png: string;
  /** Compiler and runtime warnings. */
  warnings: string[];
  /** Panels drawn without a visible mark (see `checkVisibleMarks`); empty when all is well. */
  problems: string[];
}

async function findSpecs(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...await findSpecs(path));
    else if (entry.isFile && entry.name.endsWith(PLOT_SPEC_SUFFIX)) found.push(path);
  }
  return found.sort();
}

async function readSpec(path: string): Promise<PlotSpec> {
  let spec: unknown;
  try {
    spec = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${error instanceof Error ? error.message : error})`);
  }
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
    throw new Error(`${path}: a Vega-Lite spec must be a JSON object`);
  }
  return spec as PlotSpec;
}

/**
 * Renders one spec file to SVG and PNG beside it.
 *
 * @example
 * ```ts
 * await renderPlotFile("results/examples/chinchilla-fit.vl.json");
 * ```
 */
export async function renderPlotFile(
  specPath: string,
  options: PlotFileOptions = {},
): Promise<RenderedPlotFiles> {
  const spec = await readSpec(specPath);
  const slash = specPath.lastIndexOf("/");
  const specDir = slash < 0 ? "." : specPath.slice(0, slash) || "/";
  let rendered;
  try {
    rendered = await renderPlotSvg(spec, {
      specDir,
      dataRoot: options.dataRoot ?? specDir,
      theme: options.theme,
      width: options.width,
    });
  } catch (error) {
    throw new Error(`${specPath}: ${error instanceof Error ? error.message : error}`);
  }
  const stem = specPath.slice(0, -PLOT_SPEC_SUFFIX.length);
  const svg = `${stem}.svg`;
  const png = `${stem}.png`;
  await writeFileAtomic(svg, rendered.svg);
  await writeFileAtomic(png, await svgToPng(rendered.svg));
  const problems = checkVisibleMarks(rendered.svg, svg);
  return { spec: specPath, svg, png, warnings: rendered.warnings, problems };
}

/**
 * Renders every `*.vl.json` under `dir` (recursively) to `.svg` and `.png` beside it; specs read
 * data only from files under `dir`.
 *
 * @example
 * ```ts
 * const rendered = await renderPlotDirectory("results/examples", { theme: "paper", width: 800 });
 * rendered.map((r) => r.png);
 * ```
 */
export async function renderPlotDirectory(
  dir: string,
  options: Omit<PlotFileOptions, "dataRoot"> = {},
): Promise<RenderedPlotFiles[]> {
  const trimmed = dir.replace(/\/+$/, "") || "/";
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(trimmed);
  } catch {
    throw new Error(`results directory ${dir} does not exist`);
  }
  if (!info.isDirectory) throw new Error(`${dir} is not a directory`);
  const specs = await findSpecs(trimmed);
  if (specs.length === 0) {
    throw new Error(`no plot specs (*${PLOT_SPEC_SUFFIX}) found under ${dir}`);
  }
  const rendered: RenderedPlotFiles[] = [];
  for (const spec of specs) {
    rendered.push(await renderPlotFile(spec, { ...options, dataRoot: trimmed }));
  }
  return rendered;
}

/**
 * Writes a spec as `PATH` (which must end in `.vl.json`) so `deno task plots` renders it.
 *
 * @example
 * ```ts
 * await writePlotSpec("results/gpt-scaling/loss-vs-compute.vl.json", spec);
 * ```
 */
export async function writePlotSpec(path: string, spec: PlotSpec): Promise<void> {
  if (!path.endsWith(PLOT_SPEC_SUFFIX)) {
    throw new Error(`plot spec file ${path} must end in ${PLOT_SPEC_SUFFIX}`);
  }
  await writeFileAtomic(path, JSON.stringify(spec, null, 1) + "\n");
}
