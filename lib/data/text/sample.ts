/**
 * Token streams from documents: a whole split in order, or a training set of exactly D tokens
 * drawn from a seeded shuffle of the training documents.
 *
 * Documents are joined with a separator (default `"\n\n"`, encoded by the same tokenizer), which
 * counts toward the token total.
 *
 * @module
 */
import { allocateTokens, type TokenArray, type Tokenizer } from "../tokenizer.ts";
import type { TextDocument } from "./corpora.ts";
import { checkSeed, seededRandom, shuffled } from "../../random/mulberry32.ts";

/** Text placed between consecutive documents unless an option says otherwise. */
export const DEFAULT_SEPARATOR = "\n\n";

/** Options of {@link encodeDocuments}. */
export interface EncodeOptions {
  /** Text between consecutive documents; default `"\n\n"`. */
  separator?: string;
}

/** Options of {@link sampleTrainTokens}. */
export interface SampleOptions extends EncodeOptions {
  /** D: the exact number of tokens wanted. */
  tokens: number;
  /** Seed of the document shuffle. */
  seed: number;
}

/**
 * All documents, in the given order, as one token stream.
 *
 * @example
 * ```ts
 * const validationTokens = encodeDocuments(split.validation, new ByteTokenizer());
 * ```
 */
export function encodeDocuments(
  documents: readonly TextDocument[],
  tokenizer: Tokenizer,
  options: EncodeOptions = {},
): TokenArray {
  const separator = tokenizer.encode(options.separator ?? DEFAULT_SEPARATOR);
  const pieces = documents.map((document) => tokenizer.encode(document.text));
  const total = pieces.reduce((sum, piece) => sum + piece.length, 0) +
    Math.max(0, pieces.length - 1) * separator.length;
  return concatenate(pieces, separator, tokenizer.vocabSize, total);
}

/**
 * Exactly `tokens` (D) tokens: the documents are shuffled with `seed` and concatenated until D
 * tokens are reached, the last one cut short. For one seed, a smaller D is a prefix of a larger
 * one, so data-size experiments train on nested sets. Throws if the documents hold fewer than D
 * tokens, naming both numbers.
 *
 * @example
 * ```ts
 * const train = sampleTrainTokens(split.train, new ByteTokenizer(), { tokens: 1_000_000, seed: 0 });
 * train.length; // 1000000
 * ```
 */
export function sampleTrainTokens(
  documents: readonly TextDocument[],
  tokenizer: Tokenizer,
  options: SampleOptions,
): TokenArray {
  const { tokens: wanted, seed } = options;
  if (!Number.isSafeInteger(wanted) || wanted < 1) {
    throw new RangeError(`train-set size D must be a positive integer of tokens, got ${wanted}`);
  }
  checkSeed(seed);
  const separator = tokenizer.encode(options.separator ?? DEFAULT_SEPARATOR);
  const pieces: TokenArray[] = [];
  let total = 0;
  for (const document of shuffled(documents, seededRandom(seed, "train-tokens"))) {
    if (total >= wanted) break;
    if (pieces.length > 0) total += separator.length;
    const piece = tokenizer.encode(document.text);
    pieces.push(piece);
    total += piece.length;
  }
  if (total < wanted) {
    throw new RangeError(
      `train-set size D=${wanted} tokens exceeds the ${total} tokens available in ` +
        `${documents.length} training documents`,
    );
  }
  return concatenate(pieces, separator, tokenizer.vocabSize, wanted);
}

/** `pieces` joined by `separator`, cut at `length` tokens. */
function concatenate(
  pieces: readonly TokenArray[],
  separator: TokenArray,
  vocabSize: number,
  length: number,
): TokenArray {
  const out = allocateTokens(vocabSize, length);
  let at = 0;
  for (let i = 0; i < pieces.length && at < length; i++) {
    if (i > 0) {
      out.set(separator.subarray(0, length - at), at);
      at = Math.min(length, at + separator.length);
    }
    const piece = pieces[i].subarray(0, length - at);
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}
