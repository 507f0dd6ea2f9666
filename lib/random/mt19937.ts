/**
 * NumPy's legacy random permutation (`np.random.seed(s); np.random.permutation(n)`): the
 * MT19937 generator seeded with `init_genrand(s)`, and the Fisher-Yates shuffle that draws each
 * index by masked rejection sampling on 32-bit outputs. The PyTorch reproduction of LeCun 1989
 * chose its digits this way, so the same seed selects the same digits here.
 *
 * @module
 */

/**
 * MT19937 (Matsumoto and Nishimura) with NumPy's (and PyTorch's CPU) integer seeding.
 *
 * @example
 * ```ts
 * new Mt19937(5489).nextU32(); // 3499211612
 * ```
 */
export class Mt19937 {
  readonly #mt = new Uint32Array(624);
  #index = 624;

  /** @param seed a 32-bit unsigned integer, as `np.random.seed(seed)`. */
  constructor(seed: number) {
    const mt = this.#mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  /** The next 32-bit output (`genrand_int32`). */
  nextU32(): number {
    const mt = this.#mt;
    if (this.#index >= 624) {
      for (let i = 0; i < 624; i++) {
        const y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7fffffff);
        mt[i] = mt[(i + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.#index = 0;
    }
    let y = mt[this.#index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A uniform integer in [0, max] by NumPy's masked rejection (`random_interval`). */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    let value: number;
    do value = (this.nextU32() & mask) >>> 0; while (value > max);
    return value;
  }

  /**
   * A permutation of 0..n-1, as `np.random.permutation(n)` with the same generator state.
   *
   * @example
   * ```ts
   * new Mt19937(1337).permutation(5); // the same as numpy after np.random.seed(1337)
   * ```
   */
  permutation(n: number): Uint32Array {
    const out = Uint32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.interval(i);
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }
}
