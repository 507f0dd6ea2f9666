/**
 * Tokenizers for the text pipeline: UTF-8 bytes (vocabulary 256) and a trainable byte-level BPE.
 *
 * The BPE follows GPT-2: text is first cut into chunks (words with their leading space, numbers,
 * punctuation runs, whitespace runs) by the GPT-2 pattern, merges never cross a chunk boundary,
 * and token `256 + i` is merge `i`. Training counts pairs incrementally (a merge updates only the
 * words that contain the merged pair) and picks the most frequent pair with ties broken by the
 * smallest pair `(left, right)`, so the same text always gives the same merges.
 *
 * @module
 */
import { writeFileAtomic } from "../io/atomic.ts";

/** Token ids: bytes for the byte tokenizer, 16-bit ids for BPE, 32-bit for anything larger. */
export type TokenArray = Uint8Array | Uint16Array | Int32Array;

/** Turns text into token ids and back. */
export interface Tokenizer {
  /** `"byte"` or `"bpe"`. */
  readonly kind: "byte" | "bpe";
  /** Number of distinct token ids; ids lie in [0, vocabSize). */
  readonly vocabSize: number;
  /** The token ids of `text`. */
  encode(text: string): TokenArray;
  /** The text of `tokens`; byte sequences that are not valid UTF-8 decode to U+FFFD. */
  decode(tokens: ArrayLike<number>): string;
}

/** One BPE merge: the pair of token ids `[left, right]` that becomes a new token. */
export type Merge = readonly [number, number];

/** The JSON form of a tokenizer, as written by {@link saveTokenizer}. */
export type TokenizerJson =
  | { type: "byte"; version: 1; vocabSize: 256 }
  | {
    type: "bpe";
    version: 1;
    pretokenizer: "gpt2";
    vocabSize: number;
    merges: [number, number][];
  };

/** Largest BPE vocabulary: ids must fit the Uint16Array that {@link BpeTokenizer.encode} returns. */
export const MAX_BPE_VOCAB_SIZE = 65536;

/** GPT-2's pre-tokenization pattern (contractions, words, numbers, punctuation, whitespace). */
const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * A zero-filled token array wide enough for ids below `vocabSize`.
 *
 * @example
 * ```ts
 * const tokens = allocateTokens(512, 1024); // a Uint16Array
 * ```
 */
export function allocateTokens(vocabSize: number, length: number): TokenArray {
  if (vocabSize <= 256) return new Uint8Array(length);
  if (vocabSize <= 65536) return new Uint16Array(length);
  return new Int32Array(length);
}

/**
 * UTF-8 bytes as tokens: vocabulary 256, and `decode(encode(s)) === s` for every well-formed
 * string (lone surrogates have no UTF-8 form and come back as U+FFFD).
 *
 * @example
 * ```ts
 * const bytes = new ByteTokenizer();
 * bytes.encode("é"); // Uint8Array [195, 169]
 * bytes.decode([104, 105]); // "hi"
 * ```
 */
export class ByteTokenizer implements Tokenizer {
  readonly kind = "byte";
  readonly vocabSize = 256;

  encode(text: string): Uint8Array {
    return utf8Encoder.encode(text);
  }

  decode(tokens: ArrayLike<number>): string {
    const bytes = new Uint8Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) {
      const id = tokens[i];
      if (!Number.isInteger(id) || id < 0 || id > 255) throw outOfVocabulary(id, 256);
      bytes[i] = id;
    }
    return utf8Decoder.decode(bytes);
  }

  /** The JSON form, for {@link saveTokenizer}. */
  toJSON(): TokenizerJson {
    return { type: "byte", version: 1, vocabSize: 256 };
  }
}

/** Options of {@link BpeTokenizer.train}. */
export interface BpeTrainOptions {
  /** Target vocabulary: 256 byte tokens plus `vocabSize - 256` merges; 256 … 65536. */
  vocabSize: number;
}

/**
 * Byte-level BPE with GPT-2 pre-tokenization; `decode(encode(s)) === s` for every well-formed
 * string, including the empty string and any Unicode.
 *
 * @example
 * ```ts
 * const bpe = BpeTokenizer.train(["the cat sat on the mat"], { vocabSize: 260 });
 * const ids = bpe.encode("the mat"); // Uint16Array, ids < 260
 * bpe.decode(ids); // "the mat"
 * ```
 */
export class BpeTokenizer implements Tokenizer {
  readonly kind = "bpe";
  readonly vocabSize: number;
  /** Merge `i` joins `merges[i]` into token `256 + i`. */
  readonly merges: readonly Merge[];
  readonly #ranks = new Map<number, number>();
  readonly #tokenBytes: Uint8Array[] = [];
  readonly #chunkCache = new Map<string, Uint16Array>();

  /** A tokenizer from its merges; each merge may use only bytes and earlier merges. */
  constructor(merges: readonly Merge[]) {
    if (256 + merges.length > MAX_BPE_VOCAB_SIZE) {
      throw new RangeError(
        `BPE has ${merges.length} merges, more than the ${MAX_BPE_VOCAB_SIZE - 256} allowed`,
      );
    }
    for (let b = 0; b < 256; b++) this.#tokenBytes.push(Uint8Array.of(b));
    merges.forEach(([left, right], i) => {
      const id = 256 + i;
      for (const part of [left, right]) {
        if (!Number.isInteger(part) || part < 0 || part >= id) {
          throw new RangeError(
            `BPE merge ${i} uses token ${part}, but only tokens 0..${id - 1} exist before it`,
          );
        }
      }
      const key = pairKey(left, right);
      if (this.#ranks.has(key)) {
        throw new RangeError(`BPE merge ${i} repeats the pair [${left}, ${right}]`);
      }
      this.#ranks.set(key, i);
      const bytes = new Uint8Array(this.#tokenBytes[left].length + this.#tokenBytes[right].length);
      bytes.set(this.#tokenBytes[left]);
      bytes.set(this.#tokenBytes[right], this.#tokenBytes[left].length);
      this.#tokenBytes.push(bytes);
    });
    this.merges = merges.map(([left, right]) => [left, right] as const);
    this.vocabSize = 256 + merges.length;
  }

  /**
   * Learns merges from `texts` (one string or a list of documents) until the vocabulary holds
   * `vocabSize` tokens. Throws if the text has too few adjacent pairs to reach that size.
   */
  static train(texts: string | readonly string[], options: BpeTrainOptions): BpeTokenizer {
    const { vocabSize } = options;
    if (!Number.isInteger(vocabSize) || vocabSize < 256 || vocabSize > MAX_BPE_VOCAB_SIZE) {
      throw new RangeError(
        `BPE vocabSize must be an integer in [256, ${MAX_BPE_VOCAB_SIZE}], got ${vocabSize}`,
      );
    }
    const documents = typeof texts === "string" ? [texts] : texts;
    return new BpeTokenizer(learnMerges(countChunks(documents), vocabSize - 256));
  }

  /** A tokenizer from the JSON form written by {@link saveTokenizer}. */
  static fromJSON(json: unknown, source = "tokenizer JSON"): BpeTokenizer {
    const tokenizer = tokenizerFromJson(json, source);
    if (!(tokenizer instanceof BpeTokenizer)) {
      throw new Error(`${source}: expected a "bpe" tokenizer, found "${tokenizer.kind}"`);
    }
    return tokenizer;
  }

  encode(text: string): Uint16Array {
    const pieces: Uint16Array[] = [];
    let total = 0;
    for (const match of text.matchAll(GPT2_SPLIT)) {
      const ids = this.#encodeChunk(match[0]);
      pieces.push(ids);
      total += ids.length;
    }
    const out = new Uint16Array(total);
    let at = 0;
    for (const ids of pieces) {
      out.set(ids, at);
      at += ids.length;
    }
    return out;
  }

  decode(tokens: ArrayLike<number>): string {
    let total = 0;
    for (let i = 0; i < tokens.length; i++) {
      const id = tokens[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw outOfVocabulary(id, this.vocabSize);
      }
      total += this.#tokenBytes[id].length;
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < tokens.length; i++) {
      const piece = this.#tokenBytes[tokens[i]];
      bytes.set(piece, at);
      at += piece.length;
    }
    return utf8Decoder.decode(bytes);
  }

  /** The JSON form, for {@link saveTokenizer}. */
  toJSON(): TokenizerJson {
    return {
      type: "bpe",
      version: 1,
      pretokenizer: "gpt2",
      vocabSize: this.vocabSize,
      merges: this.merges.map(([left, right]) => [left, right]),
    };
  }

  /** Applies the merges to one chunk, lowest rank first (the order training learned them). */
  #encodeChunk(chunk: string): Uint16Array {
    const cached = this.#chunkCache.get(chunk);
    if (cached) return cached;
    let ids: number[] = Array.from(utf8Encoder.encode(chunk));
    while (ids.length > 1) {
      let bestRank = Infinity;
      for (let i = 0; i + 1 < ids.length; i++) {
        const rank = this.#ranks.get(pairKey(ids[i], ids[i + 1]));
        if (rank !== undefined && rank < bestRank) bestRank = rank;
      }
      if (bestRank === Infinity) break;
      const [left, right] = this.merges[bestRank];
      ids = mergePair(ids, left, right, 256 + bestRank);
    }
    const encoded = Uint16Array.from(ids);
    if (this.#chunkCache.size >= CHUNK_CACHE_LIMIT) this.#chunkCache.clear();
    this.#chunkCache.set(chunk, encoded);
    return encoded;
  }
}

/** Distinct chunks remembered by {@link BpeTokenizer.encode} before the cache starts over. */
const CHUNK_CACHE_LIMIT = 1 << 17;

/**
 * Writes a tokenizer as JSON, atomically (temp file, fsync, rename).
 *
 * @example
 * ```ts
 * await saveTokenizer("out/bpe512.json", BpeTokenizer.train(text, { vocabSize: 512 }));
 * ```
 */
export async function saveTokenizer(
  path: string,
  tokenizer: ByteTokenizer | BpeTokenizer,
): Promise<void> {
  const bytes = utf8Encoder.encode(JSON.stringify(tokenizer.toJSON()) + "\n");
  await writeFileAtomic(path, bytes);
}

/**
 * Reads a tokenizer written by {@link saveTokenizer}; a missing or malformed file is a one-line
 * error naming it.
 *
 * @example
 * ```ts
 * const tokenizer = await loadTokenizer("out/bpe512.json");
 * ```
 */
export async function loadTokenizer(path: string): Promise<ByteTokenizer | BpeTokenizer> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new Error(`${path}: no such tokenizer file`);
    throw new Error(`${path}: cannot read tokenizer (${(error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const reason = (error as Error).message.replace(/\s+/g, " ");
    throw new Error(`${path}: tokenizer file is not valid JSON (${reason})`);
  }
  return tokenizerFromJson(json, path);
}

/** Validates a parsed tokenizer JSON document and builds the tokenizer it describes. */
function tokenizerFromJson(json: unknown, source: string): ByteTokenizer | BpeTokenizer {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Error(`${source}: a tokenizer must be a JSON object`);
  }
  const record = json as Record<string, unknown>;
  if (record.version !== 1) {
    throw new Error(`${source}: unsupported tokenizer version ${record.version} (expected 1)`);
  }
  if (record.type === "byte") return new ByteTokenizer();
  if (record.type !== "bpe") {
    throw new Error(
      `${source}: unknown tokenizer type ${JSON.stringify(record.type)}` +
        ` (expected "byte" or "bpe")`,
    );
  }
  if (record.pretokenizer !== "gpt2") {
    throw new Error(
      `${source}: unknown pretokenizer ${JSON.stringify(record.pretokenizer)}` +
        ` (expected "gpt2")`,
    );
  }
  const merges = record.merges;
  if (
    !Array.isArray(merges) ||
    !merges.every((m) => Array.isArray(m) && m.length === 2 && m.every(Number.isInteger))
  ) {
    throw new Error(`${source}: "merges" must be a list of [left, right] integer pairs`);
  }
  if (record.vocabSize !== 256 + merges.length) {
    throw new Error(
      `${source}: vocabSize ${record.vocabSize} does not match 256 + ${merges.length} merges`,
    );
  }
  try {
    return new BpeTokenizer(merges as [number, number][]);
  } catch (error) {
    throw new Error(`${source}: ${(error as Error).message}`);
  }
}

function outOfVocabulary(id: number, vocabSize: number): RangeError {
  return new RangeError(`token id ${id} is outside the vocabulary [0, ${vocabSize})`);
}

/** A number naming the ordered pair (left, right); ordering keys orders pairs lexicographically. */
function pairKey(left: number, right: number): number {
  return left * MAX_BPE_VOCAB_SIZE + right;
}

/** `ids` with every non-overlapping (left, right), scanned left to right, replaced by `merged`. */
function mergePair(ids: readonly number[], left: number, right: number, merged: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (i + 1 < ids.length && ids[i] === left && ids[i + 1] === right) {
      out.push(merged);
      i++;
    } else {
      out.push(ids[i]);
    }
  }
  return out;
}

/** Each distinct pre-tokenized chunk of the documents with its number of occurrences. */
function countChunks(documents: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of documents) {
    for (const match of text.matchAll(GPT2_SPLIT)) {
      counts.set(match[0], (counts.get(match[0]) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * Learns `mergeCount` merges over the weighted chunks. Pair counts live in a map and a max-heap
 * keyed (count desc, pair asc) with lazy deletion; a merge rewrites only the words that hold the
 * pair and pushes the pairs whose counts changed.
 */
function learnMerges(chunkCounts: Map<string, number>, mergeCount: number): Merge[] {
  const words: number[][] = [];
  const weights: number[] = [];
  for (const [chunk, count] of chunkCounts) {
    const bytes = utf8Encoder.encode(chunk);
    if (bytes.length < 2) continue;
    words.push(Array.from(bytes));
    weights.push(count);
  }
  const pairCounts = new Map<number, number>();
  const wordsWithPair = new Map<number, number[]>();
  words.forEach((word, w) => {
    for (let i = 0; i + 1 < word.length; i++) {
      const key = pairKey(word[i], word[i + 1]);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + weights[w]);
      const list = wordsWithPair.get(key);
      if (!list) wordsWithPair.set(key, [w]);
      else if (list[list.length - 1] !== w) list.push(w);
    }
  });
  const heap = new PairHeap();
  for (const [key, count] of pairCounts) heap.push(count, key);

  const merges: Merge[] = [];
  const lastVisit = new Int32Array(words.length).fill(-1);
  while (merges.length < mergeCount) {
    const best = popBest(heap, pairCounts);
    if (best === undefined) {
      throw new RangeError(
        `BPE training text yields only ${merges.length} merges, short of the ${mergeCount} ` +
          `needed for vocabSize ${256 + mergeCount}: give it more text or ask for a smaller vocab`,
      );
    }
    const left = Math.floor(best / MAX_BPE_VOCAB_SIZE);
    const right = best % MAX_BPE_VOCAB_SIZE;
    const merged = 256 + merges.length;
    merges.push([left, right]);
    const deltas = new Map<number, number>();
    for (const w of wordsWithPair.get(best) ?? []) {
      if (lastVisit[w] === merges.length) continue;
      lastVisit[w] = merges.length;
      const before = words[w];
      const after = mergePair(before, left, right, merged);
      if (after.length === before.length) continue;
      const weight = weights[w];
      for (let i = 0; i + 1 < before.length; i++) {
        const key = pairKey(before[i], before[i + 1]);
        deltas.set(key, (deltas.get(key) ?? 0) - weight);
      }
      for (let i = 0; i + 1 < after.length; i++) {
        const key = pairKey(after[i], after[i + 1]);
        deltas.set(key, (deltas.get(key) ?? 0) + weight);
        if (after[i] === merged || after[i + 1] === merged) {
          const list = wordsWithPair.get(key);
          if (!list) wordsWithPair.set(key, [w]);
          else if (list[list.length - 1] !== w) list.push(w);
        }
      }
      words[w] = after;
    }
    wordsWithPair.delete(best);
    for (const [key, delta] of deltas) {
      if (delta === 0) continue;
      const count = (pairCounts.get(key) ?? 0) + delta;
      if (count > 0) {
        pairCounts.set(key, count);
        heap.push(count, key);
      } else {
        pairCounts.delete(key);
      }
    }
  }
  return merges;
}

/** The live pair with the highest count (smallest pair on ties), skipping stale heap entries. */
function popBest(heap: PairHeap, pairCounts: Map<number, number>): number | undefined {
  while (heap.size > 0) {
    const { count, key } = heap.pop();
    if (pairCounts.get(key) === count) return key;
  }
  return undefined;
}

/** Binary max-heap of (count, pair key): higher count first, then smaller key. */
class PairHeap {
  #counts: number[] = [];
  #keys: number[] = [];

  get size(): number {
    return this.#counts.length;
  }

  push(count: number, key: number): void {
    this.#counts.push(count);
    this.#keys.push(key);
    let i = this.#counts.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  pop(): { count: number; key: number } {
    const top = { count: this.#counts[0], key: this.#keys[0] };
    const lastCount = this.#counts.pop()!;
    const lastKey = this.#keys.pop()!;
    if (this.#counts.length > 0) {
      this.#counts[0] = lastCount;
      this.#keys[0] = lastKey;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let first = i;
        if (l < this.#counts.length && this.#before(l, first)) first = l;
        if (r < this.#counts.length && this.#before(r, first)) first = r;
        if (first === i) break;
        this.#swap(i, first);
        i = first;
      }
    }
    return top;
  }

  #before(a: number, b: number): boolean {
    const ca = this.#counts[a];
    const cb = this.#counts[b];
    return ca > cb || (ca === cb && this.#keys[a] < this.#keys[b]);
  }

  #swap(a: number, b: number): void {
    [this.#counts[a], this.#counts[b]] = [this.#counts[b], this.#counts[a]];
    [this.#keys[a], this.#keys[b]] = [this.#keys[b], this.#keys[a]];
  }
}
