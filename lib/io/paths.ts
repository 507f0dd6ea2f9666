/**
 * The few POSIX path operations the sweep engine needs (no `node:path`, no `@std/path`).
 *
 * @module
 */

/**
 * Joins path segments with `/` and normalizes `.`, `..` and repeated slashes.
 *
 * @example
 * ```ts
 * import { joinPath } from "./paths.ts";
 * joinPath("results/quad/", "trials", "ab.json"); // "results/quad/trials/ab.json"
 * ```
 */
export function joinPath(...segments: string[]): string {
  return normalizePath(segments.filter((s) => s !== "").join("/"));
}

/**
 * `path` made absolute against `root` (unless it already is) and normalized.
 *
 * @example
 * ```ts
 * import { resolvePath } from "./paths.ts";
 * resolvePath("/repo", "experiments/../experiments/x.ts"); // "/repo/experiments/x.ts"
 * ```
 */
export function resolvePath(root: string, path: string): string {
  return normalizePath(path.startsWith("/") ? path : `${root}/${path}`);
}

/**
 * The directory part of `path` ("." when there is none).
 *
 * @example
 * ```ts
 * import { dirnamePath } from "./paths.ts";
 * dirnamePath("results/quad/summary.csv"); // "results/quad"
 * ```
 */
export function dirnamePath(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "." : slash === 0 ? "/" : path.slice(0, slash);
}

/**
 * The last segment of `path`.
 *
 * @example
 * ```ts
 * import { basenamePath } from "./paths.ts";
 * basenamePath("results/quad/summary.csv"); // "summary.csv"
 * ```
 */
export function basenamePath(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * A `file:` URL for an absolute path, with `#`, `?` and spaces escaped.
 *
 * @example
 * ```ts
 * import { fileUrl } from "./paths.ts";
 * fileUrl("/repo/experiments/a b.ts").href; // "file:///repo/experiments/a%20b.ts"
 * ```
 */
export function fileUrl(absolutePath: string): URL {
  const url = new URL("file:///");
  url.pathname = absolutePath;
  return url;
}

function normalizePath(path: string): string {
  const absolute = path.startsWith("/");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
    else if (part !== ".." || !absolute) parts.push(part);
  }
  const joined = parts.join("/");
  return absolute ? `/${joined}` : joined || ".";
}
