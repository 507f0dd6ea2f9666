/**
 * Strided elementwise map kernels: the machinery under every elementwise op, broadcasting,
 * dense copies of views, fills and in-place accumulation.
 *
 * A map kernel computes `out[i] = expr(a, b, c)` over the output's elements, reading each input
 * through its own strides and offset (stride 0 along broadcast dimensions), so views and
 * broadcasts cost no copy. Inputs that are dense in the output's shape skip the index
 * arithmetic. Expressions are WGSL over `a`, `b` (f32) and the scalar param `c`.
 *
 * @module
 */
import { FLAT_GROUP, grid1d } from "../lib/gpu/grid.ts";
import { declareKernel, type StorageDecl, type UniformType } from "../lib/gpu/program.ts";
import type { GpuBuffer } from "../lib/gpu/pool.ts";
import { empty, sizeOf, type Tensor } from "../lib/tensor/tensor.ts";

/** Highest rank the map kernels index. */
export const MAX_RANK = 8;
const WG = 256;

/** WGSL helpers available to every map expression. */
export const MAP_HELPERS = /* wgsl */ `
// erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
fn erf_f32(x: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * abs(x));
  let poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t
    + 0.254829592) * t;
  let y = 1.0 - poly * exp(-x * x);
  return select(-y, y, x >= 0.0);
}
// tanh that saturates instead of overflowing for large |x|.
fn tanh_f32(x: f32) -> f32 {
  return select(tanh(x), sign(x), abs(x) > 15.0);
}
// x^n, also for negative x when n is an integer.
fn pow_f32(x: f32, n: f32) -> f32 {
  if (n == 0.0) { return 1.0; }
  let p = pow(abs(x), n);
  let odd = fract(n * 0.5) != 0.0 && fract(n) == 0.0;
  return select(p, -p, x < 0.0 && odd);
}
fn gelu_f32(x: f32) -> f32 {
  return 0.5 * x * (1.0 + erf_f32(x * 0.70710678118654752));
}
fn gelu_grad_f32(x: f32) -> f32 {
  let cdf = 0.5 * (1.0 + erf_f32(x * 0.70710678118654752));
  let pdf = 0.39894228040143268 * exp(-0.5 * x * x);
  return cdf + x * pdf;
}
`;

/** How one map input is read: densely, or through strides over the output's index. */
interface InputLayout {
  dense: boolean;
  offset: number;
  strides: number[];
}

/**
 * NumPy broadcasting of two shapes; throws naming both when they are incompatible.
 *
 * @example
 * ```ts
 * broadcastShapes([4, 1, 3], [5, 1]); // [4, 5, 3]
 * ```
 */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`shapes [${a}] and [${b}] do not broadcast (dimension ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

function layoutFor(t: Tensor, outShape: readonly number[]): InputLayout {
  const rank = outShape.length;
  const lead = rank - t.rank;
  const sameShape = lead === 0 && t.shape.every((d, i) => d === outShape[i]);
  const strides = outShape.map((d, i) => {
    if (i < lead) return 0;
    return t.shape[i - lead] === 1 && d !== 1 ? 0 : t.strides[i - lead];
  });
  return { dense: sameShape && t.isContiguous, offset: t.offset, strides };
}

/** The specialization of one map kernel. */
interface MapConstants {
  readonly [key: string]: string | number | boolean;
  expr: string;
  elem: "f32" | "u32";
  rank: number;
  /** Per input: "d" when read densely, "s" through strides. */
  dense: string;
  inPlace: boolean;
  outDense: boolean;
}

/** `out[i] = expr(a, b, c)` over the output's elements (see the module doc). */
const mapKernel = declareKernel("map", (c: MapConstants) => {
  const { expr, elem, rank, inPlace, outDense } = c;
  const layouts = [...c.dense].map((d) => d === "d");
  const names = ["a", "b"];
  const needIndex = !outDense || layouts.some((dense) => !dense);
  const storage: StorageDecl[] = [];
  layouts.forEach((_, k) => {
    if (!(inPlace && k === 0)) storage.push({ name: `in${k}`, access: "read", type: elem });
  });
  storage.push({ name: "out", access: "read_write", type: elem });
  const uniforms: Record<string, UniformType> = {
    n: "u32",
    c: "f32",
    off0: "u32",
    off1: "u32",
    shape: "array<vec4u, 2>",
  };
  layouts.forEach((_, k) => (uniforms[`st${k}`] = "array<vec4u, 2>"));
  if (!outDense) {
    uniforms.offo = "u32";
    uniforms.sto = "array<vec4u, 2>";
  }
  const unrolled: string[] = [];
  if (needIndex) {
    unrolled.push("var r = i;");
    for (let d = rank - 1; d >= 0; d--) {
      const at = `[${d >> 2}][${d & 3}]`;
      unrolled.push(`{ let s = p.shape${at}; let q = r % s; r = r / s;`);
      layouts.forEach((dense, k) => {
        if (!dense) unrolled.push(`  j${k} += q * p.st${k}${at};`);
      });
      if (!outDense) unrolled.push(`  jo += q * p.sto${at};`);
      unrolled.push("}");
    }
  }
  const reads = layouts.map((dense, k) => {
    const src = inPlace && k === 0 ? "out" : `in${k}`;
    const index = dense ? `p.off${k} + i` : `j${k}`;
    return `let ${names[k]} = ${src}[${index}];`;
  }).join("\n  ");
  const body = /* wgsl */ `
${elem === "f32" ? MAP_HELPERS : ""}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = ${FLAT_GROUP} * ${WG}u + lid;
  if (i >= p.n) { return; }
  let c = p.c;
  ${layouts.map((dense, k) => (dense ? "" : `var j${k} = p.off${k};`)).join(" ")}
  ${outDense ? "" : "var jo = p.offo;"}
  ${unrolled.join("\n  ")}
  ${reads}
  out[${outDense ? (inPlace ? "p.off0 + i" : "i") : "jo"}] = ${expr};
}`;
  return { storage, uniforms, body };
});

function runMap(
  expr: string,
  inputs: readonly Tensor[],
  outShape: readonly number[],
  c: number,
  elem: "f32" | "u32",
  out: Tensor,
  inPlace: boolean,
): void {
  if (outShape.length > MAX_RANK) {
    throw new Error(`map: tensors of rank ${outShape.length} exceed the maximum ${MAX_RANK}`);
  }
  const layouts = inputs.map((t) => layoutFor(t, outShape));
  if (inPlace) layouts[0] = { dense: true, offset: out.offset, strides: [] };
  const outDense = inPlace || (out.isContiguous && out.offset === 0);
  const n = sizeOf(outShape);
  const uniforms: Record<string, number | readonly number[]> = {
    n,
    c,
    off0: layouts[0].offset,
    off1: layouts[1]?.offset ?? 0,
    shape: outShape,
  };
  layouts.forEach((l, k) => (uniforms[`st${k}`] = l.strides));
  if (!outDense) {
    uniforms.offo = out.offset;
    uniforms.sto = out.strides;
  }
  const buffers: Record<string, GpuBuffer> = { out: out.buffer };
  inputs.forEach((t, k) => {
    if (!(inPlace && k === 0)) buffers[`in${k}`] = t.buffer;
  });
  const dense = layouts.map((l) => (l.dense ? "d" : "s")).join("");
  out.gpu.run(
    mapKernel,
    { expr, elem, rank: outShape.length, dense, inPlace, outDense },
    buffers,
    uniforms,
    grid1d(n, WG),
  );
}

function checkF32(name: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    if (t.dtype !== "f32") throw new Error(`${name}: needs f32 tensors, got ${t.dtype} ${t}`);
  }
}

/**
 * `expr(a, c)` for every element of `x` into a new dense tensor (no autograd).
 *
 * @example
 * ```ts
 * const y = mapUnary("scale", "a * c", x, 0.5);
 * ```
 */
export function mapUnary(name: string, expr: string, x: Tensor, c = 0): Tensor {
  checkF32(name, x);
  const out = empty(x.shape, "f32", x.gpu);
  runMap(expr, [x], x.shape, c, "f32", out, false);
  return out;
}

/**
 * `expr(a, b, c)` over the broadcast of `a` and `b` into a new dense tensor (no autograd).
 *
 * @example
 * ```ts
 * const y = mapBinary("mul", "a * b", x, w);
 * ```
 */
export function mapBinary(name: string, expr: string, a: Tensor, b: Tensor, c = 0): Tensor {
  checkF32(name, a, b);
  const shape = broadcastShapes(a.shape, b.shape);
  const out = empty(shape, "f32", a.gpu);
  runMap(expr, [a, b], shape, c, "f32", out, false);
  return out;
}

/**
 * `into = expr(a = into, b, c)` in place, `b` broadcast to `into`'s shape (no autograd).
 * `into` must be dense.
 *
 * @example
 * ```ts
 * mapInPlace("axpy", "a + c * b", param, update, -lr);
 * ```
 */
export function mapInPlace(name: string, expr: string, into: Tensor, b: Tensor, c = 0): void {
  checkF32(name, into, b);
  if (!into.isContiguous) throw new Error(`${name}: the in-place target must be dense`);
  const shape = broadcastShapes(into.shape, b.shape);
  if (shape.length !== into.rank || shape.some((d, i) => d !== into.shape[i])) {
    throw new Error(`${name}: [${b.shape}] does not broadcast to the target [${into.shape}]`);
  }
  runMap(expr, [into, b], into.shape, c, "f32", into, true);
}

/**
 * A dense row-major copy of any tensor or view (f32 or i32; no autograd).
 *
 * @example
 * ```ts
 * const d = denseCopy(transposedView);
 * ```
 */
export function denseCopy(x: Tensor): Tensor {
  const out = empty(x.shape, x.dtype, x.gpu);
  runMap("a", [x], x.shape, 0, "u32", out, false);
  return out;
}

/**
 * Copies `src` into `dst`, which may be any view (e.g. a slice of a larger tensor); `src` is
 * broadcast to `dst`'s shape. No autograd.
 *
 * @example
 * ```ts
 * copyInto(sliceView(out, 1, 0, 3), part);
 * ```
 */
export function copyInto(dst: Tensor, src: Tensor): void {
  if (dst.dtype !== src.dtype) {
    throw new Error(`copyInto: dtypes differ (${src.dtype} into ${dst.dtype})`);
  }
  const shape = broadcastShapes(dst.shape, src.shape);
  if (shape.length !== dst.rank || shape.some((d, i) => d !== dst.shape[i])) {
    throw new Error(`copyInto: [${src.shape}] does not broadcast to the target [${dst.shape}]`);
  }
  runMap("a", [src], dst.shape, 0, "u32", dst, false);
}

/**
 * `x` itself when dense, else a dense copy; dispose the result only if it is not `x`.
 *
 * @example
 * ```ts
 * const d = asContiguous(x);
 * try { use(d); } finally { if (d !== x) d.dispose(); }
 * ```
 */
export function asContiguous(x: Tensor): Tensor {
  return x.isContiguous ? x : denseCopy(x);
}

/**
 * A new tensor filled with `value`.
 *
 * @example
 * ```ts
 * const z = fill([2, 3], 0);
 * ```
 */
export function fill(
  shape: readonly number[],
  value: number,
  dtype: "f32" | "i32" = "f32",
): Tensor {
  const out = empty(shape, dtype);
  fillInPlace(out, value);
  return out;
}

/**
 * Sets every element of a dense tensor to `value`.
 *
 * @example
 * ```ts
 * fillInPlace(grad, 0);
 * ```
 */
export function fillInPlace(t: Tensor, value: number): void {
  if (!t.isContiguous) throw new Error(`fill: the target must be dense, got a view ${t}`);
  t.gpu.run(
    fillKernel,
    { type: t.dtype },
    { out: t.buffer },
    { n: t.size, offset: t.offset, value },
    grid1d(t.size, WG),
  );
}

const fillKernel = declareKernel("fill", ({ type }: { type: "f32" | "i32" }) => ({
  storage: [{ name: "out", access: "read_write", type }],
  uniforms: { n: "u32", offset: "u32", value: type },
  body: /* wgsl */ `
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = ${FLAT_GROUP} * ${WG}u + lid;
  if (i < p.n) { out[p.offset + i] = p.value; }
}`,
}));
