/**
 * Error text for one-line reports.
 *
 * @module
 */

/**
 * The first line of an error's message (or of `String(value)` for a thrown non-Error).
 *
 * @example
 * ```ts
 * import { firstLine } from "./errors.ts";
 * firstLine(new Error("bad value\n  at somewhere")); // "bad value"
 * ```
 */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n").find((line) => line.trim() !== "")?.trim() ?? "";
}
