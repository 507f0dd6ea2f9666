/**
 * Writing result files so a reader never sees a half-written one: write a temporary file beside
 * the target, flush it to disk, then rename it over the target.
 *
 * @module
 */

/**
 * Writes `data` to `path` atomically (temporary file + fsync + rename).
 *
 * @example
 * ```ts
 * await writeFileAtomic("results/examples/fit.svg", new TextEncoder().encode(svg));
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const temporary = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const file = await Deno.open(temporary, { write: true, create: true, truncate: true });
    try {
      let written = 0;
      while (written < data.length) written += await file.write(data.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}
