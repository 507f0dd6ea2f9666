/**
 * Language-model batches from a token stream: windows of T tokens as inputs and the same windows
 * shifted by one as targets, so `targets[b, t] = inputs[b, t + 1]` inside a window.
 *
 * @module
 */
import type { TokenArray } from "../tokenizer.ts";
import { checkSeed, randomIndex, seededRandom } from "../../random/mulberry32.ts";

/** B windows of T tokens, row-major [B, T]. */
export interface TokenBatch {
  /** `inputs[b·T + t]` is token `s_b + t` of the stream. */
  readonly inputs: Int32Array;
  /** `targets[b·T + t]` is token `s_b + t + 1` of the stream. */
  readonly targets: Int32Array;
  /** B: the number of windows (rows). */
  readonly batch: number;
  /** T: tokens per window. */
  readonly context: number;
}

/** Options of {@link randomWindowBatches}. */
export interface RandomWindowOptions {
  /** T: tokens per window. */
  context: number;
  /** B: windows per batch. */
  batch: number;
  /** Seed of the window starts. */
  seed: number;
}

/** Options of {@link fixedWindowBatches}. */
export interface FixedWindowOptions {
  /** T: tokens per window. */
  context: number;
  /** B: windows per batch (the last batch may hold fewer). */
  batch: number;
  /** Keep at most this many windows, spread evenly over the stream; default: all of them. */
  maxWindows?: number;
}

/**
 * An endless seeded stream of batches whose window starts are drawn uniformly from
 * [0, n − T − 1], so each window and its shifted targets lie inside the stream.
 *
 * @example
 * ```ts
 * const batches = randomWindowBatches(trainTokens, { context: 256, batch: 64, seed: 0 });
 * const { inputs, targets } = batches.next().value; // Int32Array(64 * 256) each
 * ```
 */
export function* randomWindowBatches(
  tokens: TokenArray,
  options: RandomWindowOptions,
): Generator<TokenBatch, never, void> {
  const { context, batch, seed } = options;
  checkWindowShape(tokens.length, context, batch);
  checkSeed(seed);
  const random = seededRandom(seed, "windows");
  const starts = tokens.length - context;
  for (;;) {
    const inputs = new Int32Array(batch * context);
    const targets = new Int32Array(batch * context);
    for (let b = 0; b < batch; b++) {
      const start = randomIndex(random, starts);
      inputs.set(tokens.subarray(start, start + context), b * context);
      targets.set(tokens.subarray(start + 1, start + context + 1), b * context);
    }
    yield { inputs, targets, batch, context };
  }
}

/**
 * The fixed held-out windows of a stream: consecutive non-overlapping windows starting at
 * s = 0, T, 2T, … while s + T + 1 ≤ n (the `gpt eval` contract), optionally thinned to
 * `maxWindows` evenly spaced ones, grouped into batches of B. Deterministic: no seed.
 *
 * @example
 * ```ts
 * const heldOut = fixedWindowBatches(validationTokens, { context: 256, batch: 64, maxWindows: 512 });
 * ```
 */
export function fixedWindowBatches(
  tokens: TokenArray,
  options: FixedWindowOptions,
): TokenBatch[] {
  const { context, batch } = options;
  checkWindowShape(tokens.length, context, batch);
  const available = Math.floor((tokens.length - 1) / context);
  const kept = Math.min(available, options.maxWindows ?? available);
  if (!Number.isInteger(kept) || kept < 1) {
    throw new RangeError(`maxWindows must be a positive integer, got ${options.maxWindows}`);
  }
  const batches: TokenBatch[] = [];
  for (let first = 0; first < kept; first += batch) {
    const rows = Math.min(batch, kept - first);
    const inputs = new Int32Array(rows * context);
    const targets = new Int32Array(rows * context);
    for (let r = 0; r < rows; r++) {
      const start = Math.floor(((first + r) * available) / kept) * context;
      inputs.set(tokens.subarray(start, start + context), r * context);
      targets.set(tokens.subarray(start + 1, start + context + 1), r * context);
    }
    batches.push({ inputs, targets, batch: rows, context });
  }
  return batches;
}

function checkWindowShape(length: number, context: number, batch: number): void {
  if (!Number.isInteger(context) || context < 1) {
    throw new RangeError(`context must be a positive integer, got ${context}`);
  }
  if (!Number.isInteger(batch) || batch < 1) {
    throw new RangeError(`batch must be a positive integer, got ${batch}`);
  }
  if (length < context + 1) {
    throw new RangeError(
      `a stream of ${length} tokens is too short for context ${context} ` +
        `(needs at least ${context + 1})`,
    );
  }
}
