/**
 * GPU tensors with reverse-mode autograd over the project's WGSL kernels.
 *
 * @example
 * ```ts
 * import { acquireGpu } from "../gpu/mod.ts";
 * import { add, backward, matmul, meanAll, randn, tanh } from "./mod.ts";
 * await acquireGpu();
 * const w = randn([4, 3], { seed: 1, requiresGrad: true });
 * const x = randn([2, 4], { seed: 2 });
 * backward(meanAll(tanh(matmul(x, w))));
 * console.log(await w.grad!.toArray());
 * ```
 *
 * @module
 */
export {
  checkShape,
  contiguousStrides,
  type DType,
  empty,
  type GradNode,
  keep,
  sizeOf,
  Storage,
  Tensor,
  tensor,
  type TensorTree,
  tidy,
} from "./tensor.ts";
export {
  backward,
  type BackwardOptions,
  needsGrad,
  noGrad,
  record,
  save,
  wantsGrad,
} from "./autograd.ts";
export { type CreateOptions, full, ones, randn, uniform, zeros } from "./create.ts";
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
} from "../../kernels/elementwise.ts";
export { max, mean, meanAll, sum, sumAll, sumTo } from "../../kernels/reduce.ts";
export {
  concat,
  contiguous,
  expand,
  permute,
  reshape,
  slice,
  transpose,
} from "../../kernels/layout.ts";
export {
  broadcastShapes,
  copyInto,
  fillInPlace,
  mapBinary,
  mapInPlace,
  mapUnary,
} from "../../kernels/map.ts";
export {
  chooseMatmulTiling,
  isCpuAdapter,
  linear,
  matmul,
  type MatmulTilingChoice,
  setMatmulTiling,
} from "../../kernels/matmul.ts";
export {
  type AttentionLayout,
  type AttentionOptions,
  causalAttention,
  causalSelfAttention,
  type SelfAttentionOptions,
  setAttentionKernels,
} from "../../kernels/attention.ts";
export { logSoftmax, softmax } from "../../kernels/softmax.ts";
export { crossEntropy, type CrossEntropyOptions, mseLoss } from "../../kernels/loss.ts";
export { layerNorm } from "../../kernels/layernorm.ts";
export { embedding } from "../../kernels/embedding.ts";
export {
  conv2d,
  type Conv2dConnections,
  type Conv2dGeometry,
  conv2dGeometry,
  type Conv2dOptions,
} from "../../kernels/conv2d.ts";
export { dropout, type DropoutOptions } from "../../kernels/dropout.ts";
