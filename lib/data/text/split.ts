/**
 * Train/validation split by document, so no text of a validation document is trained on.
 *
 * @module
 */
import type { TextDocument } from "./corpora.ts";
import { seededRandom, shuffled } from "../../random/mulberry32.ts";

/** Options of {@link splitDocuments}. */
export interface SplitOptions {
  /** Share of the documents held out for validation, in (0, 1); at least one document. */
  validationFraction: number;
  /** Seed of the shuffle that picks the validation documents. */
  seed: number;
}

/** Documents for training and documents held out, each in corpus order. */
export interface DocumentSplit {
  readonly train: TextDocument[];
  readonly validation: TextDocument[];
}

/**
 * Holds out `round(validationFraction · n)` documents (at least one, at most n − 1) chosen by a
 * seeded shuffle; both parts keep the corpus order.
 *
 * @example
 * ```ts
 * const { train, validation } = splitDocuments(await loadCorpus("sotu"), {
 *   validationFraction: 0.1,
 *   seed: 0,
 * });
 * ```
 */
export function splitDocuments(
  documents: readonly TextDocument[],
  options: SplitOptions,
): DocumentSplit {
  const { validationFraction, seed } = options;
  if (!(validationFraction > 0 && validationFraction < 1)) {
    throw new RangeError(`validationFraction must lie in (0, 1), got ${validationFraction}`);
  }
  if (documents.length < 2) {
    throw new RangeError(
      `a train/validation split needs at least 2 documents, got ${documents.length}`,
    );
  }
  const held = Math.min(
    documents.length - 1,
    Math.max(1, Math.round(validationFraction * documents.length)),
  );
  const order = shuffled(documents.map((_, i) => i), seededRandom(seed, "split"));
  const isValidation = new Uint8Array(documents.length);
  for (const i of order.slice(0, held)) isValidation[i] = 1;
  return {
    train: documents.filter((_, i) => !isValidation[i]),
    validation: documents.filter((_, i) => isValidation[i]),
  };
}
