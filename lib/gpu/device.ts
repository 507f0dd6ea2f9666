/**
 * WebGPU adapter and device acquisition.
 *
 * One {@link Gpu} per process is shared by everything (tensors, trainers, sweeps). It is created
 * on first use with the high-performance adapter, the optional features the project can use
 * (`shader-f16`, `timestamp-query`, `subgroups`) and the adapter's maximum limits. A lost device
 * is reported on the next operation, and the next {@link acquireGpu} builds a fresh one.
 *
 * @module
 */
import { Gpu } from "./runtime.ts";

/** Raised when WebGPU offers no adapter at all; its message says how to get one. */
export class NoAdapterError extends Error {
  constructor() {
    super(
      "no WebGPU adapter found: on Linux without a GPU install Mesa's lavapipe " +
        "(`apt-get install -y mesa-vulkan-drivers`) and set DENO_WEBGPU_BACKEND=vulkan " +
        "(or DENO_WEBGPU_BACKEND=gl for llvmpipe)",
    );
    this.name = "NoAdapterError";
  }
}

/** Optional features requested when the adapter has them. */
const WANTED_FEATURES = ["shader-f16", "timestamp-query", "subgroups"] as const;

/** Limits copied from the adapter to the device so kernels may use the hardware's maximum. */
const WANTED_LIMITS = [
  "maxBufferSize",
  "maxStorageBufferBindingSize",
  "maxUniformBufferBindingSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupSizeZ",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBuffersPerShaderStage",
  "maxBindGroups",
  "maxDynamicUniformBuffersPerPipelineLayout",
] as const;

let current: Promise<Gpu> | undefined;
let ready: Gpu | undefined;

/**
 * The shared GPU once {@link acquireGpu} has resolved; throws a clear error before that or
 * after the device was lost. Synchronous code (tensor creation) uses it.
 *
 * @example
 * ```ts
 * await acquireGpu();
 * const gpu = currentGpu();
 * ```
 */
export function currentGpu(): Gpu {
  if (!ready) throw new Error("no GPU yet: call `await acquireGpu()` before creating tensors");
  ready.ensureAlive();
  return ready;
}

/**
 * The shared GPU: created on the first call, reused afterwards, recreated after a device loss.
 *
 * @example
 * ```ts
 * const gpu = await acquireGpu();
 * console.log(gpu.adapterName);
 * ```
 */
export function acquireGpu(): Promise<Gpu> {
  if (current) {
    return current.then((gpu) => gpu.isLost ? createAndRemember() : gpu);
  }
  return createAndRemember();
}

function createAndRemember(): Promise<Gpu> {
  ready = undefined;
  current = createGpu();
  current.then((gpu) => ready = gpu, () => current = undefined);
  return current;
}

/**
 * Creates a new {@link Gpu} on its own device (most code wants the shared {@link acquireGpu}).
 *
 * @example
 * ```ts
 * const isolated = await createGpu();
 * isolated.destroy();
 * ```
 */
export async function createGpu(): Promise<Gpu> {
  if (typeof navigator === "undefined" || !navigator.gpu) throw new NoAdapterError();
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) throw new NoAdapterError();
  const adapterFeatures = new Set<string>(adapter.features);
  const requiredFeatures = WANTED_FEATURES.filter((f) =>
    f === "subgroups" || adapterFeatures.has(f)
  );
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) {
    const value = (adapter.limits as unknown as Record<string, number>)[name];
    if (typeof value === "number") requiredLimits[name] = value;
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredFeatures: requiredFeatures as GPUFeatureName[],
      requiredLimits,
    });
  } catch {
    // `subgroups` is not listed by wgpu's adapter.features; retry without it when refused.
    device = await adapter.requestDevice({
      requiredFeatures: requiredFeatures.filter((f) => f !== "subgroups") as GPUFeatureName[],
      requiredLimits,
    });
  }
  return new Gpu(adapter, device);
}
