/**
 * The text pipeline: corpora as documents, a train/validation split by document, a train set of
 * exactly D tokens, and random or fixed window batches for language models.
 *
 * @example
 * ```ts
 * const documents = await loadCorpus("sotu");
 * const split = splitDocuments(documents, { validationFraction: 0.1, seed: 0 });
 * const tokenizer = new ByteTokenizer();
 * const train = sampleTrainTokens(split.train, tokenizer, { tokens: 2_000_000, seed: 0 });
 * const batches = randomWindowBatches(train, { context: 256, batch: 64, seed: 0 });
 * const heldOut = fixedWindowBatches(encodeDocuments(split.validation, tokenizer), {
 *   context: 256,
 *   batch: 64,
 * });
 * ```
 *
 * @module
 */
export {
  CORPUS_NAMES,
  type CorpusName,
  type CorpusOptions,
  loadBrown,
  loadCorpus,
  loadMobyDick,
  loadSotu,
  loadTextFile,
  type TextDocument,
  type TextFileOptions,
} from "./corpora.ts";
export { stripBrownTags } from "./brown.ts";
export { type DocumentSplit, splitDocuments, type SplitOptions } from "./split.ts";
export {
  DEFAULT_SEPARATOR,
  encodeDocuments,
  type EncodeOptions,
  type SampleOptions,
  sampleTrainTokens,
} from "./sample.ts";
export {
  fixedWindowBatches,
  type FixedWindowOptions,
  randomWindowBatches,
  type RandomWindowOptions,
  type TokenBatch,
} from "./windows.ts";
