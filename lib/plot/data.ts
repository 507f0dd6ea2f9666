/**
 * Where a plot spec may read data from: only files inside the results directory being rendered
 * (resolved to their real location, so `..` and symbolic links cannot leave it); no URLs.
 *
 * @module
 */

import { resolve } from "node:path";

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
