/**
 * Arguments of `deno task notebooks`.
 *
 * @module
 */

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
  const parsed: NotebooksArgs = {
    out: "out/notebooks",
    only: [],
    inPlace: false,
    html: false,
    help: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag, inline] = arg.startsWith("--") && arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined || v === "" || (inline === undefined && v.startsWith("--"))) {
        throw new Error(`${flag} needs a value`);
      }
      return v;
    };
    switch (flag) {
      case "--out":
        parsed.out = value();
        break;
      case "--only":
        parsed.only.push(...value().split(",").filter((s) => s !== ""));
        break;
      case "--in-place":
        parsed.inPlace = true;
        break;
      case "--html":
        parsed.html = true;
        break;
      case "--help":
      case "-h":
        parsed.help = true;
        break;
      default:
        throw new Error(
          arg.startsWith("-") ? `unknown flag ${flag}` : `unexpected argument "${arg}"`,
        );
    }
  }
  return parsed;
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
