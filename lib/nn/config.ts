/**
 * The GPT configuration: nanoGPT's five numbers (layers, heads, width, context, vocabulary) plus
 * the architecture switches the ablation experiments flip. Defaults are nanoGPT's GPT-2
 * architecture: pre-LayerNorm, GELU (exact erf), learned positions, biases on, the output head
 * tied to the token embedding, no dropout.
 *
 * @module
 */
import type { GptConfig as FlopsConfig } from "../scaling/flops.ts";

/** Where LayerNorm sits in a block. */
export type NormPlacement = "pre" | "post";
/** The MLP nonlinearity. */
export type Activation = "gelu" | "relu";
/** How positions enter the residual stream. */
export type PositionEncoding = "learned" | "sinusoidal";

/** A complete GPT configuration (see {@link gptConfig} for defaults and checks). */
export interface GptConfig {
  /** Transformer blocks (nanoGPT `n_layer`). */
  readonly nLayer: number;
  /** Attention heads per block (`n_head`); `nEmbd` must be divisible by it. */
  readonly nHead: number;
  /** Width of the residual stream (`n_embd`). */
  readonly nEmbd: number;
  /** Longest context, and the number of learned positions (`block_size`). */
  readonly blockSize: number;
  /** Vocabulary size (`vocab_size`). */
  readonly vocabSize: number;
  /** `"pre"` (GPT-2, default): x + f(LN(x)); `"post"` (original Transformer): LN(x + f(x)). */
  readonly norm: NormPlacement;
  /** MLP nonlinearity: `"gelu"` (exact erf, default) or `"relu"`. */
  readonly activation: Activation;
  /** Output head reuses the token embedding (default true). */
  readonly tiedHead: boolean;
  /** `"learned"` position embeddings (default) or fixed `"sinusoidal"` ones (no parameters). */
  readonly positions: PositionEncoding;
  /** Biases in linear layers and LayerNorms (default true; nanoGPT's `bias`). */
  readonly bias: boolean;
  /** Dropout probability on embeddings and residual branches (default 0; nanoGPT's `dropout`). */
  readonly dropout: number;
}

/** The five sizes are required; every switch has a default. */
export type GptConfigInput =
  & Pick<GptConfig, "nLayer" | "nHead" | "nEmbd" | "blockSize" | "vocabSize">
  & Partial<GptConfig>;

/** The architecture switches' defaults (nanoGPT / GPT-2). */
export const GPT_DEFAULTS = {
  norm: "pre",
  activation: "gelu",
  tiedHead: true,
  positions: "learned",
  bias: true,
  dropout: 0,
} as const satisfies Partial<GptConfig>;

/**
 * A checked configuration with defaults filled in (for absent or undefined switches); a bad
 * value is one clear error line.
 *
 * @example
 * ```ts
 * const config = gptConfig({ nLayer: 2, nHead: 2, nEmbd: 64, blockSize: 128, vocabSize: 256 });
 * config.norm; // "pre"
 * ```
 */
export function gptConfig(input: GptConfigInput): GptConfig {
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const config = { ...GPT_DEFAULTS, ...given } as GptConfig;
  for (const key of ["nLayer", "nHead", "nEmbd", "blockSize", "vocabSize"] as const) {
    const value = config[key];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`GPT config: ${key} must be a positive integer, got ${value}`);
    }
  }
  if (config.nEmbd % config.nHead !== 0) {
    throw new RangeError(
      `GPT config: nEmbd (${config.nEmbd}) must be divisible by nHead (${config.nHead})`,
    );
  }
  checkChoice("norm", config.norm, ["pre", "post"]);
  checkChoice("activation", config.activation, ["gelu", "relu"]);
  checkChoice("positions", config.positions, ["learned", "sinusoidal"]);
  if (typeof config.tiedHead !== "boolean") {
    throw new TypeError(`GPT config: tiedHead must be true or false, got ${config.tiedHead}`);
  }
  if (typeof config.bias !== "boolean") {
    throw new TypeError(`GPT config: bias must be true or false, got ${config.bias}`);
  }
  if (!(config.dropout >= 0 && config.dropout < 1)) {
    throw new RangeError(`GPT config: dropout must be in [0, 1), got ${config.dropout}`);
  }
  if (config.positions === "sinusoidal" && config.nEmbd % 2 !== 0) {
    throw new RangeError(
      `GPT config: sinusoidal positions need an even nEmbd, got ${config.nEmbd}`,
    );
  }
  return Object.freeze(config);
}

function checkChoice(key: string, value: unknown, allowed: readonly string[]): void {
  if (!allowed.includes(value as string)) {
    throw new RangeError(
      `GPT config: ${key} must be ${allowed.map((a) => `"${a}"`).join(" or ")}, got ${
        JSON.stringify(value)
      }`,
    );
  }
}

/**
 * The head size nEmbd / nHead.
 *
 * @example
 * ```ts
 * headSize(gptConfig({ nLayer: 6, nHead: 6, nEmbd: 384, blockSize: 256, vocabSize: 65 })); // 64
 * ```
 */
export function headSize(config: GptConfig): number {
  return config.nEmbd / config.nHead;
}

/** The config as nanoGPT's `GPTConfig` fields (snake case), as stored in checkpoints. */
export interface NanoGptConfigJson {
  n_layer: number;
  n_head: number;
  n_embd: number;
  block_size: number;
  vocab_size: number;
  bias: boolean;
  dropout: number;
  norm: NormPlacement;
  activation: Activation;
  tied_head: boolean;
  positions: PositionEncoding;
}

/**
 * nanoGPT's config fields (plus this project's switches) for a checkpoint's metadata.
 *
 * @example
 * ```ts
 * JSON.stringify(toNanoGptJson(config)); // {"n_layer":2,"n_head":2,...}
 * ```
 */
export function toNanoGptJson(config: GptConfig): NanoGptConfigJson {
  return {
    n_layer: config.nLayer,
    n_head: config.nHead,
    n_embd: config.nEmbd,
    block_size: config.blockSize,
    vocab_size: config.vocabSize,
    bias: config.bias,
    dropout: config.dropout,
    norm: config.norm,
    activation: config.activation,
    tied_head: config.tiedHead,
    positions: config.positions,
  };
}

/**
 * A config from nanoGPT-style JSON: the five sizes are required, the switches default to
 * nanoGPT's architecture when absent (a plain nanoGPT checkpoint's config).
 *
 * @example
 * ```ts
 * fromNanoGptJson({ n_layer: 6, n_head: 6, n_embd: 384, block_size: 256, vocab_size: 65 });
 * ```
 */
export function fromNanoGptJson(json: unknown): GptConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new TypeError("GPT config JSON must be an object with n_layer, n_head, n_embd, ...");
  }
  const j = json as Record<string, unknown>;
  for (const key of ["n_layer", "n_head", "n_embd", "block_size", "vocab_size"]) {
    if (!(key in j)) throw new RangeError(`GPT config JSON lacks "${key}"`);
  }
  const input: Record<string, unknown> = {
    nLayer: j.n_layer,
    nHead: j.n_head,
    nEmbd: j.n_embd,
    blockSize: j.block_size,
    vocabSize: j.vocab_size,
  };
  const optional: [string, keyof GptConfig][] = [
    ["bias", "bias"],
    ["dropout", "dropout"],
    ["norm", "norm"],
    ["activation", "activation"],
    ["tied_head", "tiedHead"],
    ["positions", "positions"],
  ];
  for (const [from, to] of optional) if (j[from] !== undefined) input[to] = j[from];
  return gptConfig(input as unknown as GptConfigInput);
}

/**
 * The config in lib/scaling's terms, for FLOP counts (contextLength = blockSize).
 *
 * @example
 * ```ts
 * gptTrainingFlops(gptFlopsConfig(config), tokens).exact;
 * ```
 */
export function gptFlopsConfig(config: GptConfig): FlopsConfig {
  return {
    nLayer: config.nLayer,
    nHead: config.nHead,
    dModel: config.nEmbd,
    contextLength: config.blockSize,
    vocabSize: config.vocabSize,
    tiedHead: config.tiedHead,
    bias: config.bias,
    learnedPositions: config.positions === "learned",
  };
}
