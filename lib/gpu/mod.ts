/**
 * The WebGPU runtime: device acquisition, kernels, pooled buffers, batched submission.
 *
 * @module
 */
export { acquireGpu, createGpu, currentGpu, describeAdapter, NoAdapterError } from "./device.ts";
export {
  type BindingKind,
  Gpu,
  GpuError,
  type Kernel,
  type KernelSource,
  Params,
} from "./runtime.ts";
export { BufferPool, GpuBuffer, type PoolStats, sizeClass } from "./pool.ts";
