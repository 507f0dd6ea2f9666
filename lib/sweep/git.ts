/**
 * The code version a trial ran with, read from the repository's `.git` files (`HEAD`, loose
 * refs, `packed-refs`, a worktree's `gitdir:` and `commondir` files) so that no `git` process
 * is ever spawned.
 *
 * @module
 */

import { dirnamePath, joinPath, resolvePath } from "../io/paths.ts";

const HASH = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * The commit checked out in the repository containing `cwd`, or null when there is none (not
 * a repository, no commit yet, `.git` unreadable). Never throws, never spawns a process.
 *
 * @example
 * ```ts
 * import { gitCommit } from "./git.ts";
 * console.log(await gitCommit()); // e.g. "3f1c2a..." or null
 * ```
 */
export async function gitCommit(cwd: string = Deno.cwd()): Promise<string | null> {
  try {
    const gitDir = await findGitDir(resolvePath(Deno.cwd(), cwd));
    if (gitDir === null) return null;
    const common = await readText(joinPath(gitDir, "commondir"));
    const commonDir = common === null ? gitDir : resolvePath(gitDir, common.trim());
    let head = (await readText(joinPath(gitDir, "HEAD")))?.trim() ?? "";
    for (let depth = 0; depth < 5 && head.startsWith("ref: "); depth++) {
      head = await resolveRef(head.slice(5).trim(), gitDir, commonDir) ?? "";
    }
    return HASH.test(head) ? head : null;
  } catch {
    return null;
  }
}

/** The `.git` directory for `start`: the nearest `.git` directory, or the one a `.git` file names. */
async function findGitDir(start: string): Promise<string | null> {
  for (let dir = start;; dir = dirnamePath(dir)) {
    const dotGit = joinPath(dir, ".git");
    const info = await Deno.stat(dotGit).catch(() => null);
    if (info?.isDirectory) return dotGit;
    if (info?.isFile) {
      const match = /^gitdir:\s*(.+)$/m.exec(await readText(dotGit) ?? "");
      return match ? resolvePath(dir, match[1].trim()) : null;
    }
    if (dir === "/" || dir === ".") return null;
  }
}

/** A ref's target: its loose file (worktree first, then the common dir), else `packed-refs`. */
async function resolveRef(ref: string, gitDir: string, commonDir: string): Promise<string | null> {
  if (ref.includes("..")) return null;
  for (const dir of [gitDir, commonDir]) {
    const loose = await readText(joinPath(dir, ref));
    if (loose !== null) return loose.trim();
  }
  for (const line of (await readText(joinPath(commonDir, "packed-refs")) ?? "").split("\n")) {
    const [hash, name] = line.trim().split(" ");
    if (name === ref && HASH.test(hash)) return hash;
  }
  return null;
}

async function readText(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return null;
  }
}
