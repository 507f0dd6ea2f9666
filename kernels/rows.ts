/**
 * The launch layout shared by the row-wise kernels (softmax, log-softmax, cross-entropy,
 * layernorm, embedding): `lanes` invocations cooperate on one row of `n` elements, each taking
 * every `lanes`-th element in a strided loop, and combine their partial results with a
 * reduction in workgroup memory. A workgroup holds `rowsPerGroup` rows side by side, and the
 * rows of a launch fold into two grid dimensions (see `grid1d`), so any number of rows works.
 *
 * On a GPU `lanes` grows with the row length (about 16 loads per lane, capped at 256 lanes):
 * short rows take one invocation each and need no barrier at all, long rows a whole workgroup.
 * On a CPU adapter (lavapipe, SwiftShader) a workgroup runs as a SIMD loop over its invocations
 * and barriers cost more than one invocation reading a whole row, so rows there take one
 * invocation each when they fill a few workgroups and are at most 1024 loads long (measured on
 * lavapipe, CPU time per call: layernorm [16384, 384] 42 → 32 ms, softmax [16384, 256]
 * 25 → 18 ms). Rows whose
 * length and offsets are multiples of 4 are read as `vec4f`, which halves the time on Mesa's
 * lavapipe (measured on [16384, 384] layernorm: 14–16 ms with vec4 loads, 25–30 ms without)
 * and gives 16-byte coalesced loads on a GPU.
 *
 * Reductions are deterministic: a fixed tree (or, for ≤ 16 lanes, every lane summing the
 * partials in lane order), never atomics.
 *
 * @module
 */
import { FLAT_GROUP, grid1d } from "../lib/gpu/grid.ts";
import {
  type Constants,
  declareKernel,
  type KernelDeclaration,
  type KernelInterface,
} from "../lib/gpu/program.ts";
import type { Gpu, KernelBuffers, KernelUniforms } from "../lib/gpu/runtime.ts";

/** Loads each lane aims to make per row before more lanes are added. */
const LOADS_PER_LANE = 16;
/** Most lanes on one row (the workgroup size limit WebGPU guarantees). */
const MAX_LANES = 256;
/** Smallest workgroup: rows share a workgroup when they need fewer lanes. */
const MIN_GROUP = 64;
/** Fewest rows for which a CPU adapter gives each row a single invocation. */
const CPU_MIN_ROWS = 4 * MIN_GROUP;
/**
 * Longest row (in loads) a CPU adapter gives a single invocation; longer rows are split over
 * lanes as on a GPU, which also keeps each sequential f32 partial sum short.
 */
const CPU_MAX_LOADS = 1024;
/** Up to this many lanes, each lane sums the partials itself (one barrier, not log2 lanes). */
const FLAT_REDUCE_LANES = 16;

/** How a row-wise kernel is laid out over rows of a given length. */
export interface RowPlan {
  /** Rows in the launch. */
  readonly rows: number;
  /** Elements per row. */
  readonly n: number;
  /** Elements per load: 4 when the rows are read as `vec4f`, else 1. */
  readonly width: 1 | 4;
  /** Loads per row (`n / width`). */
  readonly units: number;
  /** Invocations cooperating on one row (a power of two, at most 256). */
  readonly lanes: number;
  /** Invocations per workgroup. */
  readonly groupSize: number;
  /** Rows per workgroup. */
  readonly rowsPerGroup: number;
}

/**
 * The layout for `rows` rows of `n` elements on `gpu`; `vec4` says whether every buffer the
 * kernel reads along the row allows 4-wide loads (element offsets multiples of 4; the row
 * length is checked here).
 *
 * @example
 * ```ts
 * planRows(gpu, 16384, 384, true); // on a GPU: { width: 4, units: 96, lanes: 8, ... }
 * ```
 */
export function planRows(gpu: Gpu, rows: number, n: number, vec4: boolean): RowPlan {
  return planRowsFor(gpu.isCpu, rows, n, vec4);
}

/**
 * {@link planRows} for a CPU adapter (`cpu`) or a GPU.
 *
 * @example
 * ```ts
 * planRowsFor(false, 16384, 384, true); // { width: 4, units: 96, lanes: 8, rowsPerGroup: 8, ... }
 * planRowsFor(true, 16384, 384, true); // { width: 4, units: 96, lanes: 1, rowsPerGroup: 64, ... }
 * ```
 */
export function planRowsFor(cpu: boolean, rows: number, n: number, vec4: boolean): RowPlan {
  const width = vec4 && n % 4 === 0 ? 4 : 1;
  const units = n / width;
  let lanes = 1;
  const oneLane = cpu && rows >= CPU_MIN_ROWS && units <= CPU_MAX_LOADS;
  while (!oneLane && lanes < MAX_LANES && lanes * LOADS_PER_LANE < units) lanes *= 2;
  const groupSize = Math.max(lanes, MIN_GROUP);
  return { rows, n, width, units, lanes, groupSize, rowsPerGroup: groupSize / lanes };
}

/**
 * Whether a tensor offset (in elements) allows `vec4f` loads.
 *
 * @example
 * ```ts
 * const vec4 = n % 4 === 0 && alignedForVec4(x.offset);
 * ```
 */
export function alignedForVec4(...offsets: number[]): boolean {
  return offsets.every((o) => o % 4 === 0);
}

/**
 * The workgroup counts of a row launch.
 *
 * @example
 * ```ts
 * gpu.dispatch(kernel, buffers, params, rowGrid(plan));
 * ```
 */
function rowGrid(plan: RowPlan): [number, number] {
  return grid1d(plan.rows, plan.rowsPerGroup);
}

/** The part of a row plan that a kernel's code is specialized on. */
export interface RowConstants {
  readonly [key: string]: string | number | boolean;
  width: 1 | 4;
  lanes: number;
  groupSize: number;
}

/**
 * The WGSL element type of a buffer read `width` elements at a time.
 *
 * @example
 * ```ts
 * rowElement(4); // "vec4f"
 * ```
 */
export function rowElement(width: 1 | 4): string {
  return width === 4 ? "vec4f" : "f32";
}

/** The part of a plan a row kernel's code is built from, and the WGSL type of one load. */
export interface RowShape {
  readonly width: 1 | 4;
  readonly lanes: number;
  readonly groupSize: number;
  readonly rowsPerGroup: number;
  /** `vec4f` when rows are read 4 wide, else `f32`. */
  readonly elem: string;
}

/**
 * Declares a row kernel: `build` gets the plan's shape and the constants and writes the
 * interface; the body is prefixed with {@link rowHeader}.
 *
 * @example
 * ```ts
 * const rowCopy = declareRowKernel("row_copy", (plan) => ({
 *   storage: [{ name: "x", access: "read", type: plan.elem }, { name: "y", access: "read_write", type: plan.elem }],
 *   uniforms: { rows: "u32", units: "u32" },
 *   body: `@compute @workgroup_size(${plan.groupSize}) fn main(...) { ... }`,
 * }));
 * ```
 */
export function declareRowKernel<C extends Constants>(
  name: string,
  build: (plan: RowShape, constants: C & RowConstants) => KernelInterface,
): KernelDeclaration<C & RowConstants> {
  return declareKernel(name, (c: C & RowConstants) => {
    const plan: RowShape = {
      width: c.width,
      lanes: c.lanes,
      groupSize: c.groupSize,
      rowsPerGroup: c.groupSize / c.lanes,
      elem: rowElement(c.width),
    };
    const iface = build(plan, c);
    return { ...iface, body: `${rowHeader(plan)}\n${iface.body}` };
  });
}

/**
 * Records a row kernel over the rows of `plan`, with the plan's constants beside `constants`.
 *
 * @example
 * ```ts
 * runRowKernel(gpu, rowCopy, plan, {}, { x, y }, { rows: plan.rows, units: plan.units });
 * ```
 */
export function runRowKernel<C extends Constants>(
  gpu: Gpu,
  kernel: KernelDeclaration<C & RowConstants>,
  plan: RowPlan,
  constants: C,
  buffers: KernelBuffers,
  uniforms: KernelUniforms,
): void {
  const rowConstants: RowConstants = {
    width: plan.width,
    lanes: plan.lanes,
    groupSize: plan.groupSize,
  };
  gpu.run(kernel, { ...constants, ...rowConstants }, buffers, uniforms, rowGrid(plan));
}

/**
 * WGSL declarations every row kernel starts with: `alias U` (the load type) and `UI` (its
 * integer twin), `hsum`/`hmax` over a load, and `unitColumns(j)`, the row columns of load `j`.
 *
 * @example
 * ```ts
 * const code = `${rowHeader(plan)} ...`;
 * ```
 */
function rowHeader(plan: Pick<RowPlan, "width">): string {
  if (plan.width === 4) {
    return /* wgsl */ `
alias U = vec4f;
alias UI = vec4i;
fn hsum(v: vec4f) -> f32 { return (v.x + v.y) + (v.z + v.w); }
fn hmax(v: vec4f) -> f32 { return max(max(v.x, v.y), max(v.z, v.w)); }
fn unitColumns(j: u32) -> vec4i { return vec4i(i32(4u * j)) + vec4i(0, 1, 2, 3); }`;
  }
  return /* wgsl */ `
alias U = f32;
alias UI = i32;
fn hsum(v: f32) -> f32 { return v; }
fn hmax(v: f32) -> f32 { return v; }
fn unitColumns(j: u32) -> i32 { return i32(j); }`;
}

/**
 * WGSL statements opening a row kernel's `main` (which must declare `wg` and `lid` builtins):
 * `lane` (0..lanes-1), `slot` (the row's first invocation in the workgroup), `row`, `live`
 * (row < p.rows) and `units` (loads in this invocation's row; 0 past the last row, so loops
 * skip while every invocation still reaches the barriers). Needs `p.rows` and `p.units`.
 *
 * @example
 * ```ts
 * const body = `${rowPrelude(plan)} for (var j = lane; j < units; j += ${plan.lanes}u) {}`;
 * ```
 */
export function rowPrelude(plan: Pick<RowPlan, "lanes" | "rowsPerGroup">): string {
  return /* wgsl */ `
  let lane = lid % ${plan.lanes}u;
  let slot = lid - lane;
  let row = ${FLAT_GROUP} * ${plan.rowsPerGroup}u + lid / ${plan.lanes}u;
  let live = row < p.rows;
  let units = select(0u, p.units, live);`;
}

/**
 * WGSL statements computing a row's maximum `m` and Σ exp(x − m) `s` over `x[xs + j]` (the
 * log-sum-exp's two passes, stable), with every lane getting both; needs {@link rowPrelude},
 * `let xs`, and the row reductions `rowMax` and `rowSum` ({@link rowReduce}).
 *
 * @example
 * ```ts
 * const lse = `let xs = p.xOff + row * p.units; ${rowMaxAndExpSum(plan)} let lse = m + log(s);`;
 * ```
 */
export function rowMaxAndExpSum(plan: Pick<RowPlan, "lanes">): string {
  const lanes = plan.lanes;
  return /* wgsl */ `var m = -3.4028235e38;
  for (var j = lane; j < units; j += ${lanes}u) { m = max(m, hmax(x[xs + j])); }
  m = rowMax(m, lane, slot);
  var s = 0.0;
  for (var j = lane; j < units; j += ${lanes}u) { s += hsum(exp(x[xs + j] - m)); }
  s = rowSum(s, lane, slot);`;
}

/** What a row reduction combines. */
export type RowReduceOp = "sum" | "max";

/**
 * A WGSL function `name(v: T, lane: u32, slot: u32) -> T` combining `v` over the lanes of a row
 * (every lane gets the result), with its own workgroup array. Call it once per invocation, from
 * uniform control flow. `T` is `f32` or `vec2f` (two sums in one pass).
 *
 * @example
 * ```ts
 * const code = rowReduce(plan, "rowSum", "sum"); // fn rowSum(v: f32, lane: u32, slot: u32) -> f32
 * ```
 */
export function rowReduce(
  plan: Pick<RowPlan, "lanes" | "groupSize">,
  name: string,
  op: RowReduceOp,
  type: "f32" | "vec2f" = "f32",
): string {
  const lanes = plan.lanes;
  const signature = `fn ${name}(v: ${type}, lane: u32, slot: u32) -> ${type}`;
  if (lanes === 1) return `${signature} { return v; }`;
  const combine = (a: string, b: string) => (op === "sum" ? `${a} + ${b}` : `max(${a}, ${b})`);
  const shared = `${name}_partials`;
  const declaration = `var<workgroup> ${shared}: array<${type}, ${plan.groupSize}>;`;
  if (lanes <= FLAT_REDUCE_LANES) {
    return /* wgsl */ `${declaration}
${signature} {
  ${shared}[slot + lane] = v;
  workgroupBarrier();
  var acc = ${shared}[slot];
  for (var i = 1u; i < ${lanes}u; i++) { acc = ${combine("acc", `${shared}[slot + i]`)}; }
  return acc;
}`;
  }
  return /* wgsl */ `${declaration}
${signature} {
  ${shared}[slot + lane] = v;
  workgroupBarrier();
  for (var s = ${lanes / 2}u; s > 0u; s >>= 1u) {
    if (lane < s) {
      ${shared}[slot + lane] = ${combine(`${shared}[slot + lane]`, `${shared}[slot + lane + s]`)};
    }
    workgroupBarrier();
  }
  return ${shared}[slot];
}`;
}
