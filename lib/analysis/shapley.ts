/**
 * Attribution over a two-level full factorial: a table of 2^k cell values indexed by the mask
 * of the factors that are on (bit i = factor i), its effects (every main effect and
 * interaction, as Yates defines them) and the Shapley values of the k factors for the change
 * from the all-off cell to the all-on cell.
 *
 * @module
 */

/** Most factors a table may have (2^16 cells). */
const MAX_FACTORS = 16;

function checkTable(values: ArrayLike<number>, names: readonly string[]): number {
  const k = names.length;
  if (k < 1 || k > MAX_FACTORS) {
    throw new RangeError(`a factorial needs 1 to ${MAX_FACTORS} factors, got ${k}`);
  }
  if (new Set(names).size !== k) {
    throw new RangeError(`factor names must differ, got ${names.join(", ")}`);
  }
  if (values.length !== 2 ** k) {
    throw new RangeError(
      `a 2^${k} factorial has ${2 ** k} cells, got ${values.length} values`,
    );
  }
  for (let c = 0; c < values.length; c++) {
    if (!Number.isFinite(values[c])) {
      throw new RangeError(`cell ${cellName(c, names)} has no finite value (${values[c]})`);
    }
  }
  return k;
}

function bitCount(mask: number): number {
  let n = 0;
  for (let m = mask; m; m &= m - 1) n++;
  return n;
}

/**
 * The name of the effect of the factors in `mask`: their names in factor order, joined by `:`.
 *
 * @example
 * ```ts
 * effectName(0b101, ["ce", "adamw", "augment"]); // "ce:augment"
 * ```
 */
export function effectName(mask: number, names: readonly string[]): string {
  return names.filter((_, i) => mask & (1 << i)).join(":");
}

/**
 * A cell's name: the factors that are on joined by `+`, or `none` for the all-off cell.
 *
 * @example
 * ```ts
 * cellName(0b011, ["ce", "adamw", "augment"]); // "ce+adamw"
 * ```
 */
export function cellName(mask: number, names: readonly string[]): string {
  return mask === 0 ? "none" : names.filter((_, i) => mask & (1 << i)).join("+");
}

/**
 * Every non-empty subset of k factors as a mask, by size, then by the factor order of its
 * members (`a, b, c, a:b, a:c, b:c, a:b:c` for k = 3): the order effects are listed in.
 *
 * @example
 * ```ts
 * effectMasks(3); // [1, 2, 4, 3, 5, 6, 7]
 * ```
 */
export function effectMasks(k: number): number[] {
  const members = (mask: number) =>
    Array.from({ length: k }, (_, i) => i).filter((i) => mask & (1 << i));
  const masks = Array.from({ length: 2 ** k - 1 }, (_, i) => i + 1);
  return masks.sort((a, b) => {
    const size = bitCount(a) - bitCount(b);
    if (size !== 0) return size;
    const [ma, mb] = [members(a), members(b)];
    const at = ma.findIndex((m, j) => m !== mb[j]);
    return ma[at] - mb[at];
  });
}

/** One effect of a factorial. */
export interface FactorialEffect {
  /** Names of its factors joined by `:` (e.g. `adamw:more_data`). */
  name: string;
  /** Mask of its factors. */
  mask: number;
  /** Its value: the contrast over the cells divided by 2^(k−1). */
  value: number;
}

/**
 * The weight of every cell in the effect of `mask`: ±1/2^(k−1), the sign the product over
 * the effect's factors of +1 (on) or −1 (off).
 *
 * @example
 * ```ts
 * effectWeights(0b01, 2); // [-0.5, 0.5, -0.5, 0.5]
 * ```
 */
export function effectWeights(mask: number, k: number): Float64Array {
  const scale = 1 / 2 ** (k - 1);
  return Float64Array.from(
    { length: 2 ** k },
    (_, cell) => bitCount(mask & ~cell) % 2 ? -scale : scale,
  );
}

/**
 * Every main effect and interaction of a 2^k table (`values[mask]`), in {@link effectMasks}
 * order. A main effect is the mean over the cells with the factor on minus the mean with it
 * off; a two-factor interaction is half the change of one factor's effect when the other
 * turns on; in general the contrast Σ ±values / 2^(k−1) (Yates).
 *
 * @example
 * ```ts
 * // y = 1 + 2·a + 3·b + 4·a·b over the cells none, a, b, a+b
 * factorialEffects([1, 3, 4, 10], ["a", "b"]);
 * // [{ name: "a", mask: 1, value: 4 }, { name: "b", mask: 2, value: 5 }, { name: "a:b", mask: 3, value: 2 }]
 * ```
 */
export function factorialEffects(
  values: ArrayLike<number>,
  names: readonly string[],
): FactorialEffect[] {
  const k = checkTable(values, names);
  return effectMasks(k).map((mask) => {
    const weights = effectWeights(mask, k);
    let value = 0;
    for (let c = 0; c < weights.length; c++) value += weights[c] * values[c];
    return { name: effectName(mask, names), mask, value };
  });
}

/**
 * The Shapley value of each factor in the game whose worth of a coalition S is `worth[S]`:
 * φ_i = Σ over S without i of |S|!·(k−|S|−1)!/k! · (worth[S ∪ i] − worth[S]). They sum to
 * `worth[all] − worth[none]`, and a factor whose addition never changes the worth gets 0.
 *
 * @example
 * ```ts
 * // worth 0, 1, 2, 5 for none, a, b, a+b: a and b split the interaction of 2 equally
 * shapleyValues([0, 1, 2, 5], ["a", "b"]); // [2, 3]
 * ```
 */
export function shapleyValues(worth: ArrayLike<number>, names: readonly string[]): number[] {
  const k = checkTable(worth, names);
  const factorial = [1];
  for (let n = 1; n <= k; n++) factorial.push(factorial[n - 1] * n);
  const weight = (size: number) => factorial[size] * factorial[k - size - 1] / factorial[k];
  return names.map((_, i) => {
    const bit = 1 << i;
    let value = 0;
    for (let s = 0; s < worth.length; s++) {
      if (s & bit) continue;
      value += weight(bitCount(s)) * (worth[s | bit] - worth[s]);
    }
    return value;
  });
}
