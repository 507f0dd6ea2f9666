/**
 * Finds and loads an experiment file: `experiments/<name>.ts` by name, or any path.
 *
 * @module
 */

import { isSweep, type Sweep, SweepDefinitionError } from "./define.ts";
import { firstLine } from "./errors.ts";
import { fileUrl, resolvePath } from "../io/paths.ts";

/**
 * The file an experiment argument names: a path when it contains `/` or ends in `.ts`/`.js`,
 * otherwise `experiments/<name>.ts` under `root`.
 *
 * @example
 * ```ts
 * import { experimentPath } from "./experiment.ts";
 * experimentPath("quadratic", "/repo"); // "/repo/experiments/quadratic.ts"
 * ```
 */
export function experimentPath(spec: string, root = Deno.cwd()): string {
  const isPath = spec.includes("/") || /\.(m?ts|m?js)$/.test(spec);
  return resolvePath(root, isPath ? spec : `experiments/${spec}.ts`);
}

/**
 * Imports an experiment file and returns its `sweep` export; every problem is one line.
 *
 * @example
 * ```ts
 * import { loadExperiment } from "./experiment.ts";
 * const sweep = await loadExperiment("example-quadratic");
 * console.log(sweep.name);
 * ```
 */
export async function loadExperiment(spec: string, root = Deno.cwd()): Promise<Sweep> {
  const path = experimentPath(spec, root);
  const shown = path.startsWith(`${resolvePath(root, ".")}/`)
    ? path.slice(resolvePath(root, ".").length + 1)
    : path;
  try {
    if (!(await Deno.stat(path)).isFile) throw new Deno.errors.NotFound();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`experiment "${spec}" not found: no file ${shown}`);
    }
    throw error;
  }
  let module: Record<string, unknown>;
  try {
    module = await import(fileUrl(path).href);
  } catch (error) {
    if (error instanceof SweepDefinitionError) {
      throw new SweepDefinitionError(`${shown}: ${error.message}`);
    }
    throw new Error(`cannot load ${shown}: ${firstLine(error)}`);
  }
  if (!isSweep(module.sweep)) {
    throw new Error(
      `${shown} has no sweep export; expected \`export const sweep = defineSweep({ ... })\``,
    );
  }
  return module.sweep;
}
