/**
 * Atomic file writes: readers see the old file or the whole new one, never a torn one.
 *
 * @module
 */

/**
 * Writes `bytes` to `path` through a temp file in the same directory, fsync, then rename.
 * Failures are one-line errors naming `path`; the temp file is removed.
 *
 * @example
 * ```ts
 * await writeFileAtomic("out/model.safetensors", new Uint8Array([1, 2, 3]));
 * ```
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID()}`;
  try {
    const file = await Deno.open(temp, { write: true, createNew: true });
    try {
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw new Error(`${path}: cannot write (${(error as Error).message})`);
  }
}
