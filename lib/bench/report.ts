/**
 * Bench output: a fixed-width table for people, or one JSON object per line for programs.
 *
 * @module
 */
import type { BenchResult } from "./suite.ts";

/** Column widths of the table: benchmark, case, ms, rate, vs reference, note. */
const WIDTHS = [10, 48, 10, 20, 9];

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/**
 * A number with about 3 significant digits (whole numbers from 1000 on).
 *
 * @example
 * ```ts
 * formatNumber(17.234); // "17.2"
 * formatNumber(0.01234); // "0.0123"
 * ```
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000 || abs === 0) return value.toFixed(0);
  return value.toPrecision(3);
}

/**
 * The table's header lines.
 *
 * @example
 * ```ts
 * for (const line of tableHeader()) console.log(line);
 * ```
 */
export function tableHeader(): string[] {
  const titles = ["benchmark", "case", "ms", "rate", "vs ref"];
  const line = titles.map((t, i) => pad(t, WIDTHS[i], i >= 2)).join("  ") + "  note";
  return [line, "-".repeat(line.length + 14)];
}

/**
 * One table row.
 *
 * @example
 * ```ts
 * console.log(tableRow(result));
 * ```
 */
export function tableRow(r: BenchResult): string {
  const cells = [
    r.name,
    r.label,
    formatNumber(r.ms),
    r.rate ? `${formatNumber(r.rate.value)} ${r.rate.unit}` : "",
    r.ratio !== undefined ? `${r.ratio.toFixed(2)}x` : "",
  ];
  return `${cells.map((c, i) => pad(c, WIDTHS[i], i >= 2)).join("  ")}  ${r.note ?? ""}`.trimEnd();
}

/**
 * One JSON line: `name`, `ms` and `adapter` first, then the row's own fields.
 *
 * @example
 * ```ts
 * console.log(jsonLine(result, gpu.adapterName));
 * ```
 */
export function jsonLine(r: BenchResult, adapter: string): string {
  return JSON.stringify({ name: r.name, ms: r.ms, adapter, case: r.label, ...r.fields });
}
