/**
 * The static results browser: `deno task site` builds it from `results/` into `out/site`
 * (`index.html` at its top), to open from `file://` or publish on any static host.
 *
 * @example
 * ```ts
 * import { buildSite } from "./mod.ts";
 * await buildSite("results", "out/site");
 * ```
 *
 * @module
 */
export { buildSite, type BuiltSite } from "./build.ts";
export {
  collectExperiment,
  type CurveChart,
  type ExperimentData,
  type Figure,
  type TrialHistories,
  type TrialTable,
} from "./collect.ts";
