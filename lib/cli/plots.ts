/**
 * `deno task plots DIR [--width N] [--theme default|paper]`: renders every plot spec under a
 * results directory. Each `NAME.vl.json` (a Vega-Lite spec, searched recursively; a `data.url`
 * is read relative to the spec and only from files under DIR) becomes `NAME.svg` and `NAME.png`
 * beside it, checked for a visible mark in every panel. Prints one line per rendered spec;
 * compiler warnings go to stderr.
 *
 * Exit status: 0 when every spec rendered with visible marks, 2 for bad usage or a missing
 * directory, 1 when a spec fails to render or draws an empty panel.
 *
 * @module
 */

import { PLOT_SPEC_SUFFIX, renderPlotDirectory } from "../plot/directory.ts";
import { PLOT_THEMES } from "../plot/theme.ts";
import { choiceFlag, integerFlag, parseCommandLine, UsageError } from "./args.ts";

/** The one-line usage of `deno task plots`. */
const USAGE = "usage: deno task plots DIR [--width N] [--theme default|paper]";

/** Usage text of `deno task plots`. */
export const PLOTS_USAGE = `${USAGE}

Renders every Vega-Lite spec NAME${PLOT_SPEC_SUFFIX} under DIR (recursively) to NAME.svg and
NAME.png beside it. A spec may hold its data inline or name a file relative to itself
(e.g. "data": {"url": "summary.csv"}); files outside DIR and URLs are refused. A plot that
draws no visible mark in a panel is reported and fails the command.
  --width N        re-flow every figure to N pixels wide (panels resized, text kept)
  --theme NAME     ${PLOT_THEMES.join(" or ")}: paper has larger type, a black frame and a
                   colour-blind-safe palette (default: each spec's own look)`;

/**
 * Runs `deno task plots` with `args` and returns its exit status.
 *
 * @example
 * ```ts
 * import { plotsCommand } from "./plots.ts";
 * await plotsCommand(["results/examples", "--width", "800", "--theme", "paper"]);
 * ```
 */
export async function plotsCommand(args: readonly string[]): Promise<number> {
  let dir: string, width: number | undefined, theme;
  try {
    const { values, positionals } = parseCommandLine(args, {
      options: {
        width: { type: "string" },
        theme: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      usage: USAGE,
      positionals: { max: Infinity },
    });
    if (values.help) {
      console.log(PLOTS_USAGE);
      return 0;
    }
    if (positionals.length === 0) throw new UsageError(`missing results directory; ${USAGE}`);
    if (positionals.length > 1) {
      throw new UsageError(
        `expected one results directory, got ${positionals.length}: ${
          positionals.join(" ")
        }; ${USAGE}`,
      );
    }
    dir = positionals[0];
    width = values.width === undefined
      ? undefined
      : integerFlag("width", values.width, { min: 100, max: 10000 });
    theme = values.theme === undefined ? undefined : choiceFlag("theme", values.theme, PLOT_THEMES);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`error: ${error.message}`);
    return 2;
  }
  try {
    const info = await Deno.stat(dir).catch(() => undefined);
    if (!info?.isDirectory) {
      console.error(`error: ${dir} is not a directory`);
      return 2;
    }
    let empty = 0;
    for (const rendered of await renderPlotDirectory(dir, { width, theme })) {
      for (const warning of rendered.warnings) {
        console.error(`warning: ${rendered.spec}: ${warning}`);
      }
      for (const problem of rendered.problems) console.error(`error: ${problem}`);
      empty += rendered.problems.length > 0 ? 1 : 0;
      console.log(`${rendered.spec} -> ${rendered.svg}, ${rendered.png}`);
    }
    return empty === 0 ? 0 : 1;
  } catch (error) {
    console.error(
      `error: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}`,
    );
    return 1;
  }
}

if (import.meta.main) Deno.exit(await plotsCommand(Deno.args));
