/**
 * The WebGPU runtime: device acquisition, adapter questions, declared kernels (interfaces
 * generated from one declaration), pooled buffers, batched submission.
 *
 * @module
 */
export { acquireGpu, createGpu, currentGpu, NoAdapterError } from "./device.ts";
export { describeAdapter, isCpuAdapter } from "./adapter.ts";
export { Gpu, GpuError, type Kernel, type KernelBuffers, type KernelUniforms } from "./runtime.ts";
export {
  type Constants,
  declareKernel,
  type KernelDeclaration,
  type KernelInterface,
  kernelSource,
  specializationKey,
  type StorageAccess,
  type StorageDecl,
  UniformLayout,
  type UniformType,
} from "./program.ts";
export { BufferPool, GpuBuffer, type PoolStats, sizeClass } from "./pool.ts";
export { FLAT_GROUP, grid1d, MAX_GROUPS_X } from "./grid.ts";
