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
import { type KernelSource, Params } from "../lib/gpu/runtime.ts";
import { setAutogradKernels } from "../lib/tensor/autograd.ts";
import { setContiguousHook } from "../lib/tensor/tensor.ts";
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

function packVec(params: Params, values: readonly number[]): void {
  for (let i = 0; i < MAX_RANK; i++) params.u32(values[i] ?? 0);
}

function mapSource(
  name: string,
  expr: string,
  elem: "f32" | "u32",
  layouts: readonly InputLayout[],
  rank: number,
  inPlace: boolean,
  outDense: boolean,
): KernelSource {
  const arity = layouts.length;
  const names = ["a", "b"];
  const dense = layouts.map((l) => (l.dense ? "d" : "s")).join("");
  const needIndex = !outDense || layouts.some((l) => !l.dense);
  const inputDecls = layouts.map((_, k) =>
    inPlace && k === 0
      ? ""
      : `@group(0) @binding(${inPlace ? k - 1 : k}) var<storage, read> in${k}: array<${elem}>;`
  ).join("\n");
  const outBinding = inPlace ? arity - 1 : arity;
  const outDecl = `@group(0) @binding(${outBinding}) var<storage, read_write> out: array<${elem}>;`;
  const strideFields = layouts.map((_, k) => `st${k}: array<vec4u, 2>,`).join(" ") +
    (outDense ? "" : " offo: u32, sto: array<vec4u, 2>,");
  const unrolled: string[] = [];
  if (needIndex) {
    unrolled.push("var r = i;");
    for (let d = rank - 1; d >= 0; d--) {
      const at = `[${d >> 2}][${d & 3}]`;
      unrolled.push(`{ let s = p.shape${at}; let q = r % s; r = r / s;`);
      layouts.forEach((l, k) => {
        if (!l.dense) unrolled.push(`  j${k} += q * p.st${k}${at};`);
      });
      if (!outDense) unrolled.push(`  jo += q * p.sto${at};`);
      unrolled.push("}");
    }
  }
  const reads = layouts.map((l, k) => {
    const src = inPlace && k === 0 ? "out" : `in${k}`;
    const index = l.dense ? `p.off${k} + i` : `j${k}`;
    return `let ${names[k]} = ${src}[${index}];`;
  }).join("\n  ");
  const code = /* wgsl */ `
struct P { n: u32, c: f32, off0: u32, off1: u32, shape: array<vec4u, 2>, ${strideFields} }
${inputDecls}
${outDecl}
@group(0) @binding(${outBinding + 1}) var<uniform> p: P;
${elem === "f32" ? MAP_HELPERS : ""}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = ${FLAT_GROUP} * ${WG}u + lid;
  if (i >= p.n) { return; }
  let c = p.c;
  ${layouts.map((l, k) => (l.dense ? "" : `var j${k} = p.off${k};`)).join(" ")}
  ${outDense ? "" : "var jo = p.offo;"}
  ${unrolled.join("\n  ")}
  ${reads}
  out[${outDense ? (inPlace ? "p.off0 + i" : "i") : "jo"}] = ${expr};
}`;
  const bindings: ("read" | "write")[] = [];
  for (let k = inPlace ? 1 : 0; k < arity; k++) bindings.push("read");
  bindings.push("write");
  return {
    name,
    key: `map:${name}:${expr}:${elem}:${rank}:${dense}:${inPlace}:${outDense}`,
    bindings,
    uniformBytes: 48 + 32 * arity + (outDense ? 0 : 48),
    code: () => code,
  };
}

function runMap(
  name: string,
  expr: string,
  inputs: readonly Tensor[],
  outShape: readonly number[],
  c: number,
  elem: "f32" | "u32",
  out: Tensor,
  inPlace: boolean,
): void {
  if (outShape.length > MAX_RANK) {
    throw new Error(`${name}: tensors of rank ${outShape.length} exceed the maximum ${MAX_RANK}`);
  }
  const gpu = out.gpu;
  const layouts = inputs.map((t) => layoutFor(t, outShape));
  if (inPlace) layouts[0] = { dense: true, offset: out.offset, strides: [] };
  const outDense = inPlace || (out.isContiguous && out.offset === 0);
  const kernel = gpu.kernel(
    mapSource(name, expr, elem, layouts, outShape.length, inPlace, outDense),
  );
  const n = sizeOf(outShape);
  const params = new Params().u32(n).f32(c).u32(layouts[0].offset, layouts[1]?.offset ?? 0);
  packVec(params, outShape);
  for (const l of layouts) packVec(params, l.strides);
  if (!outDense) {
    params.u32(out.offset, 0, 0, 0);
    packVec(params, out.strides);
  }
  const buffers = inputs.slice(inPlace ? 1 : 0).map((t) => t.buffer);
  buffers.push(out.buffer);
  gpu.dispatch(kernel, buffers, params, grid1d(n, WG));
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
  runMap(name, expr, [x], x.shape, c, "f32", out, false);
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
  runMap(name, expr, [a, b], shape, c, "f32", out, false);
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
  runMap(name, expr, [into, b], into.shape, c, "f32", into, true);
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
  runMap("copy", "a", [x], x.shape, 0, "u32", out, false);
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
  runMap("copy", "a", [src], dst.shape, 0, "u32", dst, false);
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
  const gpu = t.gpu;
  const kernel = gpu.kernel({
    name: "fill",
    key: `fill:${t.dtype}`,
    bindings: ["write"],
    uniformBytes: 16,
    code: () => /* wgsl */ `
struct P { n: u32, offset: u32, value: ${t.dtype} }
@group(0) @binding(0) var<storage, read_write> out: array<${t.dtype}>;
@group(0) @binding(1) var<uniform> p: P;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = ${FLAT_GROUP} * ${WG}u + lid;
  if (i < p.n) { out[p.offset + i] = p.value; }
}`,
  });
  const params = new Params().u32(t.size, t.offset);
  if (t.dtype === "i32") params.i32(value);
  else params.f32(value);
  gpu.dispatch(kernel, [t.buffer], params, grid1d(t.size, WG));
}

setContiguousHook(denseCopy);
setAutogradKernels({
  addInPlace: (into, g) => mapInPlace("accumulate", "a + b", into, g),
  ones: (like) => fill(like.shape, 1),
  copy: denseCopy,
});
