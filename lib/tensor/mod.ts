/**
 * GPU tensors: a shape and strides over a reference-counted pooled buffer, views that share
 * storage, scopes that dispose what they created, and constructors. The ops on tensors (with
 * autograd) are in `lib/ops`.
 *
 * @example
 * ```ts
 * import { acquireGpu } from "../gpu/mod.ts";
 * import { randn, tensor } from "./mod.ts";
 * await acquireGpu();
 * const w = randn([4, 3], { seed: 1, requiresGrad: true });
 * const x = tensor([1, 2, 3, 4], [1, 4]);
 * console.log(await w.toArray(), x.shape);
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
export { type CreateOptions, full, ones, randn, uniform, zeros } from "./create.ts";
