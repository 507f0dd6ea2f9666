/**
 * `deno task site [--out DIR] [--results DIR]`: builds the static results browser from a
 * results directory (default `results`) into DIR (default `out/site`), with `index.html` at its
 * top; open it from `file://` or publish DIR on any static host (GitHub Pages, for one).
 *
 * Exit status: 0 when the site was built, 2 for bad usage, 1 when the build failed.
 *
 * @module
 */

import { buildSite } from "../site/build.ts";
import { parseCommandLine, UsageError } from "./args.ts";

const USAGE = "usage: deno task site [--out DIR] [--results DIR]";

/** Usage text of `deno task site`. */
export const SITE_USAGE = `${USAGE}

Builds a static results browser from the results directory (default results) into DIR
(default out/site): index.html lists every experiment with its headline fits; each
experiment's page has its figures (interactive), a sortable and filterable trial table, and the
training curves of the trials you tick, overlaid. Everything it loads is inside DIR, so it works
from file:// and on any static host. An existing DIR is replaced only if it is a site this
command built.
  --out DIR       where the site goes (default out/site; the task may write only under out/)
  --results DIR   the results directory to browse (default results)`;

/**
 * Runs `deno task site` with `args` and returns its exit status.
 *
 * @example
 * ```ts
 * import { siteCommand } from "./site.ts";
 * await siteCommand(["--out", "out/site"]);
 * ```
 */
export async function siteCommand(args: readonly string[]): Promise<number> {
  let out: string, results: string;
  try {
    const { values } = parseCommandLine(args, {
      options: {
        out: { type: "string" },
        results: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      usage: USAGE,
    });
    if (values.help) {
      console.log(SITE_USAGE);
      return 0;
    }
    out = values.out ?? "out/site";
    results = values.results ?? "results";
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`error: ${error.message}`);
    return 2;
  }
  // Both the site and the directory it is built in beside it must be writable; say so before
  // any work rather than failing on the first file.
  const site = out.replace(/\/+$/, "") || ".";
  const parent = site.includes("/") ? site.slice(0, site.lastIndexOf("/")) || "/" : ".";
  for (const path of [site, `${site}.building`]) {
    const { state } = await Deno.permissions.query({ name: "write", path });
    if (state !== "granted") {
      console.error(
        `error: cannot write ${path}: deno task site may write only under out/ ` +
          `(give --out out/NAME, or run lib/cli/site.ts with --allow-write=${parent})`,
      );
      return 2;
    }
  }
  try {
    const built = await buildSite(results, site);
    for (const exp of built.experiments) {
      console.log(`${exp.page}: ${exp.trials} trials, ${exp.figures} figures`);
    }
    console.log(`site: ${built.out}/index.html`);
    return 0;
  } catch (error) {
    console.error(
      `error: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}`,
    );
    return 1;
  }
}

if (import.meta.main) Deno.exit(await siteCommand(Deno.args));
