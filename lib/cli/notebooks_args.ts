/**
 * Arguments of `deno task notebooks`, parsed with the commands' shared `parseCommandLine`.
 *
 * @module
 */
import { choiceFlag, parseCommandLine } from "./args.ts";

/** The one-line usage of `deno task notebooks`. */
const USAGE =
  "usage: deno task notebooks [--out DIR] [--only NAME[,NAME...]] [--scale small|full] [--in-place] [--html]";

/** Usage text of `deno task notebooks`. */
export const NOTEBOOKS_USAGE = `${USAGE}

Executes every notebook in notebooks/ headless on Deno's Jupyter kernel (jupyter nbconvert
--execute), writes the executed copies to --out (default out/notebooks), and fails on any cell
error, a notebook missing its plots or tables, a plot without its PNG or with an empty panel,
or a notebook over 250 KB. Each notebook's scratch folder out/notebooks/NAME is emptied first,
so a rerun that computes the same numbers saves the same file.
  --out DIR      where executed notebooks go (default out/notebooks)
  --only NAMES   run only these notebooks (name or number prefix, e.g. 02 or 02-scaling-laws)
  --scale S      small (default: a few passes, tiny sweeps, a benchmark subset) or full (the
                 notebooks' real settings); figures from results/ are the published runs either way
  --in-place     also copy each executed notebook that passes back over notebooks/NAME.ipynb
  --html         also export each executed notebook to DIR/NAME.html, self-contained (plots as
                 inline SVG; no script, style sheet or image loaded from elsewhere)`;

/** Parsed arguments. */
export interface NotebooksArgs {
  out: string;
  only: string[];
  scale: "small" | "full";
  inPlace: boolean;
  html: boolean;
  help: boolean;
}

/**
 * Parses `deno task notebooks` arguments; throws a `UsageError` with a one-line message on bad
 * input.
 *
 * @example
 * ```ts
 * parseNotebooksArgs(["--only", "02", "--out", "out/nb"]);
 * // { out: "out/nb", only: ["02"], scale: "small", inPlace: false, html: false, help: false }
 * ```
 */
export function parseNotebooksArgs(args: readonly string[]): NotebooksArgs {
  const { values } = parseCommandLine(args, {
    options: {
      out: { type: "string" },
      only: { type: "string", multiple: true },
      scale: { type: "string" },
      "in-place": { type: "boolean" },
      html: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    usage: USAGE,
  });
  return {
    out: values.out ?? "out/notebooks",
    only: (values.only ?? []).flatMap((list) => list.split(",")).filter((s) => s !== ""),
    scale: choiceFlag("scale", values.scale, ["small", "full"] as const, "small"),
    inPlace: values["in-place"] ?? false,
    html: values.html ?? false,
    help: values.help ?? false,
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
