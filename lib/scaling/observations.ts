/**
 * Checks on the numbers a law is fitted to, each failing with a one-line error that names the
 * column and row, and the residual summary every fit reports.
 *
 * @module
 */

/** How far a fit's log-predictions are from the observations. */
export interface ResidualSummary {
  /** Points fitted. */
  count: number;
  /** Root mean square of log ŷ − log y. */
  rmse: number;
  /** Mean of |log ŷ − log y|. */
  meanAbsolute: number;
  /** Largest |log ŷ − log y|. */
  maxAbsolute: number;
}

/**
 * Logs of a column that must be positive and finite; throws naming the column and the 1-based
 * row of the first bad value.
 *
 * @example
 * ```ts
 * positiveLogs([1, Math.E], "loss"); // Float64Array [0, 1]
 * positiveLogs([1, 0], "loss"); // throws: column "loss" row 2 is 0; ...
 * ```
 */
export function positiveLogs(values: ArrayLike<number>, column: string): Float64Array {
  const logs = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
      throw new RangeError(
        `column "${column}" row ${
          i + 1
        } is ${value}; it is log-transformed, so every value must be a positive number`,
      );
    }
    logs[i] = Math.log(value);
  }
  return logs;
}

/**
 * Checks that parallel columns have the same length.
 *
 * @example
 * ```ts
 * checkSameLength({ n: [1, 2], loss: [3, 4] }); // fine
 * ```
 */
export function checkSameLength(columns: Record<string, ArrayLike<number>>): number {
  const entries = Object.entries(columns);
  const length = entries[0][1].length;
  for (const [name, values] of entries) {
    if (values.length !== length) {
      const lengths = entries.map(([n, v]) => `${n}: ${v.length}`).join(", ");
      throw new RangeError(`columns differ in length (${lengths}); "${name}" does not match`);
    }
  }
  return length;
}

/**
 * Checks that there are at least as many points as the law has free parameters.
 *
 * @example
 * ```ts
 * checkPointCount(240, 5, "chinchilla"); // fine
 * checkPointCount(3, 5, "chinchilla"); // throws
 * ```
 */
export function checkPointCount(points: number, parameters: number, law: string): void {
  if (points < parameters) {
    throw new RangeError(
      `the ${law} law has ${parameters} parameters but only ${points} point${
        points === 1 ? "" : "s"
      } were given; at least ${parameters} are needed`,
    );
  }
}

/**
 * Summarizes log residuals.
 *
 * @example
 * ```ts
 * summarizeResiduals(Float64Array.of(0.1, -0.1)).rmse; // 0.1
 * ```
 */
export function summarizeResiduals(residuals: Float64Array): ResidualSummary {
  let squares = 0;
  let absolute = 0;
  let maxAbsolute = 0;
  for (const r of residuals) {
    squares += r * r;
    absolute += Math.abs(r);
    maxAbsolute = Math.max(maxAbsolute, Math.abs(r));
  }
  const count = residuals.length;
  return { count, rmse: Math.sqrt(squares / count), meanAbsolute: absolute / count, maxAbsolute };
}

/**
 * Picks the entries at `indices` (a bootstrap resample) from a column.
 *
 * @example
 * ```ts
 * pick(Float64Array.of(5, 6, 7), [2, 2, 0]); // [7, 7, 5]
 * ```
 */
export function pick(values: Float64Array, indices: ArrayLike<number>): Float64Array {
  const out = new Float64Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = values[indices[i]];
  return out;
}
