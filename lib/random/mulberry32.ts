/**
 * mulberry32, the small seeded generator of uniform numbers behind the text pipeline (document
 * splits, train-set sampling, window batches), the sweep planner's random sampling and the
 * bootstrap resamples: every choice is reproducible from its seed.
 *
 * @module
 */

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/**
 * A seeded generator of uniform numbers in [0, 1) (mulberry32, 32 bits per draw).
 *
 * `stream` names the purpose of the draws (e.g. `"split"`), so two uses of one seed for different
 * purposes do not see the same sequence.
 *
 * @example
 * ```ts
 * const random = seededRandom(7, "split");
 * const first = random(); // the same number on every run
 * ```
 */
export function seededRandom(seed: number, stream = ""): Random {
  checkSeed(seed);
  return mulberry32(seed ^ hashString(stream));
}

/**
 * mulberry32 (Ettinger): uniform numbers in [0, 1) with 32 bits per draw from a 32-bit seed;
 * the same seed gives the same stream on every machine.
 *
 * @example
 * ```ts
 * const random = mulberry32(42);
 * random(); // the same number on every run
 * ```
 */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A uniform integer in [0, n).
 *
 * @example
 * ```ts
 * const index = randomIndex(seededRandom(1), 10); // 0 ≤ index < 10
 * ```
 */
export function randomIndex(random: Random, n: number): number {
  return Math.floor(random() * n);
}

/**
 * A shuffled copy of `items` (Fisher–Yates), leaving `items` untouched.
 *
 * @example
 * ```ts
 * const order = shuffled([0, 1, 2, 3], seededRandom(3, "docs"));
 * ```
 */
export function shuffled<T>(items: readonly T[], random: Random): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomIndex(random, i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Throws unless `seed` is an integer in [0, 2^32). */
export function checkSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer in [0, 4294967295], got ${seed}`);
  }
}

/** FNV-1a hash of a string's UTF-16 code units. */
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  return hash >>> 0;
}
