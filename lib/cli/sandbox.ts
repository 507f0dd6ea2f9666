/**
 * The commands' sandbox: the Deno permissions each `deno task` runs with (the one table that
 * deno.json's tasks must match; a test checks it), and the check every output location
 * (`--out`, `--save`, `--plot`) passes before any work starts: resolved to its real location
 * (symlinks followed), it must be writable under the granted permissions, else one line names
 * what is allowed and the exact command that allows a directory outside the checkout.
 *
 * @module
 */
import { UsageError } from "./args.ts";
import { dirnamePath, joinPath, resolvePath } from "../io/paths.ts";

/** The repository root (where deno.json is and where tasks run). */
export const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname).replace(
  /\/$/,
  "",
);

/** The deno binary the tasks run, relative to the root. */
export const DENO = "node_modules/deno/deno";

/** Directories of the checkout every writing task may write to. */
export const WRITABLE = ["results", "out"] as const;

/** Each task's permission flags (as in deno.json), without the binary, `run` and the module. */
export const TASK_PERMISSIONS = {
  test: ["--no-prompt", "--allow-read", "--allow-write=out,/tmp", "--allow-env", "--allow-run"],
  bench: ["--no-prompt", "--allow-read", "--allow-env", "--allow-run=python3,/usr/bin/python3"],
  repro: ["--no-prompt", "--allow-read", "--allow-write=results,out", "--allow-env"],
  sweep: [
    "--no-prompt",
    "--allow-read",
    "--allow-write=results,out",
    "--allow-env",
    `--allow-run=${DENO}`,
  ],
  fit: ["--no-prompt", "--allow-read", "--allow-write=results,out"],
  plots: ["--no-prompt", "--allow-read", "--allow-write=results,out"],
  gpt: ["--no-prompt", "--allow-read", "--allow-write=results,out", "--allow-env"],
  site: ["--no-prompt", "--allow-read", "--allow-write=out"],
  notebooks: [
    "--no-prompt",
    "--allow-read",
    "--allow-write=out,notebooks",
    "--allow-env",
    "--allow-run",
  ],
} as const;

/** A task whose outputs are checked here. */
export type WritingTask = "repro" | "sweep" | "fit" | "plots" | "gpt";

/**
 * `path` made absolute with its symlinks resolved: the real location of its nearest existing
 * ancestor, plus the parts that do not exist yet.
 *
 * @example
 * ```ts
 * import { realLocation } from "./sandbox.ts";
 * realLocation("out/new/dir"); // e.g. "/repo/out/new/dir"
 * ```
 */
export function realLocation(path: string): string {
  const absolute = resolvePath(Deno.cwd(), path);
  const missing: string[] = [];
  for (let dir = absolute;; dir = dirnamePath(dir)) {
    try {
      return joinPath(Deno.realPathSync(dir), ...missing.reverse());
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound) || dir === "/") throw error;
      missing.push(dir.slice(dirnamePath(dir).length).replace(/^\//, ""));
    }
  }
}

/**
 * Checks, before any work, that `task` may write `path` (a directory when `kind` is "dir", a
 * file otherwise) at its real location, and creates the directory (or the file's directory).
 * Throws a {@link UsageError} of one line naming what is allowed and how to allow it.
 *
 * @example
 * ```ts
 * import { prepareOutput } from "./sandbox.ts";
 * prepareOutput("out/my-run", { flag: "--out", task: "repro", kind: "dir" });
 * ```
 */
export function prepareOutput(
  path: string,
  options: { flag: string; task: WritingTask; kind: "dir" | "file" },
): void {
  const real = realLocation(path);
  const absolute = resolvePath(Deno.cwd(), path);
  const granted = (target: string) =>
    Deno.permissions.querySync({ name: "write", path: target }).state === "granted";
  if (!granted(real) || !granted(absolute)) {
    const where = real === absolute ? "" : ` (really ${real})`;
    const dir = options.kind === "dir" ? real : dirnamePath(real);
    throw new UsageError(
      `${options.flag} ${path}${where} is outside what deno task ${options.task} may write ` +
        `(${WRITABLE.map((d) => `${d}/`).join(" and ")} of the checkout); to write there, run ` +
        `${allowCommand(options.task, dir)}`,
    );
  }
  try {
    if (options.kind === "file" && Deno.statSync(real).isDirectory) {
      throw new UsageError(`${options.flag} ${path} is a directory; expected a file name`);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  try {
    Deno.mkdirSync(options.kind === "dir" ? real : dirnamePath(real), { recursive: true });
  } catch (error) {
    throw new UsageError(
      `${options.flag} ${path}: cannot create its directory (${(error as Error).message})`,
    );
  }
}

/**
 * The command line that runs `task` with `dir` added to its writable directories.
 *
 * @example
 * ```ts
 * import { allowCommand } from "./sandbox.ts";
 * allowCommand("sweep", "/shared/results");
 * // "node_modules/deno/deno run --no-prompt --allow-read --allow-write=results,out,/shared/results ... lib/cli/sweep.ts ..."
 * ```
 */
export function allowCommand(task: WritingTask, dir: string): string {
  const flags = TASK_PERMISSIONS[task].map((flag) =>
    flag.startsWith("--allow-write=") ? `${flag},${dir}` : flag
  );
  return `${DENO} run ${flags.join(" ")} lib/cli/${task}.ts ...`;
}

/**
 * The deno binary this process may start (the sweep's trial processes): `Deno.execPath()`, or
 * the checkout's `node_modules/deno/deno` when `--allow-run` names it by that path. Throws one
 * line when neither may be run.
 *
 * @example
 * ```ts
 * import { denoExecutable } from "./sandbox.ts";
 * const deno = denoExecutable(); // e.g. "/repo/node_modules/deno/deno"
 * ```
 */
export function denoExecutable(): string {
  const candidates = [Deno.execPath(), joinPath(ROOT, DENO)];
  const allowed = candidates.find((command) =>
    Deno.permissions.querySync({ name: "run", command }).state === "granted"
  );
  if (allowed === undefined) {
    throw new UsageError(
      `the sweep runs each worker's trials in a deno process of its own and needs ` +
        `--allow-run=${DENO} (as deno task sweep has)`,
    );
  }
  return allowed;
}
