/**
 * Byte-level text data for GPT training: a corpus (or a text file) split by document into
 * train and validation parts, a training stream of D tokens drawn from a seeded shuffle of the
 * training documents, and a fixed held-out set of validation windows. Corpora are loaded and
 * encoded once per process.
 *
 * @module
 */
import {
  type CorpusName,
  loadCorpus,
  loadTextFile,
  type TextDocument,
} from "../data/text/corpora.ts";
import { encodeDocuments, sampleTrainTokens } from "../data/text/sample.ts";
import { splitDocuments } from "../data/text/split.ts";
import { fixedWindowBatches, type TokenBatch } from "../data/text/windows.ts";
import { ByteTokenizer, type TokenArray } from "../data/tokenizer.ts";

/** Where text comes from: a named corpus or a file (split into paragraphs as documents). */
export type TextSource = { corpus: CorpusName | string } | { file: string };

/** Options of {@link loadTextData}. */
export interface TextDataOptions {
  /** The text. */
  source: TextSource;
  /** Share of documents held out for validation (default 0.05). */
  validationFraction?: number;
  /** Seed of the train/validation split (default 0: the same held-out set for every trial). */
  splitSeed?: number;
  /**
   * D: training tokens, drawn from a seeded shuffle of training documents (nested: a smaller D
   * is a prefix of a larger one for the same seed). Default: every training document in order.
   */
  trainTokens?: number;
  /** Seed of the training-document shuffle (default 0). */
  dataSeed?: number;
}

/** Token streams for training and validation (byte tokens: one token per byte). */
export interface TextData {
  /** The training stream. */
  train: TokenArray;
  /** The whole validation stream (documents in corpus order). */
  validation: TokenArray;
  /** Bytes of text per token (1 for byte tokens), for bits per byte. */
  bytesPerToken: number;
  /** Vocabulary size of the tokenizer (256). */
  vocabSize: number;
  /** A short description of the source, e.g. `corpus sotu`. */
  description: string;
}

const documentCache = new Map<string, Promise<TextDocument[]>>();

function documentsOf(source: TextSource): Promise<TextDocument[]> {
  const key = "corpus" in source ? `corpus:${source.corpus}` : `file:${source.file}`;
  let documents = documentCache.get(key);
  if (!documents) {
    documents = "corpus" in source
      ? loadCorpus(source.corpus)
      : loadTextFile(source.file, { documents: "paragraphs" });
    documents.catch(() => documentCache.delete(key));
    documentCache.set(key, documents);
  }
  return documents;
}

/**
 * Loads, splits and byte-encodes text for training.
 *
 * @example
 * ```ts
 * const data = await loadTextData({ source: { corpus: "sotu" }, trainTokens: 1_000_000, dataSeed: 0 });
 * data.train.length; // 1000000
 * ```
 */
export async function loadTextData(options: TextDataOptions): Promise<TextData> {
  const documents = await documentsOf(options.source);
  const split = splitDocuments(documents, {
    validationFraction: options.validationFraction ?? 0.05,
    seed: options.splitSeed ?? 0,
  });
  const tokenizer = new ByteTokenizer();
  const train = options.trainTokens === undefined
    ? encodeDocuments(split.train, tokenizer)
    : sampleTrainTokens(split.train, tokenizer, {
      tokens: options.trainTokens,
      seed: options.dataSeed ?? 0,
    });
  return {
    train,
    validation: encodeDocuments(split.validation, tokenizer),
    bytesPerToken: 1,
    vocabSize: tokenizer.vocabSize,
    description: "corpus" in options.source
      ? `corpus ${options.source.corpus}`
      : `file ${options.source.file}`,
  };
}

/**
 * The fixed held-out batches: `windows` evenly spaced non-overlapping windows of the
 * validation stream, in batches of `batch`.
 *
 * @example
 * ```ts
 * const heldOut = validationBatches(data.validation, { context: 64, batch: 32, windows: 128 });
 * ```
 */
export function validationBatches(
  validation: TokenArray,
  options: { context: number; batch: number; windows: number },
): TokenBatch[] {
  return fixedWindowBatches(validation, {
    context: options.context,
    batch: options.batch,
    maxWindows: options.windows,
  });
}
