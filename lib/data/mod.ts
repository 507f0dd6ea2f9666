/**
 * Data: text corpora and tokenizers, MNIST, and the safetensors checkpoint format.
 *
 * @module
 */
export * from "./text/mod.ts";
export * from "./tokenizer.ts";
export * from "./safetensors.ts";
export * from "./mnist.ts";
