/**
 * Arguments of `deno task notebooks` (node:util `parseArgs` through the shared wrapper).
 *
 * @module
 */
import { parseCommandLine } from "./args.ts";

/** Usage text of `deno task notebooks`. */
export const NOTEBOOKS_USAGE =
  `usage: deno task notebooks [--out DIR] [--only NAME[,NAME...]] [--in-place] [--html]

Executes every notebook in notebooks/ headless on Deno's Jupyter kernel (jupyter nbconvert
--execute) with SCALELAB_NOTEBOOK_SCALE=small, writes the executed copies to --out (default
out/notebooks), and fails on any cell error or a notebook missing its plots or tables.
  --out DIR      where executed notebooks go (default out/notebooks)
  --only NAMES   run only these notebooks (name or number prefix, e.g. 02 or 02-scaling-laws)
  --in-place     also copy each executed notebook that passes back over notebooks/NAME.ipynb
  --html         also export each executed notebook to DIR/NAME.html (plots as inline SVG)`;

/** Parsed arguments. */
export interface NotebooksArgs {
  out: string;
  only: string[];
  inPlace: boolean;
  html: boolean;
  help: boolean;
}

/**
 * Parses `deno task notebooks` arguments; throws an Error with a one-line message on bad input.
 *
 * @example
 * ```ts
 * parseNotebooksArgs(["--only", "02", "--out", "out/nb"]);
 * // { out: "out/nb", only: ["02"], inPlace: false, html: false, help: false }
 * ```
 */
export function parseNotebooksArgs(args: readonly string[]): NotebooksArgs {
  const { values } = parseCommandLine(args, {
    options: {
      out: { type: "string" },
      only: { type: "string", multiple: true },
      "in-place": { type: "boolean" },
      html: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    usage: NOTEBOOKS_USAGE.split("\n")[0],
    // The command adds "; see deno task notebooks --help".
    hint: "",
  });
  return {
    out: values.out ?? "out/notebooks",
    only: (values.only ?? []).flatMap((list) => list.split(",").filter((s) => s !== "")),
    inPlace: values["in-place"] === true,
    html: values.html === true,
    help: values.help === true,
  };
}

/**
 * The notebooks `only` selects from `names` (file names without `.ipynb`): each entry matches
 * a name equal to it or starting with it followed by `-`; all names when `only` is empty.
 * Throws naming an entry that matches nothing.
 *
 * @example
 * ```ts
 * selectNotebooks(["01-lecun1989", "02-scaling-laws"], ["02"]); // ["02-scaling-laws"]
 * ```
 */
export function selectNotebooks(names: readonly string[], only: readonly string[]): string[] {
  if (only.length === 0) return [...names];
  const matches = (name: string, want: string) => name === want || name.startsWith(`${want}-`);
  for (const want of only) {
    if (!names.some((name) => matches(name, want))) {
      throw new Error(`no notebook matches "${want}"; notebooks: ${names.join(", ")}`);
    }
  }
  return names.filter((name) => only.some((want) => matches(name, want)));
}
