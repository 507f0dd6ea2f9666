/**
 * Differentiable ops on GPU tensors and the autograd engine: every op's forward and backward
 * side by side, each running the kernels of `kernels/`. Re-exports the tensor API of
 * `lib/tensor` so one import serves model code.
 *
 * @example
 * ```ts
 * import { acquireGpu } from "../gpu/mod.ts";
 * import { backward, matmul, meanAll, randn, tanh } from "./mod.ts";
 * await acquireGpu();
 * const w = randn([4, 3], { seed: 1, requiresGrad: true });
 * const x = randn([2, 4], { seed: 2 });
 * backward(meanAll(tanh(matmul(x, w))));
 * console.log(await w.grad!.toArray());
 * ```
 *
 * @module
 */
export * from "../tensor/mod.ts";
export {
  backward,
  type BackwardOptions,
  needsGrad,
  noGrad,
  record,
  save,
  wantsGrad,
} from "./autograd.ts";
export {
  add,
  addScalar,
  div,
  exp,
  gelu,
  log,
  mul,
  neg,
  powScalar,
  relu,
  scale,
  sqrt,
  sub,
  tanh,
} from "./elementwise.ts";
export { max, mean, meanAll, sum, sumAll, sumTo } from "./reduce.ts";
export { concat, contiguous, expand, permute, reshape, slice, transpose } from "./layout.ts";
export { linear, matmul } from "./matmul.ts";
export { causalAttention, causalSelfAttention, type SelfAttentionOptions } from "./attention.ts";
export { logSoftmax, softmax } from "./softmax.ts";
export { crossEntropy, type CrossEntropyOptions, mseLoss } from "./loss.ts";
export { layerNorm } from "./layernorm.ts";
export { embedding } from "./embedding.ts";
export { dropout, type DropoutOptions } from "./dropout.ts";
