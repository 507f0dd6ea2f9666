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
import { describeAdapter, isCpuAdapter } from "./adapter.ts";
import { BufferPool, GpuBuffer } from "./pool.ts";
import {
  type Constants,
  type KernelDeclaration,
  kernelSource,
  specializationKey,
  type StorageDecl,
  UniformLayout,
} from "./program.ts";

/** A compiled kernel: one specialization of a declaration, with its pipeline and layouts. */
export interface Kernel {
  readonly id: number;
  /** The declaration's name. */
  readonly name: string;
  /** The specialization key (see `specializationKey`). */
  readonly key: string;
  /** Storage buffers in binding order. */
  readonly storage: readonly StorageDecl[];
  /** The byte layout of the uniform struct. */
  readonly uniforms: UniformLayout;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

/** Storage buffers of one dispatch, by the names the kernel declared (absent ones are an error). */
export type KernelBuffers = Readonly<Record<string, GpuBuffer | undefined>>;

/** Uniform values of one dispatch, by field name (lists for vector and array fields). */
export type KernelUniforms = Readonly<Record<string, number | readonly number[]>>;

/** A GPU error with the kernel or operation it came from. */
export class GpuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GpuError";
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
  /** Whether the adapter is a CPU implementation of WebGPU (lavapipe, SwiftShader, WARP). */
  readonly isCpu: boolean;
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
    this.isCpu = isCpuAdapter(this.adapterName);
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

  /** The device's limits (the adapter's maxima, as `createGpu` requests them). */
  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  /**
   * The compiled specialization `constants` of a declared kernel, building and compiling it
   * on first use (cached by its specialization key).
   */
  kernel<C extends Constants>(declaration: KernelDeclaration<C>, constants: C): Kernel {
    const key = specializationKey(declaration.name, constants);
    const cached = this.#kernels.get(key);
    if (cached) return cached;
    this.ensureAlive();
    const iface = declaration.build(constants);
    const uniforms = new UniformLayout(iface.uniforms ?? {});
    const layout = this.#layoutFor(iface.storage, uniforms.byteLength > 0);
    const device = this.device;
    device.pushErrorScope("validation");
    const module = device.createShaderModule({ label: key, code: kernelSource(iface) });
    const pipeline = device.createComputePipeline({
      label: key,
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: "main" },
    });
    const check = device.popErrorScope().then((error) =>
      error ? new GpuError(`kernel "${key}" failed to compile: ${error.message}`) : null
    );
    this.#pendingErrors.push(check);
    const kernel: Kernel = {
      id: this.#nextKernelId++,
      name: declaration.name,
      key,
      storage: iface.storage,
      uniforms,
      pipeline,
      layout,
    };
    this.#kernels.set(key, kernel);
    return kernel;
  }

  /**
   * Records one dispatch of the specialization `constants` of `declaration` (see
   * {@link Gpu.kernel} and {@link Gpu.dispatch}).
   */
  run<C extends Constants>(
    declaration: KernelDeclaration<C>,
    constants: C,
    buffers: KernelBuffers,
    uniforms: KernelUniforms | undefined,
    workgroups: readonly [number, number?, number?],
  ): void {
    this.dispatch(this.kernel(declaration, constants), buffers, uniforms, workgroups);
  }

  /**
   * Records one dispatch of `kernel` over `workgroups`, binding each declared storage buffer
   * from `buffers` by name and writing `uniforms` into the kernel's uniform struct.
   */
  dispatch(
    kernel: Kernel,
    buffers: KernelBuffers,
    uniforms: KernelUniforms | undefined,
    workgroups: readonly [number, number?, number?],
  ): void {
    this.ensureAlive();
    const [x, y = 1, z = 1] = workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const limit = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > limit || y > limit || z > limit) {
      throw new GpuError(
        `kernel "${kernel.key}": ${x}x${y}x${z} workgroups exceed the limit ${limit} per dimension`,
      );
    }
    const bound: GpuBuffer[] = [];
    for (const decl of kernel.storage) {
      const buffer = buffers[decl.name];
      if (!buffer) throw new GpuError(`kernel "${kernel.key}": no buffer given for "${decl.name}"`);
      bound.push(buffer);
    }
    let offset = 0;
    const uniformBytes = kernel.uniforms.byteLength;
    if (uniformBytes > 0) {
      if (!uniforms) throw new GpuError(`kernel "${kernel.key}" needs uniforms, got none`);
      offset = this.#reserveUniform(uniformBytes);
      kernel.uniforms.write(kernel.key, uniforms, this.#arenas[this.#arenaIndex].view, offset);
    }
    const pass = this.#openPass();
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, this.#bindGroup(kernel, bound), uniformBytes > 0 ? [offset] : []);
    pass.dispatchWorkgroups(x, y, z);
    for (const b of bound) b.lastEncoding = this.encodingId;
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

  #layoutFor(storage: readonly StorageDecl[], uniform: boolean): GPUBindGroupLayout {
    const key = `${storage.map((s) => s.access).join(",")}|${uniform}`;
    let layout = this.#layouts.get(key);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = storage.map((s, binding) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: s.access === "read" ? "read-only-storage" : "storage" },
      }));
      if (uniform) {
        entries.push({
          binding: storage.length,
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
    const uniformBytes = kernel.uniforms.byteLength;
    const uniform = uniformBytes > 0 ? this.#arenas[this.#arenaIndex] : undefined;
    let key = `${kernel.id}:${uniform ? this.#arenaIndex : "-"}`;
    for (const b of buffers) key += `:${b.id}`;
    let group = this.#bindGroups.get(key);
    if (!group) {
      if (this.#bindGroups.size >= BIND_GROUP_CACHE_LIMIT) this.#bindGroups.clear();
      const entries: GPUBindGroupEntry[] = buffers.map((b, binding) => ({
        binding,
        resource: { buffer: b.buffer },
      }));
      if (uniform) {
        entries.push({
          binding: buffers.length,
          resource: { buffer: uniform.buffer, offset: 0, size: uniformBytes },
        });
      }
      group = this.device.createBindGroup({ layout: kernel.layout, entries });
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
