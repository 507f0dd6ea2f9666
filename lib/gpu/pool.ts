/**
 * Pooled GPU storage buffers.
 *
 * Buffers are handed out in size classes (four steps per power of two, at least 256 bytes) and
 * returned to the pool when a tensor releases them, so a training step that repeats the same
 * shapes allocates nothing new after its first run.
 *
 * @module
 */

/** A storage buffer owned by the pool, with an id for bind-group caching. */
export class GpuBuffer {
  /** Unique id, stable for the buffer's life. */
  readonly id: number;
  /** The WebGPU buffer. */
  readonly buffer: GPUBuffer;
  /** Capacity in bytes (the size class, at least what was asked for). */
  readonly size: number;
  /** The encoding (see `Gpu.encodingId`) that last used this buffer; -1 when never used. */
  lastEncoding = -1;

  constructor(id: number, buffer: GPUBuffer, size: number) {
    this.id = id;
    this.buffer = buffer;
    this.size = size;
  }
}

/** Counters that tests and benchmarks read to prove steady-state steps allocate nothing. */
export interface PoolStats {
  /** Buffers created since the pool was made. */
  created: number;
  /** Bytes held by created buffers (free or in use). */
  bytes: number;
  /** Buffers currently handed out. */
  inUse: number;
}

/**
 * The size class a request of `bytes` is served from: four steps per power of two, min 256.
 *
 * @example
 * ```ts
 * sizeClass(1000); // 1024
 * sizeClass(1025); // 1280
 * ```
 */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const power = 2 ** Math.floor(Math.log2(bytes - 1));
  const step = power / 4;
  return Math.ceil(bytes / step) * step;
}

/** A pool of storage buffers (usage STORAGE | COPY_SRC | COPY_DST) keyed by size class. */
export class BufferPool {
  readonly #device: GPUDevice;
  readonly #free = new Map<number, GpuBuffer[]>();
  #nextId = 1;
  readonly stats: PoolStats = { created: 0, bytes: 0, inUse: 0 };

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /**
   * A buffer of at least `bytes`. With `notUsedIn`, a buffer that the given encoding has
   * already used is skipped (a queue write into it would race the encoded commands).
   */
  acquire(bytes: number, notUsedIn = -2): GpuBuffer {
    const size = sizeClass(bytes);
    const list = this.#free.get(size);
    if (list) {
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i].lastEncoding !== notUsedIn) {
          const [found] = list.splice(i, 1);
          this.stats.inUse++;
          return found;
        }
      }
    }
    const buffer = this.#device.createBuffer({
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.stats.created++;
    this.stats.bytes += size;
    this.stats.inUse++;
    return new GpuBuffer(this.#nextId++, buffer, size);
  }

  /** Returns a buffer to the pool for reuse. */
  release(buffer: GpuBuffer): void {
    const list = this.#free.get(buffer.size);
    if (list) list.push(buffer);
    else this.#free.set(buffer.size, [buffer]);
    this.stats.inUse--;
  }

  /** Destroys every free buffer (those in use stay valid). */
  trim(): void {
    for (const list of this.#free.values()) {
      for (const b of list) {
        b.buffer.destroy();
        this.stats.bytes -= b.size;
      }
    }
    this.#free.clear();
  }
}
