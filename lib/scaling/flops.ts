/**
 * Parameter and FLOP accounting: GPT-style decoder transformers (the 6·N·D approximation and the
 * exact per-layer forward count of Hoffmann et al. 2022, appendix F) and small convnets such as
 * LeCun et al.'s 1989 net (multiply-accumulates per example, ×3 for forward + backward).
 *
 * @module
 */

/** A GPT-style decoder-only transformer. */
export interface GptConfig {
  /** Number of transformer blocks. */
  nLayer: number;
  /** Attention heads per block; `dModel` must be divisible by it. */
  nHead: number;
  /** Width of the residual stream. */
  dModel: number;
  /** Hidden width of the MLP; defaults to `4 * dModel`. */
  dFF?: number;
  /** Sequence length the model is trained on (learned position embeddings of this length). */
  contextLength: number;
  /** Vocabulary size. */
  vocabSize: number;
  /** True when the output head reuses the token-embedding matrix (GPT-2); defaults to true. */
  tiedHead?: boolean;
  /** True when linear layers and LayerNorms carry biases (GPT-2, nanoGPT's `bias`); default true. */
  bias?: boolean;
  /** True for learned position embeddings (GPT-2, default); false for fixed ones (no parameters). */
  learnedPositions?: boolean;
}

/** Parameter counts of a {@link GptConfig}. */
export interface GptParamCounts {
  /** Every trainable parameter (a tied head counted once). */
  total: number;
  /** Kaplan et al.'s N: everything except token embeddings, position embeddings and the head. */
  nonEmbedding: number;
  /** Token embeddings + position embeddings + an untied head. */
  embedding: number;
  /** Parameters in one transformer block. */
  perLayer: number;
  /** Kaplan et al.'s closed form 2·dModel·nLayer·(2·dModel + dFF) (= 12·nLayer·dModel² at dFF = 4d). */
  kaplanApproximation: number;
}

/** Forward FLOPs of one sequence, by the terms of Hoffmann et al. 2022, table A4. */
export interface GptForwardFlops {
  /** 2 · T · V · d. */
  embeddings: number;
  /** Per layer: 2 · 3 · T · d · (d_head · n_head). */
  attentionQkv: number;
  /** Per layer: 2 · T · T · (d_head · n_head). */
  attentionLogits: number;
  /** Per layer: 3 · n_head · T · T. */
  attentionSoftmax: number;
  /** Per layer: 2 · T · T · (d_head · n_head). */
  attentionReduction: number;
  /** Per layer: 2 · T · (d_head · n_head) · d. */
  attentionProjection: number;
  /** Per layer: 2 · T · (d · d_ff + d_ff · d). */
  feedForward: number;
  /** 2 · T · d · V. */
  logits: number;
  /** embeddings + nLayer · (attention + feed-forward) + logits. */
  total: number;
}

/** Training FLOPs of a GPT run over a number of tokens, by three rules. */
export interface GptTrainingFlops {
  /** 6 · N_total · D. */
  approx6ND: number;
  /** 6 · N_nonEmbedding · D (Kaplan et al.'s C). */
  approx6NDNonEmbedding: number;
  /** 3 × the exact forward count per token × D (backward = 2 × forward). */
  exact: number;
}

function checkPositiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
}

function checkGptConfig(config: GptConfig): Required<GptConfig> {
  const full: Required<GptConfig> = {
    dFF: 4 * config.dModel,
    tiedHead: true,
    bias: true,
    learnedPositions: true,
    ...config,
  };
  for (const key of ["nLayer", "nHead", "dModel", "dFF", "contextLength", "vocabSize"] as const) {
    checkPositiveInteger(full[key], key);
  }
  if (full.dModel % full.nHead !== 0) {
    throw new RangeError(`dModel (${full.dModel}) must be divisible by nHead (${full.nHead})`);
  }
  return full;
}

/**
 * Parameter counts of a GPT-2-style model: token embeddings, learned (or fixed) position
 * embeddings, blocks of attention (QKV + projection), a two-layer MLP and two LayerNorms, a final
 * LayerNorm and a linear head (tied or not).
 *
 * @example
 * ```ts
 * const counts = gptParamCounts({ nLayer: 12, nHead: 12, dModel: 768, contextLength: 1024, vocabSize: 50257 });
 * counts.total; // 124,439,808 (GPT-2 small)
 * ```
 */
export function gptParamCounts(config: GptConfig): GptParamCounts {
  const c = checkGptConfig(config);
  const d = c.dModel;
  const biasUnits = c.bias ? 1 : 0;
  const attention = 3 * d * d + 3 * d * biasUnits + d * d + d * biasUnits;
  const mlp = d * c.dFF + c.dFF * biasUnits + c.dFF * d + d * biasUnits;
  const layerNorm = d + d * biasUnits;
  const perLayer = attention + mlp + 2 * layerNorm;
  const tokenEmbedding = c.vocabSize * d;
  const positionEmbedding = c.learnedPositions ? c.contextLength * d : 0;
  const head = c.tiedHead ? 0 : c.vocabSize * d;
  const nonEmbedding = c.nLayer * perLayer + layerNorm;
  const embedding = tokenEmbedding + positionEmbedding + head;
  return {
    total: nonEmbedding + embedding,
    nonEmbedding,
    embedding,
    perLayer,
    kaplanApproximation: 2 * d * c.nLayer * (2 * d + c.dFF),
  };
}

/**
 * Forward-pass FLOPs of one full-length sequence, counted as in Hoffmann et al. 2022 (appendix F,
 * table A4): a multiply-add is 2 FLOPs; LayerNorms, biases and nonlinearities are not counted.
 *
 * @example
 * ```ts
 * const flops = gptForwardFlops({ nLayer: 2, nHead: 2, dModel: 64, contextLength: 128, vocabSize: 256 });
 * flops.total / 128; // forward FLOPs per token
 * ```
 */
export function gptForwardFlops(config: GptConfig): GptForwardFlops {
  const c = checkGptConfig(config);
  const t = c.contextLength;
  const d = c.dModel;
  const attentionWidth = (d / c.nHead) * c.nHead;
  const embeddings = 2 * t * c.vocabSize * d;
  const attentionQkv = 2 * 3 * t * d * attentionWidth;
  const attentionLogits = 2 * t * t * attentionWidth;
  const attentionSoftmax = 3 * c.nHead * t * t;
  const attentionReduction = 2 * t * t * attentionWidth;
  const attentionProjection = 2 * t * attentionWidth * d;
  const feedForward = 2 * t * (d * c.dFF + c.dFF * d);
  const logits = 2 * t * d * c.vocabSize;
  const perLayer = attentionQkv + attentionLogits + attentionSoftmax + attentionReduction +
    attentionProjection + feedForward;
  return {
    embeddings,
    attentionQkv,
    attentionLogits,
    attentionSoftmax,
    attentionReduction,
    attentionProjection,
    feedForward,
    logits,
    total: embeddings + c.nLayer * perLayer + logits,
  };
}

/**
 * Training FLOPs of a GPT run over `tokens` training tokens: the 6·N·D approximations (with
 * total and non-embedding N) and the exact count (3 × forward, since backward = 2 × forward).
 *
 * @example
 * ```ts
 * const config = { nLayer: 4, nHead: 4, dModel: 256, contextLength: 256, vocabSize: 512 };
 * const flops = gptTrainingFlops(config, 1e8);
 * flops.exact / flops.approx6ND; // ≈ 1.17: attention over 256 tokens, which 6·N·D leaves out
 * ```
 */
export function gptTrainingFlops(config: GptConfig, tokens: number): GptTrainingFlops {
  if (!(tokens > 0) || !Number.isFinite(tokens)) {
    throw new RangeError(`tokens must be a positive number, got ${tokens}`);
  }
  const params = gptParamCounts(config);
  const forwardPerToken = gptForwardFlops(config).total / config.contextLength;
  return {
    approx6ND: 6 * params.total * tokens,
    approx6NDNonEmbedding: 6 * params.nonEmbedding * tokens,
    exact: 3 * forwardPerToken * tokens,
  };
}

/** A convolution layer's shape, for counting multiply-accumulates. */
export interface ConvLayerShape {
  /** Output feature maps. */
  outChannels: number;
  /** Output map height. */
  outHeight: number;
  /** Output map width. */
  outWidth: number;
  /** Kernel height. */
  kernelHeight: number;
  /** Kernel width. */
  kernelWidth: number;
  /** Input maps each output map sees (all of them for a dense connection table). */
  inChannelsPerOutput: number;
}

/**
 * Multiply-accumulates of one convolution layer for one example.
 *
 * @example
 * ```ts
 * convLayerMacs({ outChannels: 12, outHeight: 8, outWidth: 8, kernelHeight: 5, kernelWidth: 5, inChannelsPerOutput: 1 }); // 19200
 * ```
 */
export function convLayerMacs(shape: ConvLayerShape): number {
  for (const [key, value] of Object.entries(shape)) checkPositiveInteger(value, key);
  return shape.outChannels * shape.outHeight * shape.outWidth * shape.kernelHeight *
    shape.kernelWidth * shape.inChannelsPerOutput;
}

/**
 * Multiply-accumulates of one fully connected layer for one example.
 *
 * @example
 * ```ts
 * denseLayerMacs(192, 30); // 5760
 * ```
 */
export function denseLayerMacs(inputs: number, outputs: number): number {
  checkPositiveInteger(inputs, "inputs");
  checkPositiveInteger(outputs, "outputs");
  return inputs * outputs;
}

/**
 * Forward multiply-accumulates per example of LeCun et al.'s 1989 net: H1 (12 maps of 8×8, 5×5
 * kernels on 1 input map), H2 (12 maps of 4×4, 5×5 kernels on 8 of H1's maps), H3 (192→30),
 * output (30→10).
 *
 * @example
 * ```ts
 * lecun1989Macs(); // 63660
 * ```
 */
export function lecun1989Macs(): number {
  const h1 = convLayerMacs({
    outChannels: 12,
    outHeight: 8,
    outWidth: 8,
    kernelHeight: 5,
    kernelWidth: 5,
    inChannelsPerOutput: 1,
  });
  const h2 = convLayerMacs({
    outChannels: 12,
    outHeight: 4,
    outWidth: 4,
    kernelHeight: 5,
    kernelWidth: 5,
    inChannelsPerOutput: 8,
  });
  return h1 + h2 + denseLayerMacs(12 * 4 * 4, 30) + denseLayerMacs(30, 10);
}

/** Training cost of a net trained example by example. */
export interface ExampleTrainingCost {
  /** Multiply-accumulates: forward MACs × 3 (forward + backward) × examples seen. */
  macs: number;
  /** FLOPs: 2 per multiply-accumulate. */
  flops: number;
}

/**
 * Training cost of `examples` example presentations (e.g. 7291 × 23 passes) for a net with
 * `forwardMacs` multiply-accumulates per forward pass; backward costs twice the forward.
 *
 * @example
 * ```ts
 * const cost = trainingCostFromMacs(lecun1989Macs(), 7291 * 23);
 * cost.flops; // ≈ 6.4e10
 * ```
 */
export function trainingCostFromMacs(forwardMacs: number, examples: number): ExampleTrainingCost {
  if (!(forwardMacs > 0) || !Number.isFinite(forwardMacs)) {
    throw new RangeError(`forwardMacs must be a positive number, got ${forwardMacs}`);
  }
  if (!(examples >= 0) || !Number.isFinite(examples)) {
    throw new RangeError(`examples must be a non-negative number, got ${examples}`);
  }
  const macs = 3 * forwardMacs * examples;
  return { macs, flops: 2 * macs };
}
