/**
 * Crash-safe file writes: a reader (or a rerun after `kill -9`) sees either the old file or
 * the complete new one, never a partial one.
 *
 * @module
 */

import { basenamePath, dirnamePath, joinPath } from "./paths.ts";

/** Temp files older than this are left over from a killed process and get removed. */
export const STALE_TEMP_MS = 10 * 60 * 1000;

/**
 * Writes `content` (text or bytes) to `path` atomically: a uniquely named temp file in the same directory
 * (`.<name>.<pid>-<random>.tmp`), fsync, then rename over `path`. On failure the temp file
 * is removed and the error rethrown.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./atomic.ts";
 * await writeFileAtomic("/tmp/example.json", '{"ok":true}\n');
 * ```
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  const unique = crypto.randomUUID().slice(0, 8);
  const temp = joinPath(dirnamePath(path), `.${basenamePath(path)}.${Deno.pid}-${unique}.tmp`);
  const file = await Deno.open(temp, { write: true, createNew: true });
  try {
    const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
    for (let written = 0; written < bytes.length;) {
      written += await file.write(bytes.subarray(written));
    }
    await file.sync();
  } catch (error) {
    file.close();
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  file.close();
  try {
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/**
 * Whether a directory entry is a temp file of {@link writeFileAtomic} (readers skip these).
 *
 * @example
 * ```ts
 * import { isTempFileName } from "./atomic.ts";
 * isTempFileName(".abc.json.123-9f8e7d6c.tmp"); // true
 * ```
 */
export function isTempFileName(name: string): boolean {
  return name.startsWith(".") && name.endsWith(".tmp");
}

/**
 * Removes temp files in `dir` older than `maxAgeMs` (left by a killed writer). Younger ones
 * may belong to a live process on another machine sharing the directory, so they stay.
 * Returns how many were removed.
 *
 * @example
 * ```ts
 * import { removeStaleTempFiles } from "./atomic.ts";
 * await Deno.mkdir("/tmp/example-dir", { recursive: true });
 * await removeStaleTempFiles("/tmp/example-dir"); // 0
 * ```
 */
export async function removeStaleTempFiles(dir: string, maxAgeMs = STALE_TEMP_MS): Promise<number> {
  let removed = 0;
  const now = Date.now();
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !isTempFileName(entry.name)) continue;
    const path = joinPath(dir, entry.name);
    try {
      const modified = (await Deno.stat(path)).mtime?.getTime() ?? now;
      if (now - modified > maxAgeMs) {
        await Deno.remove(path);
        removed++;
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return removed;
}
