/**
 * Reading the columns a fit needs from an arquero table (e.g. a sweep's summary.csv), with
 * one-line errors for a missing file, a missing column, or a value that is not a positive number.
 *
 * @module
 */

import { type ColumnTable, desc, fromCSV } from "arquero";

/** An arquero table. */
export type CsvTable = ColumnTable;

/**
 * Reads a CSV file into an arquero table (types inferred per column); blank lines at its end
 * are not rows.
 *
 * @example
 * ```ts
 * const table = await readCsvTable("results/gpt-scaling/summary.csv");
 * table.numRows();
 * ```
 */
export async function readCsvTable(path: string): Promise<CsvTable> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "no such file" : String(error);
    throw new Error(`cannot read table ${path}: ${reason}`);
  }
  // Blank lines at the end (a final newline too many) are not rows.
  const table = fromCSV(text.replace(/(\r?\n[ \t]*)+$/, ""));
  if (table.numRows() === 0) throw new Error(`table ${path} has no rows`);
  return table;
}

/**
 * A column's values as numbers, each required to be positive (they are log-transformed).
 * Throws naming the column and the 1-based row of the first bad value, or listing the available
 * columns when it is missing.
 *
 * @example
 * ```ts
 * const n = positiveColumn(aq.table({ N: [1e6, 1e7] }), "N"); // [1e6, 1e7]
 * ```
 */
export function positiveColumn(table: CsvTable, column: string): number[] {
  const names = table.columnNames();
  if (!names.includes(column)) {
    throw new Error(
      `column "${column}" not found; available columns: ${names.map((n) => `"${n}"`).join(", ")}`,
    );
  }
  const values = Array.from(table.array(column) as ArrayLike<unknown>);
  values.forEach((value, i) => {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new Error(
        `column "${column}" row ${i + 1} is ${JSON.stringify(value)}; expected a number`,
      );
    }
    if (value <= 0) {
      throw new Error(
        `column "${column}" row ${
          i + 1
        } is ${value}; it is log-transformed, so every value must be positive`,
      );
    }
  });
  return values as number[];
}

/**
 * Drops the `count` rows with the highest values of `column` (e.g. the 5 highest-loss runs).
 *
 * @example
 * ```ts
 * excludeHighest(aq.table({ loss: [3, 9, 4] }), "loss", 1).array("loss"); // [4, 3]
 * ```
 */
export function excludeHighest(table: CsvTable, column: string, count: number): CsvTable {
  if (!Number.isInteger(count) || count < 0) {
    throw new Error(`the number of rows to exclude must be a non-negative integer, got ${count}`);
  }
  if (count >= table.numRows()) {
    throw new Error(`cannot exclude ${count} of ${table.numRows()} rows; none would remain`);
  }
  return count === 0 ? table : table.orderby(desc(column)).slice(count);
}
