/**
 * Where a plot spec may read data from: only files inside the results directory being rendered
 * (resolved to their real location, so `..` and symbolic links cannot leave it); no URLs. And
 * specs made self-contained for places without the results folder (notebooks, the site).
 *
 * @module
 */

import { resolve } from "node:path";
import { read } from "vega";
import type { PlotSpec } from "./spec.ts";

/**
 * The real path of the file a spec's `data.url` names, relative to the spec's directory
 * `specDir`; throws one line when it is a URL, missing, or outside `root`.
 *
 * @example
 * ```ts
 * await resolvePlotData("summary.csv", "results/gpt-model-size", "results");
 * // "/…/results/gpt-model-size/summary.csv"
 * ```
 */
export async function resolvePlotData(url: string, specDir: string, root: string): Promise<string> {
  const rule = `plot specs load data only from files under ${root}`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    throw new Error(`plot data "${url}" is a URL; ${rule}`);
  }
  const path = resolve(specDir, url);
  let real: string, realRoot: string;
  try {
    realRoot = await Deno.realPath(root);
  } catch {
    throw new Error(`plot data root ${root} does not exist`);
  }
  try {
    real = await Deno.realPath(path);
  } catch {
    throw new Error(`plot data "${url}" not found (looked for ${path})`);
  }
  if (real !== realRoot && !real.startsWith(`${realRoot}/`)) {
    throw new Error(`plot data "${url}" resolves to ${real}, outside ${root}; ${rule}`);
  }
  return real;
}

type SpecNode = { [key: string]: unknown };

async function inline(node: unknown, specDir: string, root: string): Promise<void> {
  if (Array.isArray(node)) {
    for (const item of node) await inline(item, specDir, root);
    return;
  }
  if (typeof node !== "object" || node === null) return;
  const spec = node as SpecNode;
  const data = spec.data as { url?: unknown; format?: { type?: string } } | undefined;
  if (typeof data?.url === "string") {
    const path = await resolvePlotData(data.url, specDir, root);
    const type = data.format?.type ?? (path.endsWith(".json") ? "json" : "csv");
    spec.data = { values: read(await Deno.readTextFile(path), { type, parse: "auto" } as never) };
  }
  for (const key of ["layer", "hconcat", "vconcat", "concat", "spec"]) {
    if (key in spec) await inline(spec[key], specDir, root);
  }
}

/**
 * Reads a spec file with every `data.url` replaced by the rows of the file it names (read only
 * under `root`, default the spec's own directory), so the spec renders anywhere.
 *
 * @example
 * ```ts
 * const spec = await readSelfContainedSpec("results/gpt-model-size/loss-vs-n.vl.json");
 * ```
 */
export async function readSelfContainedSpec(path: string, root?: string): Promise<PlotSpec> {
  let spec: unknown;
  try {
    spec = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    throw new Error(`${path}: not a readable JSON plot spec (${(error as Error).message})`);
  }
  const specDir = path.replace(/\/[^/]*$/, "") || ".";
  await inline(spec, specDir, root ?? specDir);
  return spec as PlotSpec;
}
