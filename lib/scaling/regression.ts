/**
 * Small least-squares fits: a line and a parabola through points.
 *
 * @module
 */

/**
 * Least-squares line through (x, y): returns [intercept, slope].
 *
 * @example
 * ```ts
 * fitLine(Float64Array.of(0, 1, 2), Float64Array.of(1, 3, 5)); // [1, 2]
 * ```
 */
export function fitLine(x: ArrayLike<number>, y: ArrayLike<number>): [number, number] {
  const n = x.length;
  let meanX = 0;
  let meanY = 0;
  for (let i = 0; i < n; i++) {
    meanX += x[i] / n;
    meanY += y[i] / n;
  }
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - meanX) * (y[i] - meanY);
    sxx += (x[i] - meanX) ** 2;
  }
  if (!(sxx > 0)) throw new RangeError("a line needs at least two distinct x values");
  const slope = sxy / sxx;
  return [meanY - slope * meanX, slope];
}

/**
 * Least-squares parabola y = c₀ + c₁x + c₂x² through at least three points with three distinct
 * x values: returns [c₀, c₁, c₂].
 *
 * @example
 * ```ts
 * fitParabola([0, 1, 2, 3], [1, 0, 1, 4]); // ≈ [1, -2, 1]
 * ```
 */
export function fitParabola(x: ArrayLike<number>, y: ArrayLike<number>): [number, number, number] {
  const n = x.length;
  if (new Set(Array.from(x)).size < 3) {
    throw new RangeError(`a parabola needs three distinct x values, got ${n} points`);
  }
  // Centre and scale x so the normal equations stay well conditioned.
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i] / n;
  let spread = 0;
  for (let i = 0; i < n; i++) spread = Math.max(spread, Math.abs(x[i] - mean));
  const moments = new Float64Array(5);
  const rhs = new Float64Array(3);
  for (let i = 0; i < n; i++) {
    const u = (x[i] - mean) / spread;
    let power = 1;
    for (let k = 0; k < 5; k++) {
      moments[k] += power;
      if (k < 3) rhs[k] += power * y[i];
      power *= u;
    }
  }
  const [q0, q1, q2] = solve3([
    [moments[0], moments[1], moments[2]],
    [moments[1], moments[2], moments[3]],
    [moments[2], moments[3], moments[4]],
  ], rhs);
  // Back to the original x: y = q0 + q1 u + q2 u², u = (x − mean)/spread.
  const s1 = q1 / spread;
  const s2 = q2 / (spread * spread);
  return [q0 - s1 * mean + s2 * mean * mean, s1 - 2 * s2 * mean, s2];
}

/** Solves a 3×3 system by Gaussian elimination with partial pivoting. */
function solve3(matrix: number[][], rhs: Float64Array): [number, number, number] {
  const m = matrix.map((row, i) => [...row, rhs[i]]);
  for (let col = 0; col < 3; col++) {
    let pivot = col;
    for (let row = col + 1; row < 3; row++) {
      if (Math.abs(m[row][col]) > Math.abs(m[pivot][col])) pivot = row;
    }
    [m[col], m[pivot]] = [m[pivot], m[col]];
    for (let row = col + 1; row < 3; row++) {
      const factor = m[row][col] / m[col][col];
      for (let k = col; k < 4; k++) m[row][k] -= factor * m[col][k];
    }
  }
  const out: [number, number, number] = [0, 0, 0];
  for (let row = 2; row >= 0; row--) {
    let value = m[row][3];
    for (let k = row + 1; k < 3; k++) value -= m[row][k] * out[k];
    out[row] = value / m[row][row];
  }
  return out;
}
