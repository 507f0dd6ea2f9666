/**
 * `deno task notebooks [--out DIR] [--only NAME] [--scale small|full] [--in-place] [--html]`:
 * registers Deno's Jupyter kernel when it is missing, executes every notebook in notebooks/
 * headless with `jupyter nbconvert --to notebook --execute` (no timing metadata recorded) and
 * SCALELAB_NOTEBOOK_SCALE, and checks each executed copy (no cell error; its plots as Vega-Lite
 * v5 + SVG + PNG bundles with a visible mark in each panel; its tables; under 250 KB) and each
 * HTML export (nothing loaded from outside the page).
 *
 * Exit status: 0 when every notebook passed, 1 when one failed (one line naming the notebook
 * and the cell), 2 for bad usage.
 *
 * @module
 */

import { checkNotebook, checkNotebookSize, checkSelfContained } from "../notebook/check.ts";
import { UsageError } from "./args.ts";
import { NOTEBOOKS_USAGE, parseNotebooksArgs, selectNotebooks } from "./notebooks_args.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);
const NOTEBOOK_DIR = `${ROOT}notebooks`;
const KERNEL = "deno";
const CELL_TIMEOUT_S = 600;
/**
 * The HTML template `--html` exports with: JupyterLab's, with plots' SVG kept intact (the
 * nbconvert 6.5 of Debian 12 strips inline SVG down to its text otherwise).
 */
const HTML_TEMPLATE = `${ROOT}lib/notebook/nbconvert/scalelab.html.j2`;
const JUPYTER_PACKAGES =
  "jupyter-nbconvert python3-nbclient jupyter-client jupyter-notebook python3-ipykernel";

/** A failure already explained in one line. */
class NotebookError extends Error {}

async function output(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let result: Deno.CommandOutput;
  try {
    result = await new Deno.Command(command, { args, env, stdin: "null" }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new NotebookError(
        `${command} not found; install Jupyter (apt-get install -y ${JUPYTER_PACKAGES})`,
      );
    }
    throw error;
  }
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: result.code, stdout: decode(result.stdout), stderr: decode(result.stderr) };
}

/** The last line of stderr that says something (Jupyter prints debugger noise first). */
function lastLine(text: string): string {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) =>
    l !== "" && !l.includes("Debugger warning") && !/^0\.\d+s - /.test(l)
  );
  return lines.at(-1) ?? "(no output)";
}

/** Registers the Deno kernel with this project's deno binary unless a working one exists. */
async function ensureKernel(): Promise<void> {
  const list = await output("jupyter", ["kernelspec", "list", "--json"]);
  if (list.code !== 0) {
    throw new NotebookError(`jupyter kernelspec list failed: ${lastLine(list.stderr)}`);
  }
  const specs = JSON.parse(list.stdout).kernelspecs ?? {};
  const binary = specs[KERNEL]?.spec?.argv?.[0];
  if (typeof binary === "string" && await Deno.stat(binary).then(() => true, () => false)) return;
  const install = await output(Deno.execPath(), ["jupyter", "--install", "--force", "--quiet"]);
  if (install.code !== 0) {
    throw new NotebookError(`deno jupyter --install failed: ${lastLine(install.stderr)}`);
  }
  console.log(`registered the Deno Jupyter kernel (${Deno.execPath()})`);
}

async function notebookNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(NOTEBOOK_DIR)) {
    if (entry.isFile && entry.name.endsWith(".ipynb")) names.push(entry.name.slice(0, -6));
  }
  if (names.length === 0) throw new NotebookError(`no notebooks in ${NOTEBOOK_DIR}`);
  return names.sort();
}

/** Empties a notebook's scratch folder, out/notebooks/NAME, so a rerun starts from nothing. */
async function clearScratch(name: string): Promise<void> {
  await Deno.remove(`${ROOT}out/notebooks/${name}`, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
}

/** Executes one notebook into `out`; returns the executed copy's path and its summary. */
async function execute(
  name: string,
  out: string,
  scale: "small" | "full",
): Promise<{ path: string; summary: string }> {
  const start = performance.now();
  await clearScratch(name);
  const run = await output("jupyter", [
    "nbconvert",
    "--to",
    "notebook",
    "--execute",
    "--allow-errors",
    `--ExecutePreprocessor.kernel_name=${KERNEL}`,
    `--ExecutePreprocessor.timeout=${CELL_TIMEOUT_S}`,
    // No per-cell execution timestamps in the saved notebook.
    "--ExecutePreprocessor.record_timing=False",
    "--output-dir",
    out,
    "--output",
    `${name}.ipynb`,
    `${NOTEBOOK_DIR}/${name}.ipynb`,
  ], {
    SCALELAB_NOTEBOOK_SCALE: scale,
    NO_COLOR: "1",
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
  });
  if (run.code !== 0) {
    throw new NotebookError(`${name}: jupyter nbconvert failed: ${lastLine(run.stderr)}`);
  }
  const path = `${out}/${name}.ipynb`;
  const text = await Deno.readTextFile(path);
  const { outputs, problems } = checkNotebook(JSON.parse(text), name);
  problems.push(...checkNotebookSize(text, name));
  if (problems.length > 0) throw new NotebookError(problems.join("\n"));
  const seconds = (performance.now() - start) / 1000;
  return {
    path,
    summary: `ok ${name} (${seconds.toFixed(1)} s): ${outputs.cells} cells, ${outputs.plots} ` +
      `plots, ${outputs.tables} tables, ${outputs.images} images -> ${path}`,
  };
}

/** Exports an executed notebook to `NAME.html` beside it; returns the HTML path. */
async function exportHtml(path: string): Promise<string> {
  const dir = path.replace(/\/[^/]*$/, "");
  const run = await output("jupyter", [
    "nbconvert",
    "--to",
    "html",
    "--template-file",
    HTML_TEMPLATE,
    "--output-dir",
    dir,
    path,
  ]);
  if (run.code !== 0) {
    throw new NotebookError(`${path}: HTML export failed: ${lastLine(run.stderr)}`);
  }
  const html = path.replace(/\.ipynb$/, ".html");
  const problems = checkSelfContained(await Deno.readTextFile(html), html);
  if (problems.length > 0) throw new NotebookError(problems.join("\n"));
  return html;
}

/**
 * Runs `deno task notebooks` with `args` and returns its exit status.
 *
 * @example
 * ```ts
 * const status = await notebooksCommand(["--only", "03"]);
 * ```
 */
export async function notebooksCommand(args: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseNotebooksArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`error: ${error.message}`);
    return 2;
  }
  if (parsed.help) {
    console.log(NOTEBOOKS_USAGE);
    return 0;
  }
  try {
    const names = selectNotebooks(await notebookNames(), parsed.only);
    await ensureKernel();
    await Deno.mkdir(parsed.out, { recursive: true });
    const start = performance.now();
    let failed = 0;
    for (const name of names) {
      try {
        const { path, summary } = await execute(name, parsed.out, parsed.scale);
        console.log(summary);
        if (parsed.html) console.log(`  html: ${await exportHtml(path)}`);
        if (parsed.inPlace) await Deno.copyFile(path, `${NOTEBOOK_DIR}/${name}.ipynb`);
      } catch (error) {
        if (!(error instanceof NotebookError)) throw error;
        console.error(`error: ${error.message}`);
        failed++;
      }
    }
    const seconds = ((performance.now() - start) / 1000).toFixed(1);
    console.log(`${names.length - failed} of ${names.length} notebooks ok in ${seconds} s`);
    return failed === 0 ? 0 : 1;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`error: ${error instanceof NotebookError ? message : message.split("\n")[0]}`);
    return message.startsWith("no notebook matches") ? 2 : 1;
  }
}

if (import.meta.main) Deno.exit(await notebooksCommand(Deno.args));
