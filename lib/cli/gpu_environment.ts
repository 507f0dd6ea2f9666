/**
 * The environment a GPU command fixes before it asks for an adapter. With XDG_RUNTIME_DIR unset
 * (a container, CI, a cron job), the Vulkan loader's Wayland probe makes libwayland print
 * `error: XDG_RUNTIME_DIR is invalid or not set in the environment.` twice, though nothing
 * failed. libwayland only needs an absolute path there (it then looks for a Wayland socket in
 * it, finds none, and stays quiet), so a missing or relative value is replaced by one; nothing
 * is filtered, so real driver errors still show.
 *
 * @module
 */

/** Set when XDG_RUNTIME_DIR is unset: a directory that holds no Wayland socket. */
export const NO_RUNTIME_DIR = "/nonexistent/scalelab-no-xdg-runtime-dir";

/**
 * Gives XDG_RUNTIME_DIR an absolute value when it has none (needs `--allow-env`; without it,
 * nothing changes). Call it before the first `navigator.gpu.requestAdapter()`.
 *
 * @example
 * ```ts
 * import { prepareGpuEnvironment } from "./gpu_environment.ts";
 * prepareGpuEnvironment();
 * ```
 */
export function prepareGpuEnvironment(): void {
  try {
    const value = Deno.env.get("XDG_RUNTIME_DIR");
    if (value === undefined || !value.startsWith("/")) {
      Deno.env.set("XDG_RUNTIME_DIR", NO_RUNTIME_DIR);
    }
  } catch {
    // No --allow-env: leave the environment as it is.
  }
}

/**
 * The numeric limits of the high-performance adapter (`GPUSupportedLimits`), or null when
 * WebGPU offers none. Requests an adapter only, no device.
 *
 * @example
 * ```ts
 * import { readAdapterLimits } from "./gpu_environment.ts";
 * (await readAdapterLimits())?.maxBufferSize; // e.g. 2147483648
 * ```
 */
export async function readAdapterLimits(): Promise<Readonly<Record<string, number>> | null> {
  prepareGpuEnvironment();
  const adapter = await navigator.gpu?.requestAdapter({ powerPreference: "high-performance" });
  return adapter ? numericLimits(adapter.limits) : null;
}

/**
 * The numeric fields of a `GPUSupportedLimits` as a plain object.
 *
 * @example
 * ```ts
 * import { numericLimits } from "./gpu_environment.ts";
 * const adapter = await navigator.gpu.requestAdapter();
 * numericLimits(adapter!.limits).maxStorageBufferBindingSize; // e.g. 134217728
 * ```
 */
export function numericLimits(limits: GPUSupportedLimits): Readonly<Record<string, number>> {
  const values: Record<string, number> = {};
  for (
    let proto = limits;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const value = (limits as unknown as Record<string, unknown>)[name];
      if (typeof value === "number" && !(name in values)) values[name] = value;
    }
  }
  return values;
}

/**
 * Bytes of host memory available now (`MemAvailable` of /proc/meminfo), or undefined where
 * that file does not exist or cannot be read (not Linux, no `--allow-read`).
 *
 * @example
 * ```ts
 * import { availableHostMemory } from "./gpu_environment.ts";
 * availableHostMemory(); // e.g. 6_442_450_944
 * ```
 */
export function availableHostMemory(): number | undefined {
  try {
    const match = /^MemAvailable:\s+(\d+) kB$/m.exec(Deno.readTextFileSync("/proc/meminfo"));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
