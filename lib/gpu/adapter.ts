/**
 * Questions about the adapter, answered in one place: what it is called and whether it is a
 * CPU implementation of WebGPU (kernels pick their tiling family by it).
 *
 * @module
 */

/**
 * Whether an adapter description names a CPU implementation of WebGPU (Mesa's lavapipe and
 * llvmpipe, SwiftShader, Microsoft's WARP).
 *
 * @example
 * ```ts
 * isCpuAdapter("llvmpipe (LLVM 15.0.6, 256 bits) [vulkan]"); // true
 * ```
 */
export function isCpuAdapter(description: string): boolean {
  return /llvmpipe|lavapipe|softpipe|swiftshader|basic render/i.test(description);
}

/**
 * A one-line description of an adapter, e.g. `llvmpipe (LLVM 15.0.6, 256 bits) [vulkan]`.
 *
 * @example
 * ```ts
 * const adapter = await navigator.gpu.requestAdapter();
 * if (adapter) console.log(describeAdapter(adapter.info));
 * ```
 */
export function describeAdapter(info: GPUAdapterInfo): string {
  const parts = [info.description, info.architecture].filter((p) => p && p.length > 0);
  const variable = "DENO_WEBGPU_BACKEND";
  const readable = Deno.permissions.querySync({ name: "env", variable }).state === "granted";
  const backend = (readable ? Deno.env.get(variable) : undefined) ?? "default backend";
  return `${parts.join(", ") || `vendor ${info.vendor}`} [${backend}]`;
}
