/**
 * The kernels: WGSL programs declared once (`lib/gpu/program.ts`), the launchers that record
 * them on tensors, and the float64 references of their math. Differentiable ops over them are
 * in `lib/ops`; this module exports what model and benchmark code uses directly: elementwise
 * map launchers, and the switches that force a tiling family (for tests and benchmarks).
 *
 * @example
 * ```ts
 * import { mapInPlace, setMatmulTiling } from "./mod.ts";
 * setMatmulTiling("blocks");
 * mapInPlace("axpy", "a + c * b", param, update, -0.1);
 * ```
 *
 * @module
 */
export {
  asContiguous,
  broadcastShapes,
  copyInto,
  denseCopy,
  fill,
  fillInPlace,
  mapBinary,
  mapInPlace,
  mapUnary,
} from "./map.ts";
export { chooseMatmulTiling, type MatmulTilingChoice, setMatmulTiling } from "./matmul.ts";
export {
  type AttentionKernelChoice,
  type AttentionLayout,
  type AttentionOptions,
  setAttentionKernels,
} from "./attention.ts";
export { LAYER_NORM_EPS } from "./layernorm.ts";
