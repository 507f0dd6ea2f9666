/**
 * 2-D convolution with stride, constant-value padding, groups and a connection table between
 * input and output maps, with its backward (dx, dweight, dbias) side by side.
 *
 * Shapes: x [N, Cin, H, W], weight [Cout, Cin / groups, KH, KW], bias [Cout] (one per map) or
 * [Cout, Hout, Wout] (one per output unit, as in LeCun et al. 1989). Padding positions read
 * `padValue` (the 1989 net pads with -1), so they contribute `padValue * w` to the output and
 * `padValue * g` to the weight gradient. A connection table `[Cout][Cin / groups]` of 0/1
 * (or booleans) cuts maps apart: output map o only sums input maps whose entry is 1, masked
 * weights get a zero gradient and never influence the output (even when NaN).
 *
 * Kernels (direct convolution; kernel size, stride and padding are baked into the code):
 * - forward: one thread per output pixel and four output maps of a group, so each input value
 *   read feeds four multiply-adds;
 * - dx: one thread per input element, visiting only the taps whose stride divides the offset;
 * - dweight (+ dbias of a per-map bias): tiles of four output maps × one kernel row, reduced
 *   over the N·Hout output rows in one thread per tile when they are few, else in one workgroup
 *   per tile with a tree in workgroup memory (fixed order: deterministic);
 * - dbias of a per-unit bias: the sum over the batch (`sum(g, 0)`).
 *
 * @module
 */
import { FLAT_GROUP, grid1d } from "../lib/gpu/grid.ts";
import type { GpuBuffer } from "../lib/gpu/pool.ts";
import { type Gpu, type KernelSource, Params } from "../lib/gpu/runtime.ts";
import { record, wantsGrad } from "../lib/tensor/autograd.ts";
import { empty, type Tensor } from "../lib/tensor/tensor.ts";
import { asContiguous } from "./map.ts";
import { sum } from "./reduce.ts";

/** A connection table: entry [o][c] is 1 (or true) when output map o sees input map c. */
export type Conv2dConnections = readonly (readonly (boolean | number)[])[];

/** Options of {@link conv2d}. */
export interface Conv2dOptions {
  /** Step between output pixels, one number or [y, x] (default 1). */
  stride?: number | readonly [number, number];
  /** Padding added on each side, one number or [y, x] (default 0). */
  padding?: number | readonly [number, number];
  /** Value read at padding positions (default 0; the 1989 net uses -1). */
  padValue?: number;
  /** Input and output maps split into this many independent groups (default 1). */
  groups?: number;
  /** [Cout][Cin / groups] table of 0/1: which input maps each output map sees. */
  connections?: Conv2dConnections;
}

/** How the bias is laid out. */
type BiasMode = "none" | "map" | "unit";

/** Everything about one convolution's geometry, validated. */
export interface Conv2dGeometry {
  n: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  /** Input maps per group (the weight's second dimension). */
  cinPerGroup: number;
  /** Output maps per group. */
  coutPerGroup: number;
  groups: number;
  kh: number;
  kw: number;
  strideY: number;
  strideX: number;
  padY: number;
  padX: number;
  padValue: number;
  hout: number;
  wout: number;
  /** Row-major [Cout, cinPerGroup] table of 0/1, or null when every map is connected. */
  mask: Uint32Array | null;
}

const TILE = 4; // output maps per forward thread
const WG = 64;
const GROUP_REDUCE_MIN_ROWS = 32; // rows (n, oy) from which dweight uses a workgroup per tile
const GROUP_REDUCE_MAX_BYTES = 16384; // workgroup memory the dweight tree may use

function pair(value: number | readonly [number, number], what: string): [number, number] {
  const [a, b] = typeof value === "number" ? [value, value] : value;
  return [a, b].map((v) => {
    if (!Number.isInteger(v) || v < 0) {
      throw new Error(`conv2d: ${what} must be non-negative integers, got ${String(value)}`);
    }
    return v;
  }) as [number, number];
}

function parseConnections(
  table: Conv2dConnections,
  cout: number,
  cinPerGroup: number,
): Uint32Array {
  if (table.length !== cout || table.some((row) => row.length !== cinPerGroup)) {
    const shape = `[${table.length}, ${table.map((r) => r.length).join("|")}]`;
    throw new Error(
      `conv2d: connections is ${shape}, expected [${cout}, ${cinPerGroup}] (output maps by ` +
        "input maps per group)",
    );
  }
  const mask = new Uint32Array(cout * cinPerGroup);
  table.forEach((row, o) =>
    row.forEach((v, c) => {
      if (v !== true && v !== false && v !== 0 && v !== 1) {
        throw new Error(
          `conv2d: connections[${o}][${c}] is ${String(v)}, expected 0, 1, true or false`,
        );
      }
      mask[o * cinPerGroup + c] = v === true || v === 1 ? 1 : 0;
    })
  );
  return mask;
}

/**
 * Validates shapes and options and computes the output size; throws one line naming what is
 * wrong.
 *
 * @example
 * ```ts
 * const geo = conv2dGeometry([1, 1, 16, 16], [12, 1, 5, 5], { stride: 2, padding: 2 });
 * geo.hout; // 8
 * ```
 */
export function conv2dGeometry(
  xShape: readonly number[],
  weightShape: readonly number[],
  options: Conv2dOptions = {},
): Conv2dGeometry {
  if (xShape.length !== 4) {
    throw new Error(`conv2d: x has shape [${xShape}], expected rank 4 [N, Cin, H, W]`);
  }
  if (weightShape.length !== 4) {
    throw new Error(
      `conv2d: weight has shape [${weightShape}], expected rank 4 [Cout, Cin / groups, KH, KW]`,
    );
  }
  const [n, cin, h, w] = xShape;
  const [cout, cinPerGroup, kh, kw] = weightShape;
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1 || cin % groups !== 0 || cout % groups !== 0) {
    throw new Error(
      `conv2d: groups ${groups} must be a positive integer dividing Cin ${cin} and Cout ${cout}`,
    );
  }
  if (cinPerGroup !== cin / groups || kh < 1 || kw < 1) {
    throw new Error(
      `conv2d: weight has shape [${weightShape}], expected [${cout}, ${cin / groups}, KH, KW] ` +
        `with KH, KW >= 1 (x has ${cin} input maps, groups ${groups})`,
    );
  }
  const [strideY, strideX] = pair(options.stride ?? 1, "stride");
  if (strideY < 1 || strideX < 1) {
    throw new Error(`conv2d: stride must be at least 1, got ${String(options.stride)}`);
  }
  const [padY, padX] = pair(options.padding ?? 0, "padding");
  const padValue = options.padValue ?? 0;
  if (!Number.isFinite(padValue)) {
    throw new Error(`conv2d: padValue must be a finite number, got ${padValue}`);
  }
  const hout = Math.floor((h + 2 * padY - kh) / strideY) + 1;
  const wout = Math.floor((w + 2 * padX - kw) / strideX) + 1;
  if (hout < 1 || wout < 1) {
    throw new Error(
      `conv2d: a ${kh}x${kw} kernel does not fit the padded input ${h + 2 * padY}x` +
        `${w + 2 * padX} (x [${xShape}], padding ${padY},${padX})`,
    );
  }
  const mask = options.connections
    ? parseConnections(options.connections, cout, cinPerGroup)
    : null;
  return {
    n,
    cin,
    h,
    w,
    cout,
    cinPerGroup,
    coutPerGroup: cout / groups,
    groups,
    kh,
    kw,
    strideY,
    strideX,
    padY,
    padX,
    padValue,
    hout,
    wout,
    mask,
  };
}

function biasMode(geo: Conv2dGeometry, biasShape: readonly number[] | null): BiasMode {
  if (!biasShape) return "none";
  if (biasShape.length === 1 && biasShape[0] === geo.cout) return "map";
  const unit = [geo.cout, geo.hout, geo.wout];
  if (biasShape.length === 3 && biasShape.every((d, i) => d === unit[i])) return "unit";
  throw new Error(
    `conv2d: bias has shape [${biasShape}], expected [${geo.cout}] (one per map) or ` +
      `[${unit}] (one per output unit)`,
  );
}

// ---------------------------------------------------------------------------------------------
// WGSL.

/** Code constants every conv kernel shares; part of each kernel's key. */
function constants(geo: Conv2dGeometry): { key: string; wgsl: string } {
  const key = `${geo.kh}x${geo.kw}:s${geo.strideY},${geo.strideX}:p${geo.padY},${geo.padX}`;
  const wgsl = `
const KH = ${geo.kh}u; const KW = ${geo.kw}u;
const SY = ${geo.strideY}u; const SX = ${geo.strideX}u;
const PY = ${geo.padY}i; const PX = ${geo.padX}i;`;
  return { key, wgsl };
}

/** Uniform shared by the conv kernels (64 bytes); `*Off` are the tensors' element offsets. */
const PARAMS_STRUCT = `struct P {
  n: u32, cin: u32, h: u32, w: u32,
  cout: u32, hout: u32, wout: u32, cinPerGroup: u32,
  coutPerGroup: u32, groups: u32, total: u32, padValue: f32,
  xOff: u32, wOff: u32, bOff: u32, gOff: u32,
}`;
const PARAMS_BYTES = 64;

/** Element offsets of the dense tensors a kernel reads (0 for those it does not read). */
interface Offsets {
  x?: Tensor;
  weight?: Tensor;
  bias?: Tensor | null;
  g?: Tensor;
}

function params(geo: Conv2dGeometry, total: number, t: Offsets): Params {
  return new Params()
    .u32(geo.n, geo.cin, geo.h, geo.w, geo.cout, geo.hout, geo.wout, geo.cinPerGroup)
    .u32(geo.coutPerGroup, geo.groups, total)
    .f32(geo.padValue)
    .u32(t.x?.offset ?? 0, t.weight?.offset ?? 0, t.bias?.offset ?? 0, t.g?.offset ?? 0);
}

function forwardSource(geo: Conv2dGeometry, bias: BiasMode): KernelSource {
  const c = constants(geo);
  const masked = geo.mask !== null;
  const bindings: ("read" | "write")[] = ["read", "read"];
  const decls = [
    "@group(0) @binding(0) var<storage, read> x: array<f32>;",
    "@group(0) @binding(1) var<storage, read> wt: array<f32>;",
  ];
  if (bias !== "none") {
    decls.push(`@group(0) @binding(${bindings.length}) var<storage, read> bias: array<f32>;`);
    bindings.push("read");
  }
  if (masked) {
    decls.push(`@group(0) @binding(${bindings.length}) var<storage, read> mask: array<u32>;`);
    bindings.push("read");
  }
  decls.push(`@group(0) @binding(${bindings.length}) var<storage, read_write> y: array<f32>;`);
  bindings.push("write");
  decls.push(`@group(0) @binding(${bindings.length}) var<uniform> p: P;`);
  const biasTerm = bias === "map"
    ? "vec4f(bias[p.bOff + oc.x], bias[p.bOff + oc.y], bias[p.bOff + oc.z], bias[p.bOff + oc.w])"
    : bias === "unit"
    ? "vec4f(bias[bu + oc.x * hw], bias[bu + oc.y * hw], bias[bu + oc.z * hw], bias[bu + oc.w * hw])"
    : "vec4f(0.0)";
  const code = /* wgsl */ `
${PARAMS_STRUCT}
${decls.join("\n")}
${c.wgsl}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = ${FLAT_GROUP} * ${WG}u + lid;
  if (i >= p.total) { return; }
  let hw = p.hout * p.wout;
  let sp = i % hw;
  let rest = i / hw;
  let tilesPerGroup = (p.coutPerGroup + ${TILE - 1}u) / ${TILE}u;
  let tiles = tilesPerGroup * p.groups;
  let tile = rest % tiles;
  let n = rest / tiles;
  let g = tile / tilesPerGroup;
  let first = g * p.coutPerGroup + (tile % tilesPerGroup) * ${TILE}u;
  let last = min(first + ${TILE - 1}u, (g + 1u) * p.coutPerGroup - 1u);
  // Output maps of this thread; lanes past the group's end repeat the last map.
  let oc = min(vec4u(first, first + 1u, first + 2u, first + 3u), vec4u(last));
  let oy = sp / p.wout;
  let ox = sp % p.wout;
  let iy0 = i32(oy * SY) - PY;
  let ix0 = i32(ox * SX) - PX;
  let taps = KH * KW;
  let wb = oc * (p.cinPerGroup * taps) + vec4u(p.wOff);
  let bu = p.bOff + sp;
  var acc = vec4f(0.0);
  for (var c = 0u; c < p.cinPerGroup; c++) {
    ${
    masked
      ? `let m = vec4u(mask[oc.x * p.cinPerGroup + c], mask[oc.y * p.cinPerGroup + c],
      mask[oc.z * p.cinPerGroup + c], mask[oc.w * p.cinPerGroup + c]) != vec4u(0u);
    if (!any(m)) { continue; }`
      : ""
  }
    let xb = p.xOff + (n * p.cin + g * p.cinPerGroup + c) * p.h * p.w;
    let wc = c * taps;
    var part = vec4f(0.0);
    for (var ky = 0u; ky < KH; ky++) {
      let iy = iy0 + i32(ky);
      let rowOk = iy >= 0 && iy < i32(p.h);
      for (var kx = 0u; kx < KW; kx++) {
        let ix = ix0 + i32(kx);
        var v = p.padValue;
        if (rowOk && ix >= 0 && ix < i32(p.w)) { v = x[xb + u32(iy) * p.w + u32(ix)]; }
        let k = wc + ky * KW + kx;
        part += v * vec4f(wt[wb.x + k], wt[wb.y + k], wt[wb.z + k], wt[wb.w + k]);
      }
    }
    acc += ${masked ? "select(vec4f(0.0), part, m)" : "part"};
  }
  let out = acc + ${biasTerm};
  let yb = (n * p.cout) * hw + sp;
  y[yb + oc.x * hw] = out.x;
  if (first + 1u <= last) { y[yb + oc.y * hw] = out.y; }
  if (first + 2u <= last) { y[yb + oc.z * hw] = out.z; }
  if (first + 3u <= last) { y[yb + oc.w * hw] = out.w; }
}`;
  return {
    name: "conv2d",
    key: `conv2d:fwd:${c.key}:${bias}:${masked}`,
    bindings,
    uniformBytes: PARAMS_BYTES,
    code: () => code,
  };
}

function inputGradSource(geo: Conv2dGeometry): KernelSource {
  const c = constants(geo);
  const masked = geo.mask !== null;
  const code = /* wgsl */ `
${PARAMS_STRUCT}
@group(0) @binding(0) var<storage, read> gy: array<f32>;
@group(0) @binding(1) var<storage, read> wt: array<f32>;
${
    masked
      ? `@group(0) @binding(2) var<storage, read> mask: array<u32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@group(0) @binding(4) var<uniform> p: P;`
      : `@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> p: P;`
  }
${c.wgsl}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = ${FLAT_GROUP} * ${WG}u + lid;
  if (i >= p.total) { return; }
  let ix = i % p.w;
  var rest = i / p.w;
  let iy = rest % p.h;
  rest = rest / p.h;
  let ci = rest % p.cin;
  let n = rest / p.cin;
  let g = ci / p.cinPerGroup;
  let cw = ci % p.cinPerGroup;
  let hw = p.hout * p.wout;
  // Taps (ky, kx) that reach (iy, ix) from an output pixel: (iy + PY - ky) divisible by SY.
  let ty = i32(iy) + PY;
  let tx = i32(ix) + PX;
  var acc = 0.0;
  for (var oo = 0u; oo < p.coutPerGroup; oo++) {
    let o = g * p.coutPerGroup + oo;
    ${masked ? "if (mask[o * p.cinPerGroup + cw] == 0u) { continue; }" : ""}
    let gb = p.gOff + (n * p.cout + o) * hw;
    let wb = p.wOff + (o * p.cinPerGroup + cw) * KH * KW;
    for (var ky = u32(ty % i32(SY)); ky < KH && i32(ky) <= ty; ky += SY) {
      let oy = u32(ty - i32(ky)) / SY;
      if (oy >= p.hout) { continue; }
      for (var kx = u32(tx % i32(SX)); kx < KW && i32(kx) <= tx; kx += SX) {
        let ox = u32(tx - i32(kx)) / SX;
        if (ox >= p.wout) { continue; }
        acc += gy[gb + oy * p.wout + ox] * wt[wb + ky * KW + kx];
      }
    }
  }
  dx[i] = acc;
}`;
  return {
    name: "conv2d_dx",
    key: `conv2d:dx:${c.key}:${masked}`,
    bindings: masked ? ["read", "read", "read", "write"] : ["read", "read", "write"],
    uniformBytes: PARAMS_BYTES,
    code: () => code,
  };
}

/**
 * dweight, plus dbias of a per-map bias. One tile = four output maps of a group × one input map
 * × one kernel row (KW taps); per output position it loads four gradients and KW inputs for
 * 4·KW multiply-adds. The reduction runs over rows (n, oy): serially in one thread per tile, or
 * split over a workgroup per tile and summed by a tree in workgroup memory (fixed order).
 */
function weightGradSource(geo: Conv2dGeometry, mapBias: boolean, perGroup: boolean): KernelSource {
  const c = constants(geo);
  const masked = geo.mask !== null;
  const bindings: ("read" | "write")[] = ["read", "read"];
  const decls = [
    "@group(0) @binding(0) var<storage, read> gy: array<f32>;",
    "@group(0) @binding(1) var<storage, read> x: array<f32>;",
  ];
  if (masked) {
    decls.push(`@group(0) @binding(${bindings.length}) var<storage, read> mask: array<u32>;`);
    bindings.push("read");
  }
  decls.push(`@group(0) @binding(${bindings.length}) var<storage, read_write> dw: array<f32>;`);
  bindings.push("write");
  if (mapBias) {
    decls.push(`@group(0) @binding(${bindings.length}) var<storage, read_write> db: array<f32>;`);
    bindings.push("write");
  }
  decls.push(`@group(0) @binding(${bindings.length}) var<uniform> p: P;`);
  // Accumulators: KW taps plus the bias sum, each over the tile's four output maps.
  const slots = geo.kw + 1;
  const body = /* wgsl */ `
struct Tile { oc: vec4u, count: u32, ci: u32, cw: u32, ky: u32, live: vec4<bool> }
fn tile(t: u32) -> Tile {
  let ky = t % KH;
  var rest = t / KH;
  let cw = rest % p.cinPerGroup;
  rest = rest / p.cinPerGroup;
  let tilesPerGroup = (p.coutPerGroup + ${TILE - 1}u) / ${TILE}u;
  let g = rest / tilesPerGroup;
  let first = g * p.coutPerGroup + (rest % tilesPerGroup) * ${TILE}u;
  let last = min(first + ${TILE - 1}u, (g + 1u) * p.coutPerGroup - 1u);
  let oc = min(vec4u(first, first + 1u, first + 2u, first + 3u), vec4u(last));
  let live = ${
    masked
      ? `vec4u(mask[oc.x * p.cinPerGroup + cw], mask[oc.y * p.cinPerGroup + cw],
    mask[oc.z * p.cinPerGroup + cw], mask[oc.w * p.cinPerGroup + cw]) != vec4u(0u)`
      : "vec4<bool>(true)"
  };
  return Tile(oc, last - first + 1u, g * p.cinPerGroup + cw, cw, ky, live);
}
// Adds row (n, oy)'s products to acc[0..KW-1] and its gradients to acc[KW].
fn accumulateRow(row: u32, t: Tile, acc: ptr<function, array<vec4f, ${slots}>>) {
  let hw = p.hout * p.wout;
  let n = row / p.hout;
  let oy = row % p.hout;
  let iy = i32(oy * SY) - PY + i32(t.ky);
  let rowOk = iy >= 0 && iy < i32(p.h);
  let xb = p.xOff + ((n * p.cin + t.ci) * p.h + u32(max(iy, 0))) * p.w;
  let gb = vec4u(p.gOff + n * p.cout * hw + oy * p.wout) + t.oc * hw;
  for (var ox = 0u; ox < p.wout; ox++) {
    let gv = vec4f(gy[gb.x + ox], gy[gb.y + ox], gy[gb.z + ox], gy[gb.w + ox]);
    (*acc)[KW] += gv;
    let ix0 = i32(ox * SX) - PX;
    for (var kx = 0u; kx < KW; kx++) {
      let ix = ix0 + i32(kx);
      var v = p.padValue;
      if (rowOk && ix >= 0 && ix < i32(p.w)) { v = x[xb + u32(ix)]; }
      (*acc)[kx] += gv * v;
    }
  }
}
fn store(t: Tile, acc: array<vec4f, ${slots}>) {
  for (var lane = 0u; lane < t.count; lane++) {
    let o = t.oc[lane];
    let base = ((o * p.cinPerGroup + t.cw) * KH + t.ky) * KW;
    for (var kx = 0u; kx < KW; kx++) { dw[base + kx] = select(0.0, acc[kx][lane], t.live[lane]); }
    ${mapBias ? "if (t.cw == 0u && t.ky == 0u) { db[o] = acc[KW][lane]; }" : ""}
  }
}`;
  const main = perGroup
    ? /* wgsl */ `
var<workgroup> partial: array<array<vec4f, ${slots}>, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let index = ${FLAT_GROUP};
  if (index >= p.total) { return; }
  let t = tile(index);
  var acc: array<vec4f, ${slots}>;
  for (var row = lid; row < p.n * p.hout; row += ${WG}u) { accumulateRow(row, t, &acc); }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) {
      for (var k = 0u; k < ${slots}u; k++) { partial[lid][k] += partial[lid + s][k]; }
    }
    workgroupBarrier();
  }
  if (lid == 0u) { store(t, partial[0]); }
}`
    : /* wgsl */ `
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let index = ${FLAT_GROUP} * ${WG}u + lid;
  if (index >= p.total) { return; }
  let t = tile(index);
  var acc: array<vec4f, ${slots}>;
  for (var row = 0u; row < p.n * p.hout; row++) { accumulateRow(row, t, &acc); }
  store(t, acc);
}`;
  const code = `${PARAMS_STRUCT}\n${decls.join("\n")}\n${c.wgsl}\n${body}\n${main}`;
  return {
    name: "conv2d_dweight",
    key: `conv2d:dw:${c.key}:${masked}:${mapBias}:${perGroup}`,
    bindings,
    uniformBytes: PARAMS_BYTES,
    code: () => code,
  };
}

// ---------------------------------------------------------------------------------------------
// Connection tables live on the GPU once per distinct table.

const maskBuffers = new WeakMap<Gpu, Map<string, GpuBuffer>>();

/** The GPU copy of a connection table (uploaded on first use, kept for the device's life). */
function maskBuffer(gpu: Gpu, mask: Uint32Array, cinPerGroup: number): GpuBuffer {
  let byTable = maskBuffers.get(gpu);
  if (!byTable) maskBuffers.set(gpu, byTable = new Map());
  const key = `${cinPerGroup}:${mask.join("")}`;
  let buffer = byTable.get(key);
  if (!buffer) byTable.set(key, buffer = gpu.upload(mask));
  return buffer;
}

// ---------------------------------------------------------------------------------------------
// The op.

function checkTensor(name: string, t: Tensor): void {
  if (t.dtype !== "f32") throw new Error(`conv2d: ${name} must be f32, got ${t.dtype} ${t}`);
}

/**
 * 2-D convolution (cross-correlation, as PyTorch `F.conv2d`) with autograd.
 *
 * @example
 * ```ts
 * // LeCun 1989 H1: 1x16x16 input padded by 2 with -1, 5x5 stride 2, one bias per unit.
 * const h1 = conv2d(x, w1, b1, { stride: 2, padding: 2, padValue: -1 }); // [N, 12, 8, 8]
 * // H2: 12 maps of 4x4, each seeing 8 of H1's 12 maps.
 * const h2 = conv2d(tanh(h1), w2, b2, { stride: 2, padding: 2, padValue: -1, connections });
 * ```
 */
export function conv2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: Conv2dOptions = {},
): Tensor {
  checkTensor("x", x);
  checkTensor("weight", weight);
  if (bias) checkTensor("bias", bias);
  const geo = conv2dGeometry(x.shape, weight.shape, options);
  const mode = biasMode(geo, bias?.shape ?? null);
  const gpu = x.gpu;
  const mask = geo.mask ? maskBuffer(gpu, geo.mask, geo.cinPerGroup) : null;
  const xd = asContiguous(x);
  const wd = asContiguous(weight);
  const bd = bias ? asContiguous(bias) : null;
  const y = empty([geo.n, geo.cout, geo.hout, geo.wout], "f32", gpu);
  const tiles = geo.groups * Math.ceil(geo.coutPerGroup / TILE);
  const total = geo.n * tiles * geo.hout * geo.wout;
  const buffers = [xd.buffer, wd.buffer];
  if (bd) buffers.push(bd.buffer);
  if (mask) buffers.push(mask);
  buffers.push(y.buffer);
  gpu.dispatch(
    gpu.kernel(forwardSource(geo, mode)),
    buffers,
    params(geo, total, { x: xd, weight: wd, bias: bd }),
    grid1d(total, WG),
  );
  // Backward reads dense copies; views are released now when they were copies.
  const inputs = bias ? [x, weight, bias] : [x, weight];
  const out = record("conv2d", y, inputs, [xd, wd], (g, [sx, sw]) => {
    const gd = asContiguous(g);
    const dx = wantsGrad(x) ? inputGrad(gpu, geo, gd, sw, mask) : null;
    let dw: Tensor | null = null, db: Tensor | null = null;
    if (wantsGrad(weight) || (bias && wantsGrad(bias) && mode === "map")) {
      [dw, db] = weightGrad(gpu, geo, gd, sx, mask, mode === "map");
    }
    if (bias && wantsGrad(bias) && mode === "unit") db = sum(gd, 0);
    if (gd !== g) gd.dispose();
    if (!wantsGrad(weight)) {
      dw?.dispose();
      dw = null;
    }
    return bias ? [dx, dw, db] : [dx, dw];
  });
  if (xd !== x) xd.dispose();
  if (wd !== weight) wd.dispose();
  if (bd && bd !== bias) bd.dispose();
  return out;
}

function inputGrad(
  gpu: Gpu,
  geo: Conv2dGeometry,
  g: Tensor,
  weight: Tensor,
  mask: GpuBuffer | null,
): Tensor {
  const dx = empty([geo.n, geo.cin, geo.h, geo.w], "f32", gpu);
  const buffers = mask ? [g.buffer, weight.buffer, mask, dx.buffer] : [
    g.buffer,
    weight.buffer,
    dx.buffer,
  ];
  gpu.dispatch(
    gpu.kernel(inputGradSource(geo)),
    buffers,
    params(geo, dx.size, { weight, g }),
    grid1d(dx.size, WG),
  );
  return dx;
}

function weightGrad(
  gpu: Gpu,
  geo: Conv2dGeometry,
  g: Tensor,
  x: Tensor,
  mask: GpuBuffer | null,
  mapBias: boolean,
): [Tensor, Tensor | null] {
  const dw = empty([geo.cout, geo.cinPerGroup, geo.kh, geo.kw], "f32", gpu);
  const db = mapBias ? empty([geo.cout], "f32", gpu) : null;
  const tiles = geo.groups * Math.ceil(geo.coutPerGroup / TILE) * geo.cinPerGroup * geo.kh;
  const perGroup = geo.n * geo.hout >= GROUP_REDUCE_MIN_ROWS &&
    (geo.kw + 1) * 16 * WG <= GROUP_REDUCE_MAX_BYTES;
  const buffers = [g.buffer, x.buffer];
  if (mask) buffers.push(mask);
  buffers.push(dw.buffer);
  if (db) buffers.push(db.buffer);
  gpu.dispatch(
    gpu.kernel(weightGradSource(geo, mapBias, perGroup)),
    buffers,
    params(geo, tiles, { x, g }),
    perGroup ? grid1d(tiles, 1) : grid1d(tiles, WG),
  );
  return [dw, db];
}

// ---------------------------------------------------------------------------------------------
// Float64 references.

function padded(
  x: ArrayLike<number>,
  geo: Conv2dGeometry,
  n: number,
  c: number,
  iy: number,
  ix: number,
): number {
  if (iy < 0 || iy >= geo.h || ix < 0 || ix >= geo.w) return geo.padValue;
  return x[((n * geo.cin + c) * geo.h + iy) * geo.w + ix];
}

/** Calls `f(o, ci, cw)` for every connected (output map, input map) pair. */
function forEachConnection(
  geo: Conv2dGeometry,
  f: (o: number, ci: number, cw: number) => void,
): void {
  for (let o = 0; o < geo.cout; o++) {
    const group = Math.floor(o / geo.coutPerGroup);
    for (let cw = 0; cw < geo.cinPerGroup; cw++) {
      if (geo.mask && geo.mask[o * geo.cinPerGroup + cw] === 0) continue;
      f(o, group * geo.cinPerGroup + cw, cw);
    }
  }
}

/**
 * Float64 reference of {@link conv2d} over row-major arrays.
 *
 * @example
 * ```ts
 * const { values, shape } = conv2dReference(x, [1, 1, 16, 16], w, [12, 1, 5, 5], b, [12, 8, 8],
 *   { stride: 2, padding: 2, padValue: -1 });
 * ```
 */
export function conv2dReference(
  x: ArrayLike<number>,
  xShape: readonly number[],
  weight: ArrayLike<number>,
  weightShape: readonly number[],
  bias: ArrayLike<number> | null,
  biasShape: readonly number[] | null,
  options: Conv2dOptions = {},
): { values: Float64Array; shape: number[] } {
  const geo = conv2dGeometry(xShape, weightShape, options);
  const mode = biasMode(geo, biasShape);
  const hw = geo.hout * geo.wout;
  const values = new Float64Array(geo.n * geo.cout * hw);
  for (let n = 0; n < geo.n; n++) {
    forEachConnection(geo, (o, ci, cw) => {
      for (let oy = 0; oy < geo.hout; oy++) {
        for (let ox = 0; ox < geo.wout; ox++) {
          let acc = 0;
          for (let ky = 0; ky < geo.kh; ky++) {
            for (let kx = 0; kx < geo.kw; kx++) {
              const v = padded(
                x,
                geo,
                n,
                ci,
                oy * geo.strideY - geo.padY + ky,
                ox * geo.strideX - geo.padX + kx,
              );
              acc += v * weight[((o * geo.cinPerGroup + cw) * geo.kh + ky) * geo.kw + kx];
            }
          }
          values[(n * geo.cout + o) * hw + oy * geo.wout + ox] += acc;
        }
      }
    });
    for (let o = 0; o < geo.cout; o++) {
      for (let s = 0; s < hw; s++) {
        if (mode === "map") values[(n * geo.cout + o) * hw + s] += bias![o];
        if (mode === "unit") values[(n * geo.cout + o) * hw + s] += bias![o * hw + s];
      }
    }
  }
  return { values, shape: [geo.n, geo.cout, geo.hout, geo.wout] };
}

/**
 * Float64 reference of {@link conv2d}'s backward: the gradients of sum(g * conv2d(x, w, b))
 * with respect to x, the weight and the bias (null when `biasShape` is null).
 *
 * @example
 * ```ts
 * const { dx, dweight, dbias } = conv2dBackwardReference(x, xs, w, ws, [12], g, { stride: 2 });
 * ```
 */
export function conv2dBackwardReference(
  x: ArrayLike<number>,
  xShape: readonly number[],
  weight: ArrayLike<number>,
  weightShape: readonly number[],
  biasShape: readonly number[] | null,
  g: ArrayLike<number>,
  options: Conv2dOptions = {},
): { dx: Float64Array; dweight: Float64Array; dbias: Float64Array | null } {
  const geo = conv2dGeometry(xShape, weightShape, options);
  const mode = biasMode(geo, biasShape);
  const hw = geo.hout * geo.wout;
  const dx = new Float64Array(geo.n * geo.cin * geo.h * geo.w);
  const dweight = new Float64Array(geo.cout * geo.cinPerGroup * geo.kh * geo.kw);
  const dbias = mode === "none"
    ? null
    : new Float64Array(mode === "map" ? geo.cout : geo.cout * hw);
  for (let n = 0; n < geo.n; n++) {
    forEachConnection(geo, (o, ci, cw) => {
      for (let oy = 0; oy < geo.hout; oy++) {
        for (let ox = 0; ox < geo.wout; ox++) {
          const gv = g[(n * geo.cout + o) * hw + oy * geo.wout + ox];
          for (let ky = 0; ky < geo.kh; ky++) {
            for (let kx = 0; kx < geo.kw; kx++) {
              const iy = oy * geo.strideY - geo.padY + ky;
              const ix = ox * geo.strideX - geo.padX + kx;
              const wi = ((o * geo.cinPerGroup + cw) * geo.kh + ky) * geo.kw + kx;
              dweight[wi] += gv * padded(x, geo, n, ci, iy, ix);
              if (iy >= 0 && iy < geo.h && ix >= 0 && ix < geo.w) {
                dx[((n * geo.cin + ci) * geo.h + iy) * geo.w + ix] += gv * weight[wi];
              }
            }
          }
        }
      }
    });
    if (dbias) {
      for (let o = 0; o < geo.cout; o++) {
        for (let s = 0; s < hw; s++) {
          dbias[mode === "map" ? o : o * hw + s] += g[(n * geo.cout + o) * hw + s];
        }
      }
    }
  }
  return { dx, dweight, dbias };
}
