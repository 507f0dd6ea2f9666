/**
 * GPU tensors: a shape and strides over a reference-counted pooled buffer.
 *
 * Views (reshape, transpose, slice, broadcast) share their base's storage. `dispose()` drops
 * one reference; the buffer returns to the pool when the last reference goes. Tensors created
 * inside {@link tidy} are disposed when it returns, except those it returns.
 *
 * @module
 */
import { currentGpu } from "../gpu/device.ts";
import type { Gpu } from "../gpu/runtime.ts";
import type { GpuBuffer } from "../gpu/pool.ts";

/** Element types: `f32` for values, `i32` for indices and integer targets. */
export type DType = "f32" | "i32";

/** A pooled buffer shared by a tensor and its views. */
export class Storage {
  readonly gpu: Gpu;
  readonly buffer: GpuBuffer;
  #refs = 1;

  constructor(gpu: Gpu, buffer: GpuBuffer) {
    this.gpu = gpu;
    this.buffer = buffer;
  }

  /** Number of tensors (views included) sharing this storage. */
  get refs(): number {
    return this.#refs;
  }

  /** Adds a reference (a new view). */
  retain(): this {
    this.#refs++;
    return this;
  }

  /** Drops a reference; the buffer returns to the pool at zero. */
  release(): void {
    if (--this.#refs === 0) this.gpu.pool.release(this.buffer);
  }
}

/** The recorded creator of a tensor, for backward. See `autograd.ts`. */
export interface GradNode {
  /** The op's name, for error messages. */
  readonly op: string;
  /** The inputs gradients flow to. */
  readonly inputs: readonly Tensor[];
  /** Gradients for each input (null where none is needed) given the output's gradient. */
  readonly backward: (gradOutput: Tensor) => (Tensor | null)[];
  /** Releases tensors saved for backward. */
  readonly release: () => void;
}

/** A multi-dimensional array on the GPU. Create one with `tensor`, `zeros`, `randn`, ... */
export class Tensor {
  /** Size of each dimension. */
  readonly shape: readonly number[];
  /** Elements to skip per step along each dimension (0 along broadcast dimensions). */
  readonly strides: readonly number[];
  /** First element's index in the storage buffer. */
  readonly offset: number;
  /** Element type. */
  readonly dtype: DType;
  /** Whether gradients are accumulated into `grad` by `backward()`. */
  requiresGrad = false;
  /** Accumulated gradient (a leaf's; intermediates' gradients are freed during backward). */
  grad: Tensor | null = null;
  /** The op that produced this tensor, while the graph is alive. */
  node: GradNode | null = null;
  #storage: Storage | null;

  constructor(
    storage: Storage,
    shape: readonly number[],
    dtype: DType,
    strides: readonly number[] = contiguousStrides(shape),
    offset = 0,
  ) {
    this.#storage = storage;
    this.shape = shape;
    this.strides = strides;
    this.offset = offset;
    this.dtype = dtype;
    track(this);
  }

  /** Number of elements. */
  get size(): number {
    return sizeOf(this.shape);
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** False once disposed. */
  get isAlive(): boolean {
    return this.#storage !== null;
  }

  /** The storage, or a clear error if the tensor was disposed. */
  get storage(): Storage {
    if (!this.#storage) {
      throw new Error(`tensor of shape [${this.shape}] was disposed and cannot be used`);
    }
    return this.#storage;
  }

  /** The pooled buffer holding the data (see `offset` and `strides`). */
  get buffer(): GpuBuffer {
    return this.storage.buffer;
  }

  /** The runtime the tensor lives on. */
  get gpu(): Gpu {
    return this.storage.gpu;
  }

  /** True when elements are laid out densely in row-major order from `offset`. */
  get isContiguous(): boolean {
    let expected = 1;
    for (let d = this.rank - 1; d >= 0; d--) {
      if (this.shape[d] !== 1 && this.strides[d] !== expected) return false;
      expected *= this.shape[d];
    }
    return true;
  }

  /** A new tensor object over the same storage with another layout (no copy). */
  view(shape: readonly number[], strides: readonly number[], offset = this.offset): Tensor {
    return new Tensor(this.storage.retain(), shape, this.dtype, strides, offset);
  }

  /** Drops this tensor's reference to its storage. Using it afterwards throws. */
  dispose(): void {
    if (this.#storage) {
      this.#storage.release();
      this.#storage = null;
    }
  }

  /**
   * Copies the elements to the CPU in row-major order. A view is read as the span of storage
   * it covers and gathered through its strides on the CPU, so no kernel is needed.
   */
  async toArray(): Promise<Float32Array | Int32Array> {
    const size = this.size;
    if (size === 0) return this.dtype === "i32" ? new Int32Array(0) : new Float32Array(0);
    let span = 1;
    for (let d = 0; d < this.rank; d++) span += (this.shape[d] - 1) * this.strides[d];
    const bytes = await this.gpu.read(this.buffer, this.offset * 4, span * 4);
    const stored = this.dtype === "i32" ? new Int32Array(bytes) : new Float32Array(bytes);
    if (this.isContiguous) return stored;
    const out = this.dtype === "i32" ? new Int32Array(size) : new Float32Array(size);
    const index = new Array<number>(this.rank).fill(0);
    let at = 0;
    for (let i = 0; i < size; i++) {
      out[i] = stored[at];
      for (let d = this.rank - 1; d >= 0; d--) {
        at += this.strides[d];
        if (++index[d] < this.shape[d]) break;
        at -= this.strides[d] * this.shape[d];
        index[d] = 0;
      }
    }
    return out;
  }

  /** The value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) {
      throw new Error(`item() needs a tensor with one element, got shape [${this.shape}]`);
    }
    return (await this.toArray())[0];
  }

  /** A short description, e.g. `Tensor(f32 [2, 3])`. */
  toString(): string {
    return `Tensor(${this.dtype} [${this.shape.join(", ")}])`;
  }
}

/**
 * Row-major strides for a shape.
 *
 * @example
 * ```ts
 * contiguousStrides([2, 3, 4]); // [12, 4, 1]
 * ```
 */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

/**
 * Number of elements of a shape.
 *
 * @example
 * ```ts
 * sizeOf([2, 3]); // 6
 * ```
 */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Checks a shape is a list of non-negative integers; throws naming the shape otherwise. */
export function checkShape(shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(`invalid shape [${shape}]: dimensions must be non-negative integers`);
    }
  }
}

/**
 * A new uninitialized contiguous tensor from the pool.
 *
 * @example
 * ```ts
 * const out = empty([4, 4]);
 * ```
 */
export function empty(shape: readonly number[], dtype: DType = "f32", gpu = currentGpu()): Tensor {
  checkShape(shape);
  const buffer = gpu.pool.acquire(Math.max(4, sizeOf(shape) * 4));
  return new Tensor(new Storage(gpu, buffer), [...shape], dtype);
}

/**
 * A tensor holding `data` (row-major). Numbers become f32 unless `dtype` says i32.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
 * const y = tensor(new Int32Array([3, 1]), [2], { dtype: "i32" });
 * ```
 */
export function tensor(
  data: ArrayLike<number>,
  shape: readonly number[] = [data.length],
  options: { dtype?: DType; requiresGrad?: boolean } = {},
): Tensor {
  checkShape(shape);
  const dtype = options.dtype ?? (data instanceof Int32Array ? "i32" : "f32");
  if (sizeOf(shape) !== data.length) {
    throw new Error(`tensor(): ${data.length} values do not fill shape [${shape}]`);
  }
  const typed = dtype === "i32" ? Int32Array.from(data) : Float32Array.from(data);
  const gpu = currentGpu();
  const buffer = gpu.upload(typed, Math.max(4, typed.byteLength));
  const t = new Tensor(new Storage(gpu, buffer), [...shape], dtype);
  t.requiresGrad = options.requiresGrad ?? false;
  return t;
}

// ---------------------------------------------------------------------------------------------
// Scopes: tidy() disposes what it created.

const scopes: Set<Tensor>[] = [];

function track(t: Tensor): void {
  if (scopes.length > 0) scopes[scopes.length - 1].add(t);
}

/**
 * Removes a tensor from the enclosing {@link tidy} scopes so it outlives them (parameters,
 * optimizer state, gradients).
 *
 * @example
 * ```ts
 * const w = tidy(() => keep(randn([3, 3], { seed: 1 })));
 * ```
 */
export function keep<T extends Tensor>(t: T): T {
  for (const scope of scopes) scope.delete(t);
  return t;
}

/** Any structure of tensors a {@link tidy} function may return. */
export type TensorTree =
  | Tensor
  | null
  | undefined
  | number
  | string
  | boolean
  | void
  | TensorTree[]
  | { [key: string]: TensorTree };

function collectTensors(value: unknown, into: Set<Tensor>): void {
  if (value instanceof Tensor) into.add(value);
  else if (Array.isArray(value)) { for (const v of value) collectTensors(v, into); }
  else if (value && typeof value === "object") {
    for (const v of Object.values(value)) collectTensors(v, into);
  }
}

/**
 * Runs `fn` and disposes every tensor it created except the ones it returns, which move to the
 * enclosing scope. Graph nodes of disposed tensors that nothing returned depends on are
 * released too. `fn` must be synchronous.
 *
 * @example
 * ```ts
 * const y = tidy(() => add(mul(a, b), c)); // mul's result is disposed
 * ```
 */
export function tidy<T extends TensorTree>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) {
      throw new Error("tidy() takes a synchronous function; await outside of it");
    }
  } finally {
    scopes.pop();
  }
  const kept = new Set<Tensor>();
  collectTensors(result, kept);
  const reachable = reachableFrom(kept);
  for (const t of scope) {
    if (kept.has(t)) {
      track(t);
      continue;
    }
    if (t.node && !reachable.has(t)) {
      t.node.release();
      t.node = null;
    }
    t.dispose();
  }
  return result;
}

/** Tensors whose graph nodes are needed to backpropagate from `roots`. */
function reachableFrom(roots: Set<Tensor>): Set<Tensor> {
  const seen = new Set<Tensor>();
  const stack = [...roots];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    if (t.node) stack.push(...t.node.inputs);
  }
  return seen;
}
