/**
 * The code version a trial ran with.
 *
 * @module
 */

/**
 * `git rev-parse HEAD` in `cwd`, or null when git is missing, not allowed (`--allow-run=git`),
 * or `cwd` is not in a repository with a commit. Never throws.
 *
 * @example
 * ```ts
 * import { gitCommit } from "./git.ts";
 * console.log(await gitCommit()); // e.g. "3f1c2a..." or null
 * ```
 */
export async function gitCommit(cwd?: string): Promise<string | null> {
  try {
    const output = await new Deno.Command("git", {
      args: ["rev-parse", "HEAD"],
      cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    const commit = new TextDecoder().decode(output.stdout).trim();
    return output.success && /^[0-9a-f]{40,64}$/.test(commit) ? commit : null;
  } catch {
    return null;
  }
}
