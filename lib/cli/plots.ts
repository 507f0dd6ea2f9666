/**
 * `deno task plots DIR`: renders every plot spec under a results directory. Each `NAME.vl.json`
 * (a Vega-Lite spec, searched recursively; a `data.url` is read relative to the spec) becomes
 * `NAME.svg` and `NAME.png` beside it. Prints one line per rendered spec; compiler warnings go
 * to stderr.
 *
 * Exit status: 0 when every spec rendered, 2 for bad usage or a missing directory, 1 when a
 * spec fails to render.
 *
 * @module
 */

import { PLOT_SPEC_SUFFIX, renderPlotDirectory } from "../plot/directory.ts";
import { parseCommandLine } from "./args.ts";

/** Usage text of `deno task plots`. */
export const PLOTS_USAGE = `usage: deno task plots DIR

Renders every Vega-Lite spec NAME${PLOT_SPEC_SUFFIX} under DIR (recursively) to NAME.svg and
NAME.png beside it. A spec may hold its data inline or name a file relative to itself
(e.g. "data": {"url": "summary.csv"}).`;

/**
 * Runs `deno task plots` with `args` and returns its exit status.
 *
 * @example
 * ```ts
 * import { plotsCommand } from "./plots.ts";
 * await plotsCommand(["results/examples"]);
 * ```
 */
export async function plotsCommand(args: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(args, {
      options: { help: { type: "boolean" } },
      usage: "usage: deno task plots DIR",
      positionals: { max: Infinity },
    });
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(PLOTS_USAGE);
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    console.error(
      `error: expected one results directory, got ${parsed.positionals.length}; usage: deno task plots DIR`,
    );
    return 2;
  }
  const dir = parsed.positionals[0];
  try {
    const info = await Deno.stat(dir).catch(() => undefined);
    if (!info?.isDirectory) {
      console.error(`error: ${dir} is not a directory`);
      return 2;
    }
    for (const rendered of await renderPlotDirectory(dir)) {
      for (const warning of rendered.warnings) {
        console.error(`warning: ${rendered.spec}: ${warning}`);
      }
      console.log(`${rendered.spec} -> ${rendered.svg}, ${rendered.png}`);
    }
    return 0;
  } catch (error) {
    console.error(
      `error: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}`,
    );
    return 1;
  }
}

if (import.meta.main) Deno.exit(await plotsCommand(Deno.args));
