/**
 * Compiling Vega-Lite to Vega with the compiler's warnings captured instead of printed.
 *
 * @module
 */

import type { LoggerInterface, Spec as VegaSpec } from "vega";
import { compile } from "vega-lite";
import type { PlotSpec } from "./spec.ts";

/** A compiled plot and what the compiler warned about. */
export interface CompiledPlot {
  /** The Vega specification. */
  vega: VegaSpec;
  /** Compiler warnings, one line each (empty for a clean spec). */
  warnings: string[];
}

function capturingLogger(warnings: string[]): LoggerInterface {
  let level = 0;
  const logger = {
    level(value?: number) {
      if (value === undefined) return level;
      level = value;
      return logger;
    },
    error(...args: unknown[]): never {
      throw new Error(`vega-lite: ${args.map(String).join(" ")}`);
    },
    warn(...args: unknown[]) {
      warnings.push(args.map(String).join(" "));
      return logger;
    },
    info: () => logger,
    debug: () => logger,
  };
  return logger as unknown as LoggerInterface;
}

/**
 * Compiles a Vega-Lite spec, collecting warnings; compiler errors throw.
 *
 * @example
 * ```ts
 * const { vega, warnings } = compilePlot(trainingCurvesSpec(rows));
 * warnings; // [] for a clean spec
 * ```
 */
export function compilePlot(spec: PlotSpec): CompiledPlot {
  const warnings: string[] = [];
  const { spec: vega } = compile(spec, { logger: capturingLogger(warnings) });
  return { vega, warnings };
}
