/**
 * The GPU runtime: kernel compilation and caching, bind-group caching, a uniform arena, one
 * command encoder per batch of work, readback on request, and error surfacing.
 *
 * Work is recorded, not run: {@link Gpu.dispatch} appends to the open command encoder, and the
 * encoder is submitted only when a result is read back ({@link Gpu.read}), when
 * {@link Gpu.flush} or {@link Gpu.sync} is called, or when the uniform arena fills. A whole
 * training step therefore becomes one command buffer.
 *
 * @module
 */
import { BufferPool, GpuBuffer } from "./pool.ts";

/** How a kernel binds one storage buffer. */
export type BindingKind = "read" | "write";

/** What a kernel is: its WGSL (built on first use) and its binding layout. */
export interface KernelSource {
  /** Name used in error messages, e.g. `matmul`. */
  name: string;
  /** Specialization key: equal keys must mean equal code (e.g. `matmul:nt:64x64`). */
  key: string;
  /** Storage buffers at `@group(0) @binding(0..n-1)`, in order. */
  bindings: readonly BindingKind[];
  /** Bytes of the uniform params struct at `@binding(n)`, or 0 for none. */
  uniformBytes: number;
  /** Builds the WGSL source; called once per key. */
  code: () => string;
}

/** A compiled kernel. */
export interface Kernel {
  readonly id: number;
  readonly name: string;
  readonly pipeline: GPUComputePipeline;
  readonly source: KernelSource;
}

/** A GPU error with the kernel or operation it came from. */
export class GpuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GpuError";
  }
}

/** Packs kernel parameters: u32, i32 and f32 fields in declaration order. */
export class Params {
  readonly #words: number[] = [];
  readonly #kinds: ("u" | "i" | "f")[] = [];

  /** Appends unsigned integers. */
  u32(...values: number[]): this {
    for (const v of values) this.#push("u", v);
    return this;
  }

  /** Appends signed integers. */
  i32(...values: number[]): this {
    for (const v of values) this.#push("i", v);
    return this;
  }

  /** Appends 32-bit floats. */
  f32(...values: number[]): this {
    for (const v of values) this.#push("f", v);
    return this;
  }

  #push(kind: "u" | "i" | "f", value: number): void {
    this.#words.push(value);
    this.#kinds.push(kind);
  }

  /** Byte length of the packed params. */
  get byteLength(): number {
    return this.#words.length * 4;
  }

  /** Writes the packed words into `target` at byte offset `offset`. */
  writeInto(target: DataView, offset: number): void {
    for (let i = 0; i < this.#words.length; i++) {
      const at = offset + 4 * i;
      const v = this.#words[i];
      const kind = this.#kinds[i];
      if (kind === "f") target.setFloat32(at, v, true);
      else if (kind === "i") target.setInt32(at, v, true);
      else target.setUint32(at, v >>> 0, true);
    }
  }
}

const ARENA_CHUNK_BYTES = 1 << 16;
const ARENA_MAX_CHUNKS = 64;

/** A uniform buffer and its CPU-side contents for one batch of dispatches. */
interface UniformChunk {
  buffer: GPUBuffer;
  bytes: Uint8Array<ArrayBuffer>;
  view: DataView;
  used: number;
}
const BIND_GROUP_CACHE_LIMIT = 50_000;

/** The shared GPU runtime over one device. Create it through `acquireGpu()`. */
export class Gpu {
  /** The WebGPU device. */
  readonly device: GPUDevice;
  /** The adapter's description (see `describeAdapter`). */
  readonly adapterName: string;
  /** The features granted to the device. */
  readonly features: ReadonlySet<string>;
  /** Pooled storage buffers. */
  readonly pool: BufferPool;
  /** Id of the encoding being recorded; increases by one at every submit. */
  encodingId = 0;
  /** Number of dispatches recorded since creation (for benchmarks). */
  dispatchCount = 0;

  readonly #kernels = new Map<string, Kernel>();
  readonly #bindGroups = new Map<string, GPUBindGroup>();
  readonly #layouts = new Map<string, GPUBindGroupLayout>();
  readonly #stagingFree: GPUBuffer[] = [];
  readonly #pendingErrors: Promise<GpuError | null>[] = [];
  readonly #uniformAlign: number;
  #lostMessage: string | undefined;
  #encoder: GPUCommandEncoder | undefined;
  #pass: GPUComputePassEncoder | undefined;
  readonly #arenas: UniformChunk[] = [];
  #arenaIndex = 0;
  #nextKernelId = 1;

  constructor(adapter: GPUAdapter, device: GPUDevice) {
    this.device = device;
    this.adapterName = describeAdapter(adapter.info);
    this.features = new Set<string>(device.features);
    this.pool = new BufferPool(device);
    this.#uniformAlign = device.limits.minUniformBufferOffsetAlignment;
    device.lost.then((info) => {
      this.#lostMessage ??= `GPU device lost (${info.reason}): ${info.message}`;
    });
    device.addEventListener("uncapturederror", (event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.#pendingErrors.push(Promise.resolve(new GpuError(`WebGPU error: ${error.message}`)));
    });
  }

  /** True once the device is lost or destroyed; {@link acquireGpu} then makes a new one. */
  get isLost(): boolean {
    return this.#lostMessage !== undefined;
  }

  /** Throws if the device was lost. Called by every operation. */
  ensureAlive(): void {
    if (this.#lostMessage !== undefined) {
      throw new GpuError(`${this.#lostMessage}; call acquireGpu() again for a fresh device`);
    }
  }

  /** Destroys the device; the next operation on this runtime throws. */
  destroy(): void {
    this.#lostMessage ??= "GPU device lost (destroyed): destroy() was called";
    this.device.destroy();
  }

  /** The compiled kernel for `source`, compiling it on first use (cached by `source.key`). */
  kernel(source: KernelSource): Kernel {
    const cached = this.#kernels.get(source.key);
    if (cached) return cached;
    this.ensureAlive();
    const device = this.device;
    device.pushErrorScope("validation");
    const module = device.createShaderModule({ label: source.key, code: source.code() });
    const pipeline = device.createComputePipeline({
      label: source.key,
      layout: device.createPipelineLayout({ bindGroupLayouts: [this.#layoutFor(source)] }),
      compute: { module, entryPoint: "main" },
    });
    const check = device.popErrorScope().then((error) =>
      error ? new GpuError(`kernel "${source.key}" failed to compile: ${error.message}`) : null
    );
    this.#pendingErrors.push(check);
    const kernel: Kernel = { id: this.#nextKernelId++, name: source.name, pipeline, source };
    this.#kernels.set(source.key, kernel);
    return kernel;
  }

  /**
   * Records one dispatch of `kernel` over `workgroups`, binding `buffers` in order and
   * `params` as the uniform.
   */
  dispatch(
    kernel: Kernel,
    buffers: readonly GpuBuffer[],
    params: Params | undefined,
    workgroups: readonly [number, number?, number?],
  ): void {
    this.ensureAlive();
    const source = kernel.source;
    if (buffers.length !== source.bindings.length) {
      throw new GpuError(
        `kernel "${source.key}" binds ${source.bindings.length} buffers, got ${buffers.length}`,
      );
    }
    const [x, y = 1, z = 1] = workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const limit = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > limit || y > limit || z > limit) {
      throw new GpuError(
        `kernel "${source.key}": ${x}x${y}x${z} workgroups exceed the limit ${limit} per dimension`,
      );
    }
    let offset = 0;
    if (source.uniformBytes > 0) {
      if (!params || params.byteLength > source.uniformBytes) {
        throw new GpuError(
          `kernel "${source.key}" takes ${source.uniformBytes} bytes of params, got ${
            params?.byteLength ?? 0
          }`,
        );
      }
      offset = this.#reserveUniform(Math.ceil(source.uniformBytes / 16) * 16);
      params.writeInto(this.#arenas[this.#arenaIndex].view, offset);
    }
    const pass = this.#openPass();
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(
      0,
      this.#bindGroup(kernel, buffers),
      source.uniformBytes > 0 ? [offset] : [],
    );
    pass.dispatchWorkgroups(x, y, z);
    for (const b of buffers) b.lastEncoding = this.encodingId;
    this.dispatchCount++;
  }

  /** Records a buffer-to-buffer copy. */
  copy(
    from: GpuBuffer,
    fromOffset: number,
    to: GpuBuffer,
    toOffset: number,
    bytes: number,
  ): void {
    this.ensureAlive();
    this.#closePass();
    this.#openEncoder().copyBufferToBuffer(from.buffer, fromOffset, to.buffer, toOffset, bytes);
    from.lastEncoding = this.encodingId;
    to.lastEncoding = this.encodingId;
  }

  /**
   * A pooled buffer holding `data`, written through the queue. The buffer is one the open
   * encoding has not touched, so the write cannot race recorded commands.
   */
  upload(data: ArrayBufferView, minBytes = data.byteLength): GpuBuffer {
    this.ensureAlive();
    const buffer = this.pool.acquire(Math.max(minBytes, 4), this.encodingId);
    if (data.byteLength > 0) {
      this.device.queue.writeBuffer(
        buffer.buffer,
        0,
        data.buffer as ArrayBuffer,
        data.byteOffset,
        data.byteLength,
      );
    }
    return buffer;
  }

  /** Writes `data` into an existing buffer, submitting recorded work first if it uses it. */
  write(buffer: GpuBuffer, data: ArrayBufferView, byteOffset = 0): void {
    this.ensureAlive();
    if (buffer.lastEncoding === this.encodingId) this.flush();
    this.device.queue.writeBuffer(
      buffer.buffer,
      byteOffset,
      data.buffer as ArrayBuffer,
      data.byteOffset,
      data.byteLength,
    );
  }

  /** Submits the recorded work (no wait). */
  flush(): void {
    this.ensureAlive();
    if (!this.#encoder) return;
    this.#closePass();
    const device = this.device;
    device.pushErrorScope("out-of-memory");
    device.pushErrorScope("validation");
    for (const chunk of this.#arenas) {
      if (chunk.used > 0) device.queue.writeBuffer(chunk.buffer, 0, chunk.bytes, 0, chunk.used);
      chunk.used = 0;
    }
    device.queue.submit([this.#encoder.finish()]);
    for (const kind of ["validation", "out of memory"]) {
      this.#pendingErrors.push(
        device.popErrorScope().then((e) =>
          e ? new GpuError(`GPU ${kind} error while running recorded work: ${e.message}`) : null
        ),
      );
    }
    this.#encoder = undefined;
    this.#arenaIndex = 0;
    this.encodingId++;
  }

  /** Submits recorded work, waits for the GPU to finish it, and throws any GPU error. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.throwPendingErrors();
  }

  /** Reads `bytes` bytes of `buffer` from `offset` back to the CPU (submits recorded work). */
  async read(buffer: GpuBuffer, offset = 0, bytes = buffer.size - offset): Promise<ArrayBuffer> {
    this.ensureAlive();
    const padded = Math.ceil(bytes / 4) * 4;
    const staging = this.#takeStaging(padded);
    this.#closePass();
    this.#openEncoder().copyBufferToBuffer(buffer.buffer, offset, staging, 0, padded);
    buffer.lastEncoding = this.encodingId;
    this.flush();
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, padded);
    } catch (error) {
      await this.throwPendingErrors();
      this.ensureAlive();
      throw new GpuError(`reading back from the GPU failed: ${(error as Error).message}`);
    }
    const out = staging.getMappedRange(0, padded).slice(0, bytes);
    staging.unmap();
    this.#stagingFree.push(staging);
    await this.throwPendingErrors();
    return out;
  }

  /** Awaits the error checks queued so far and throws the first error found. */
  async throwPendingErrors(): Promise<void> {
    const checks = this.#pendingErrors.splice(0);
    const errors = (await Promise.all(checks)).filter((e): e is GpuError => e !== null);
    if (errors.length > 0) throw errors[0];
  }

  /**
   * Reserves `bytes` of uniform space for the next dispatch, in the current arena chunk or the
   * next one (chunks are kept and reused, so steady-state steps allocate nothing).
   */
  #reserveUniform(bytes: number): number {
    const align = this.#uniformAlign;
    let chunk = this.#arenas[this.#arenaIndex];
    let offset = chunk ? Math.ceil(chunk.used / align) * align : 0;
    if (!chunk || offset + bytes > ARENA_CHUNK_BYTES) {
      if (chunk) this.#arenaIndex++;
      if (this.#arenaIndex >= ARENA_MAX_CHUNKS) this.flush();
      chunk = this.#arenas[this.#arenaIndex] ??= this.#createChunk();
      offset = 0;
    }
    chunk.used = offset + bytes;
    return offset;
  }

  #createChunk(): UniformChunk {
    const bytes = new Uint8Array(ARENA_CHUNK_BYTES);
    return {
      buffer: this.device.createBuffer({
        size: ARENA_CHUNK_BYTES,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      }),
      bytes,
      view: new DataView(bytes.buffer),
      used: 0,
    };
  }

  #openEncoder(): GPUCommandEncoder {
    this.#encoder ??= this.device.createCommandEncoder();
    return this.#encoder;
  }

  #openPass(): GPUComputePassEncoder {
    this.#pass ??= this.#openEncoder().beginComputePass();
    return this.#pass;
  }

  #closePass(): void {
    this.#pass?.end();
    this.#pass = undefined;
  }

  #layoutFor(source: KernelSource): GPUBindGroupLayout {
    const key = `${source.bindings.join(",")}|${source.uniformBytes}`;
    let layout = this.#layouts.get(key);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = source.bindings.map((kind, binding) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: kind === "read" ? "read-only-storage" : "storage" },
      }));
      if (source.uniformBytes > 0) {
        entries.push({
          binding: source.bindings.length,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: "uniform", hasDynamicOffset: true },
        });
      }
      layout = this.device.createBindGroupLayout({ entries });
      this.#layouts.set(key, layout);
    }
    return layout;
  }

  #bindGroup(kernel: Kernel, buffers: readonly GpuBuffer[]): GPUBindGroup {
    const uniform = kernel.source.uniformBytes > 0 ? this.#arenas[this.#arenaIndex] : undefined;
    let key = `${kernel.id}:${uniform ? this.#arenaIndex : "-"}`;
    for (const b of buffers) key += `:${b.id}`;
    let group = this.#bindGroups.get(key);
    if (!group) {
      if (this.#bindGroups.size >= BIND_GROUP_CACHE_LIMIT) this.#bindGroups.clear();
      const entries: GPUBindGroupEntry[] = buffers.map((b, binding) => ({
        binding,
        resource: { buffer: b.buffer },
      }));
      const source = kernel.source;
      if (uniform) {
        entries.push({
          binding: source.bindings.length,
          resource: {
            buffer: uniform.buffer,
            offset: 0,
            size: Math.ceil(source.uniformBytes / 16) * 16,
          },
        });
      }
      group = this.device.createBindGroup({
        layout: this.#layoutFor(source),
        entries,
      });
      this.#bindGroups.set(key, group);
    }
    return group;
  }

  #takeStaging(bytes: number): GPUBuffer {
    const index = this.#stagingFree.findIndex((b) => b.size >= bytes && b.size <= 4 * bytes);
    if (index >= 0) return this.#stagingFree.splice(index, 1)[0];
    return this.device.createBuffer({
      size: Math.max(256, bytes),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
  }
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
