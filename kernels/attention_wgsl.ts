/**
 * WGSL builders for fused causal attention (see `attention.ts`): forward, query-gradient and
 * key/value-gradient kernels, in two families chosen by the kind of adapter.
 *
 * - **Lanes** (CPU adapters such as lavapipe): no workgroup memory and no barriers. A
 *   workgroup is 8 invocations (one SIMD batch of the CPU); each invocation owns `rows` query
 *   rows (or key rows), interleaved with its neighbours' so all 8 need the same causal range,
 *   held in vec4 registers. Keys and values (or queries and output gradients) are read straight
 *   from storage, one vec4 load reused by all of the invocation's rows: on lavapipe every load
 *   is a loop over the SIMD lanes, so multiply-adds per load is what sets the speed, and the
 *   CPU caches do what workgroup memory does on a GPU.
 * - **Blocks** (GPUs): one invocation per row, 64 rows per workgroup; key/value (or query)
 *   tiles staged through workgroup memory that every invocation reads at the same address (a
 *   broadcast), two barriers per tile.
 *
 * Every loop over the head dimension D is unrolled over vec4 registers named `<prefix><c>`
 * (c < D4 = ceil(D / 4); components past D are zero), so each kernel is specialized per D.
 * Scores are kept in base 2: q (or k) is pre-multiplied by `scale · log2(e)`.
 *
 * @module
 */
import { FLAT_GROUP } from "../lib/gpu/grid.ts";
import { declareKernel, type StorageDecl } from "../lib/gpu/program.ts";

/** Which kernel family: register tiles for CPUs, workgroup-memory tiles for GPUs. */
export type AttentionFamily = "lanes" | "blocks";

/** Invocations per workgroup of the lanes kernels: one 8-wide SIMD batch. */
const LANES = 8;
/** Rows (or keys) per workgroup of the blocks kernels: one invocation each. */
const BLOCK_ROWS = 64;
/** Keys (or queries) one unrolled step of a blocks kernel's inner loop handles. */
export const BLOCK_CHUNK = 8;

/** Stand-in for −∞ in masked scores (WGSL has no infinity literal). */
const NEG = "-3.0e38";
const LN2 = "0.69314718055994531";
const LOG2E = "1.4426950408889634";

/** What one kernel is specialized on. */
export interface AttentionVariant {
  family: AttentionFamily;
  /** Head dimension. */
  d: number;
  /** Lanes: rows per invocation. Blocks: keys (or queries) per workgroup-memory tile. */
  tile: number;
  /** Lanes: q, k, v, output (and its gradient) are read and written as vec4. */
  vec4: boolean;
}

/**
 * The uniforms shared by all kernels: sizes, the score factor `c = scale · log2(e)`, the
 * number of workgroups, the offsets of q, k, v, the output o and the output gradient g, their
 * [B, H, T, D] strides, and the offsets of dq, dk, dv with their common strides `sd`.
 */
const ATTENTION_UNIFORMS = {
  bh: "u32",
  heads: "u32",
  t: "u32",
  tiles: "u32",
  c: "f32",
  scale: "f32",
  groups: "u32",
  offQkvo: "vec4u",
  offG: "vec4u",
  sq: "vec4u",
  sk: "vec4u",
  sv: "vec4u",
  so: "vec4u",
  sg: "vec4u",
  offD: "vec4u",
  sd: "vec4u",
} as const;

const range = (n: number) => [...Array(n).keys()];

/**
 * Rows (or keys) one workgroup covers.
 *
 * @example
 * ```ts
 * groupRows({ family: "lanes", d: 64, tile: 4, vec4: true }); // 32
 * ```
 */
export function groupRows(v: AttentionVariant): number {
  return v.family === "lanes" ? LANES * v.tile : BLOCK_ROWS;
}

/** Workgroup size and WGSL array element type of the strided operands. */
function shapeOf(v: AttentionVariant) {
  return { d4: Math.ceil(v.d / 4), elem: v.vec4 ? "vec4f" : "f32" };
}

/**
 * A vec4 of row elements 4c..4c+3 of `buf` whose row starts at element `row` (stride `sw`
 * between elements): one vec4 load when the operand is read as vec4, else four scalar loads
 * (zero past D).
 */
function rowVec(v: AttentionVariant, buf: string, row: string, sw: string, c: number): string {
  if (v.vec4) return `${buf}[(${row} >> 2u) + ${c}u]`;
  const parts = range(4).map((x) => {
    const d = 4 * c + x;
    return d < v.d ? `${buf}[${row} + ${d}u * ${sw}]` : "0.0";
  });
  return `vec4f(${parts.join(", ")})`;
}

/** Writes registers `<prefix>0..` times `factor` to the row of `buf` at `row` (stride `sw`). */
function storeRow(
  v: AttentionVariant,
  prefix: string,
  buf: string,
  row: string,
  sw: string,
  factor: string,
): string {
  const d4 = Math.ceil(v.d / 4);
  if (v.vec4) {
    return range(d4).map((c) => `${buf}[(${row} >> 2u) + ${c}u] = ${prefix}${c} * ${factor};`)
      .join("\n    ");
  }
  const lines: string[] = [];
  for (let d = 0; d < v.d; d++) {
    lines.push(`${buf}[${row} + ${d}u * ${sw}] = ${prefix}${d >> 2}[${d & 3}] * ${factor};`);
  }
  return lines.join("\n    ");
}

/** Horizontal sum of a vec4. */
const hsum = (x: string) => `((${x}.x + ${x}.y) + (${x}.z + ${x}.w))`;

/** `max(...)` of the named values as a balanced tree. */
function maxTree(names: string[]): string {
  if (names.length === 1) return names[0];
  const half = names.length >> 1;
  return `max(${maxTree(names.slice(0, half))}, ${maxTree(names.slice(half))})`;
}

/** Workgroup → (batch·head, row tile) with the heaviest tiles first, and operand bases. */
function preamble(heavyLast: boolean, rows: number): string {
  return /* wgsl */ `let flat = ${FLAT_GROUP};
  if (flat >= p.groups) { return; }
  let bh = flat / p.tiles;
  let tile = ${heavyLast ? "p.tiles - 1u - flat % p.tiles" : "flat % p.tiles"};
  let b = bh / p.heads;
  let h = bh % p.heads;
  let qb = p.offQkvo.x + b * p.sq.x + h * p.sq.y;
  let kb = p.offQkvo.y + b * p.sk.x + h * p.sk.y;
  let vb = p.offQkvo.z + b * p.sv.x + h * p.sv.y;
  let ob = p.offQkvo.w + b * p.so.x + h * p.so.y;
  let gb = p.offG.x + b * p.sg.x + h * p.sg.y;
  let dqb = p.offD.x + b * p.sd.x + h * p.sd.y;
  let dkb = p.offD.y + b * p.sd.x + h * p.sd.y;
  let dvb = p.offD.z + b * p.sd.x + h * p.sd.y;
  let first = tile * ${rows}u;`;
}

/** The specialization constants of an attention kernel (an {@link AttentionVariant}). */
type VariantConstants = AttentionVariant & { readonly [key: string]: string | number | boolean };

/**
 * Declares one attention pass: its buffers in binding order (`[name, access]` for operands read
 * or written as rows of `elem` — vec4f or f32 — or `[name, access, type]`), the shared uniforms,
 * and the body of each family.
 */
function attentionKernel(
  name: string,
  buffers: readonly (readonly [string, "read" | "read_write", string?])[],
  lanes: (v: AttentionVariant) => string,
  blocks: (v: AttentionVariant) => string,
) {
  return declareKernel(name, (v: VariantConstants) => {
    const { elem } = shapeOf(v);
    const storage: StorageDecl[] = buffers.map(([name, access, type]) => ({
      name,
      access,
      type: type ?? elem,
    }));
    return {
      storage,
      uniforms: ATTENTION_UNIFORMS,
      body: v.family === "lanes" ? lanes(v) : blocks(v),
    };
  });
}

/**
 * Forward: output rows (through the output's strides) and per-row logsumexp.
 *
 * @example
 * ```ts
 * gpu.kernel(attentionForwardKernel, { family: "lanes", d: 64, tile: 2, vec4: true });
 * ```
 */
export const attentionForwardKernel = attentionKernel(
  "attention_forward",
  [["q", "read"], ["k", "read"], ["v", "read"], ["o", "read_write"], ["lse", "read_write", "f32"]],
  lanesForward,
  blocksForward,
);

/**
 * Query pass of backward: dq (through the gradient strides) and per-row stats
 * `(lse · log2 e, Σ dO∘O)`.
 *
 * @example
 * ```ts
 * gpu.kernel(attentionQueryGradKernel, { family: "blocks", d: 64, tile: 64, vec4: false });
 * ```
 */
export const attentionQueryGradKernel = attentionKernel(
  "attention_backward_query",
  [
    ["q", "read"],
    ["k", "read"],
    ["v", "read"],
    ["o", "read"],
    ["g", "read"],
    ["lse", "read", "f32"],
    ["dq", "read_write"],
    ["stats", "read_write", "vec2f"],
  ],
  lanesGradQuery,
  blocksGradQuery,
);

/**
 * Key pass of backward: dk and dv (through the gradient strides; they may share one buffer),
 * reading the stats of the query pass.
 *
 * @example
 * ```ts
 * gpu.kernel(attentionKeyValueGradKernel, { family: "lanes", d: 32, tile: 2, vec4: true });
 * ```
 */
export const attentionKeyValueGradKernel = attentionKernel(
  "attention_backward_key_value",
  [
    ["q", "read"],
    ["k", "read"],
    ["v", "read"],
    ["g", "read"],
    ["stats", "read", "vec2f"],
    ["dk", "read_write"],
    ["dv", "read_write"],
  ],
  lanesGradKeyValue,
  blocksGradKeyValue,
);

// ---------------------------------------------------------------------------------------------
// Lanes: register tiles, no workgroup memory (CPU adapters). Invocation `lid` owns rows
// `first + 8·r + lid` for r < tile.

/** Per-row declarations: index `me<r>`, clamped index `mine<r>`, and whether it is in range. */
function laneRows(v: AttentionVariant): string {
  return range(v.tile).map((r) =>
    `let me${r} = first + ${LANES * r}u + lid; let mine${r} = min(me${r}, p.t - 1u);`
  ).join("\n  ");
}

/** Loads row registers `<prefix><r>_<c>` of operand `buf` (base `base`, strides `s`). */
function laneLoad(
  v: AttentionVariant,
  prefix: string,
  buf: string,
  base: string,
  s: string,
  factor = "",
): string {
  const { d4 } = shapeOf(v);
  const lines: string[] = [];
  for (let r = 0; r < v.tile; r++) {
    lines.push(`let ${prefix}row${r} = ${base} + mine${r} * ${s}.z;`);
    for (let c = 0; c < d4; c++) {
      lines.push(
        `let ${prefix}${r}_${c} = ${rowVec(v, buf, `${prefix}row${r}`, `${s}.w`, c)}${factor};`,
      );
    }
  }
  return lines.join("\n  ");
}

function laneZeros(v: AttentionVariant, prefix: string): string {
  const { d4 } = shapeOf(v);
  return range(v.tile).flatMap((r) => range(d4).map((c) => `var ${prefix}${r}_${c} = vec4f(0.0);`))
    .join("\n  ");
}

/** Loads one streamed row (registers `<prefix><c>`) at element index `row`. */
function streamLoad(v: AttentionVariant, prefix: string, buf: string, row: string, sw: string) {
  const { d4 } = shapeOf(v);
  return range(d4).map((c) => `let ${prefix}${c} = ${rowVec(v, buf, row, sw, c)};`).join(
    "\n      ",
  );
}

/** `let <out><r> = dot(<reg><r>_*, <x>*)` for every owned row r. */
function laneDots(v: AttentionVariant, out: string, reg: string, x: string): string {
  const { d4 } = shapeOf(v);
  const lines: string[] = [];
  for (let r = 0; r < v.tile; r++) lines.push(`var ${out}a${r} = ${reg}${r}_0 * ${x}0;`);
  for (let c = 1; c < d4; c++) {
    for (let r = 0; r < v.tile; r++) {
      lines.push(`${out}a${r} = fma(${reg}${r}_${c}, ${x}${c}, ${out}a${r});`);
    }
  }
  for (let r = 0; r < v.tile; r++) lines.push(`let ${out}${r} = ${hsum(`${out}a${r}`)};`);
  return lines.join("\n      ");
}

/** `<acc><r>_c += <w><r> · <x>c` for every owned row r. */
function laneAccumulate(v: AttentionVariant, acc: string, w: string, x: string): string {
  const { d4 } = shapeOf(v);
  const lines: string[] = [];
  for (let c = 0; c < d4; c++) {
    for (let r = 0; r < v.tile; r++) {
      lines.push(`${acc}${r}_${c} = fma(vec4f(${w}${r}), ${x}${c}, ${acc}${r}_${c});`);
    }
  }
  return lines.join("\n      ");
}

function lanesForward(v: AttentionVariant): string {
  const { d4 } = shapeOf(v);
  const rows = range(v.tile);
  // One key per step, the output rescaled at every key: loads dominate on CPUs, so the extra
  // multiplies cost little, and the small loop body keeps LLVM's compile time short.
  return /* wgsl */ `
@compute @workgroup_size(${LANES})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${preamble(true, groupRows(v))}
  ${laneRows(v)}
  ${laneLoad(v, "q", "q", "qb", "p.sq", " * p.c")}
  ${laneZeros(v, "o")}
  ${rows.map((r) => `var m${r} = ${NEG}; var l${r} = 0.0;`).join("\n  ")}
  let keys = min(first + ${groupRows(v)}u, p.t);
  for (var j = 0u; j < keys; j++) {
      let kr = kb + j * p.sk.z;
      let vr = vb + j * p.sv.z;
      ${streamLoad(v, "k", "k", "kr", "p.sk.w")}
      ${laneDots(v, "s", "q", "k")}
      ${
    rows.map((r) =>
      `let z${r} = select(${NEG}, s${r}, j <= me${r}); let mn${r} = max(m${r}, z${r}); ` +
      `let alpha${r} = exp2(m${r} - mn${r}); let w${r} = exp2(z${r} - mn${r}); ` +
      `l${r} = l${r} * alpha${r} + w${r}; m${r} = mn${r};`
    ).join("\n      ")
  }
      ${rows.flatMap((r) => range(d4).map((c) => `o${r}_${c} = o${r}_${c} * alpha${r};`)).join(" ")}
      ${streamLoad(v, "x", "v", "vr", "p.sv.w")}
      ${laneAccumulate(v, "o", "w", "x")}
  }
  ${
    rows.map((r) =>
      `if (me${r} < p.t) {
    let inv = 1.0 / l${r};
    let orow = ob + me${r} * p.so.z;
    ${storeRow(v, `o${r}_`, "o", "orow", "p.so.w", "inv")}
    lse[bh * p.t + me${r}] = (m${r} + log2(l${r})) * ${LN2};
  }`
    ).join("\n  ")
  }
}`;
}

function lanesGradQuery(v: AttentionVariant): string {
  const { d4 } = shapeOf(v);
  const rows = range(v.tile);
  return /* wgsl */ `
@compute @workgroup_size(${LANES})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${preamble(true, groupRows(v))}
  ${laneRows(v)}
  ${laneLoad(v, "q", "q", "qb", "p.sq", " * p.c")}
  ${laneLoad(v, "g", "g", "gb", "p.sg")}
  ${laneLoad(v, "o", "o", "ob", "p.so")}
  ${
    rows.map((r) => {
      const terms = range(d4).map((c) => `g${r}_${c} * o${r}_${c}`);
      return `var da${r} = ${terms[0]};\n  ` +
        range(d4).slice(1).map((c) => `da${r} = fma(g${r}_${c}, o${r}_${c}, da${r});`).join(" ") +
        `\n  let delta${r} = ${hsum(`da${r}`)};\n  ` +
        `let lse${r} = lse[bh * p.t + mine${r}] * ${LOG2E};`;
    }).join("\n  ")
  }
  ${laneZeros(v, "a")}
  let keys = min(first + ${groupRows(v)}u, p.t);
  for (var j = 0u; j < keys; j++) {
      let kr = kb + j * p.sk.z;
      let vr = vb + j * p.sv.z;
      ${streamLoad(v, "k", "k", "kr", "p.sk.w")}
      ${streamLoad(v, "x", "v", "vr", "p.sv.w")}
      ${laneDots(v, "s", "q", "k")}
      ${laneDots(v, "t", "g", "x")}
      ${
    rows.map((r) =>
      `let w${r} = select(0.0, exp2(s${r} - lse${r}), j <= me${r}) * (t${r} - delta${r});`
    ).join("\n      ")
  }
      ${laneAccumulate(v, "a", "w", "k")}
  }
  ${
    rows.map((r) =>
      `if (me${r} < p.t) {
    let row = dqb + me${r} * p.sd.z;
    ${storeRow(v, `a${r}_`, "dq", "row", "p.sd.w", "p.scale")}
    stats[bh * p.t + me${r}] = vec2f(lse${r}, delta${r});
  }`
    ).join("\n  ")
  }
}`;
}

function lanesGradKeyValue(v: AttentionVariant): string {
  const rows = range(v.tile);
  return /* wgsl */ `
@compute @workgroup_size(${LANES})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${preamble(false, groupRows(v))}
  ${laneRows(v)}
  ${laneLoad(v, "k", "k", "kb", "p.sk", " * p.c")}
  ${laneLoad(v, "v", "v", "vb", "p.sv")}
  ${laneZeros(v, "dk")}
  ${laneZeros(v, "dv")}
  for (var i = first; i < p.t; i++) {
      let qr = qb + i * p.sq.z;
      let gr = gb + i * p.sg.z;
      ${streamLoad(v, "x", "q", "qr", "p.sq.w")}
      ${streamLoad(v, "y", "g", "gr", "p.sg.w")}
      let st = stats[bh * p.t + i];
      ${laneDots(v, "s", "k", "x")}
      ${laneDots(v, "t", "v", "y")}
      ${
    rows.map((r) =>
      `let p${r} = select(0.0, exp2(s${r} - st.x), i >= me${r}); ` +
      `let w${r} = p${r} * (t${r} - st.y);`
    ).join("\n      ")
  }
      ${laneAccumulate(v, "dv", "p", "y")}
      ${laneAccumulate(v, "dk", "w", "x")}
  }
  ${
    rows.map((r) =>
      `if (me${r} < p.t) {
    let dkr = dkb + me${r} * p.sd.z;
    let dvr = dvb + me${r} * p.sd.z;
    ${storeRow(v, `dk${r}_`, "dk", "dkr", "p.sd.w", "p.scale")}
    ${storeRow(v, `dv${r}_`, "dv", "dvr", "p.sd.w", "1.0")}
  }`
    ).join("\n  ")
  }
}`;
}

// ---------------------------------------------------------------------------------------------
// Blocks: one invocation per row, tiles in workgroup memory (GPUs). Operands are always read
// as scalars here (variant.vec4 is false): tiles are loaded component by component.

/** Row registers `<prefix>0..` of one strided operand row at `row`, times `factor`. */
function blockLoad(
  v: AttentionVariant,
  prefix: string,
  buf: string,
  row: string,
  sw: string,
  factor = "",
): string {
  const { d4 } = shapeOf(v);
  return range(d4).map((c) => `let ${prefix}${c} = ${rowVec(v, buf, row, sw, c)}${factor};`)
    .join("\n  ");
}

function blockZeros(v: AttentionVariant, prefix: string): string {
  const { d4 } = shapeOf(v);
  return range(d4).map((c) => `var ${prefix}${c} = vec4f(0.0);`).join("\n  ");
}

/**
 * Dot products of register row `<reg>` with BLOCK_CHUNK rows of the shared tile `tile`
 * starting at tile row `first`, into `let <out><u>`; the chunk's rows interleave so the vec4
 * accumulators form independent chains.
 */
function chunkDots(
  v: AttentionVariant,
  out: string,
  reg: string,
  tile: string,
  first: string,
): string {
  const { d4 } = shapeOf(v);
  const lines: string[] = [];
  const at = (u: number, c: number) => `${tile}[(${first} + ${u}u) * ${d4}u + ${c}u]`;
  for (let u = 0; u < BLOCK_CHUNK; u++) lines.push(`var ${out}a${u} = ${reg}0 * ${at(u, 0)};`);
  for (let c = 1; c < d4; c++) {
    for (let u = 0; u < BLOCK_CHUNK; u++) {
      lines.push(`${out}a${u} = fma(${reg}${c}, ${at(u, c)}, ${out}a${u});`);
    }
  }
  for (let u = 0; u < BLOCK_CHUNK; u++) lines.push(`let ${out}${u} = ${hsum(`${out}a${u}`)};`);
  return lines.join("\n      ");
}

/** `<acc><c> += <weight><u> · tile[first + u][c]` over the chunk. */
function chunkAccumulate(
  v: AttentionVariant,
  acc: string,
  weight: string,
  tile: string,
  first: string,
): string {
  const { d4 } = shapeOf(v);
  const lines: string[] = [];
  for (let u = 0; u < BLOCK_CHUNK; u++) {
    for (let c = 0; c < d4; c++) {
      const x = `${tile}[(${first} + ${u}u) * ${d4}u + ${c}u]`;
      lines.push(`${acc}${c} = fma(vec4f(${weight}${u}), ${x}, ${acc}${c});`);
    }
  }
  return lines.join("\n      ");
}

/**
 * Cooperative load of `count` rows of a strided operand from row `first` into the shared tile
 * `tile` (zeros past T and past D).
 */
function loadTile(
  v: AttentionVariant,
  tile: string,
  buf: string,
  base: string,
  stride: string,
  first: string,
  count: number,
): string {
  const { d4 } = shapeOf(v);
  const comps = range(4).map((x) => {
    const d = `c4 + ${x}u`;
    if (v.d % 4 === 0) return `${buf}[r + (${d}) * ${stride}.w]`;
    return `select(0.0, ${buf}[r + min(${d}, ${v.d - 1}u) * ${stride}.w], ${d} < ${v.d}u)`;
  });
  return /* wgsl */ `for (var e = lid; e < ${count * d4}u; e += ${BLOCK_ROWS}u) {
      let row = ${first} + e / ${d4}u;
      let c4 = (e % ${d4}u) * 4u;
      var value = vec4f(0.0);
      if (row < p.t) {
        let r = ${base} + row * ${stride}.z;
        value = vec4f(${comps.join(", ")});
      }
      ${tile}[e] = value;
    }`;
}

function blockShared(v: AttentionVariant, a: string, b: string): string {
  const { d4 } = shapeOf(v);
  return `var<workgroup> ${a}: array<vec4f, ${v.tile * d4}>;
var<workgroup> ${b}: array<vec4f, ${v.tile * d4}>;`;
}

function blocksForward(v: AttentionVariant): string {
  const { d4 } = shapeOf(v);
  const us = range(BLOCK_CHUNK);
  return /* wgsl */ `${blockShared(v, "ks", "vs")}
@compute @workgroup_size(${BLOCK_ROWS})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${preamble(true, BLOCK_ROWS)}
  let me = first + lid;
  let mine = min(me, p.t - 1u);
  let qr = qb + mine * p.sq.z;
  ${blockLoad(v, "q", "q", "qr", "p.sq.w", " * p.c")}
  ${blockZeros(v, "o")}
  var m = ${NEG};
  var l = 0.0;
  let keys = min(first + ${BLOCK_ROWS}u, p.t);
  for (var k0 = 0u; k0 < keys; k0 += ${v.tile}u) {
    workgroupBarrier();
    ${loadTile(v, "ks", "k", "kb", "p.sk", "k0", v.tile)}
    ${loadTile(v, "vs", "v", "vb", "p.sv", "k0", v.tile)}
    workgroupBarrier();
    let n = min(${v.tile}u, keys - k0);
    for (var j = 0u; j < n; j += ${BLOCK_CHUNK}u) {
      ${chunkDots(v, "s", "q", "ks", "j")}
      ${us.map((u) => `let x${u} = select(${NEG}, s${u}, k0 + j + ${u}u <= me);`).join(" ")}
      let mNew = max(m, ${maxTree(us.map((u) => `x${u}`))});
      let alpha = exp2(m - mNew);
      ${us.map((u) => `let p${u} = exp2(x${u} - mNew);`).join(" ")}
      l = l * alpha + ${us.map((u) => `p${u}`).join(" + ")};
      ${range(d4).map((c) => `o${c} = o${c} * alpha;`).join(" ")}
      ${chunkAccumulate(v, "o", "p", "vs", "j")}
      m = mNew;
    }
  }
  if (me < p.t) {
    let inv = 1.0 / l;
    let orow = ob + me * p.so.z;
    ${storeRow(v, "o", "o", "orow", "p.so.w", "inv")}
    lse[bh * p.t + me] = (m + log2(l)) * ${LN2};
  }
}`;
}

function blocksGradQuery(v: AttentionVariant): string {
  const { d4 } = shapeOf(v);
  return /* wgsl */ `${blockShared(v, "ks", "vs")}
@compute @workgroup_size(${BLOCK_ROWS})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${preamble(true, BLOCK_ROWS)}
  let me = first + lid;
  let mine = min(me, p.t - 1u);
  let qr = qb + mine * p.sq.z;
  let gr = gb + mine * p.sg.z;
  let orow = ob + mine * p.so.z;
  ${blockLoad(v, "q", "q", "qr", "p.sq.w", " * p.c")}
  ${blockLoad(v, "g", "g", "gr", "p.sg.w")}
  var dot4 = vec4f(0.0);
  ${
    range(d4).map((c) => `dot4 = fma(g${c}, ${rowVec(v, "o", "orow", "p.so.w", c)}, dot4);`)
      .join("\n  ")
  }
  let delta = ${hsum("dot4")};
  let lse2 = lse[bh * p.t + mine] * ${LOG2E};
  ${blockZeros(v, "a")}
  let keys = min(first + ${BLOCK_ROWS}u, p.t);
  for (var k0 = 0u; k0 < keys; k0 += ${v.tile}u) {
    workgroupBarrier();
    ${loadTile(v, "ks", "k", "kb", "p.sk", "k0", v.tile)}
    ${loadTile(v, "vs", "v", "vb", "p.sv", "k0", v.tile)}
    workgroupBarrier();
    let n = min(${v.tile}u, keys - k0);
    for (var j = 0u; j < n; j += ${BLOCK_CHUNK}u) {
      ${chunkDots(v, "s", "q", "ks", "j")}
      ${chunkDots(v, "t", "g", "vs", "j")}
      ${
    range(BLOCK_CHUNK).map((u) =>
      `let w${u} = select(0.0, exp2(s${u} - lse2), k0 + j + ${u}u <= me) * (t${u} - delta);`
    ).join("\n      ")
  }
      ${chunkAccumulate(v, "a", "w", "ks", "j")}
    }
  }
  if (me < p.t) {
    let row = dqb + me * p.sd.z;
    ${storeRow(v, "a", "dq", "row", "p.sd.w", "p.scale")}
    stats[bh * p.t + me] = vec2f(lse2, delta);
  }
}`;
}

function blocksGradKeyValue(v: AttentionVariant): string {
  return /* wgsl */ `${blockShared(v, "qs", "gs")}
var<workgroup> st: array<vec2f, ${v.tile}>;
@compute @workgroup_size(${BLOCK_ROWS})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${preamble(false, BLOCK_ROWS)}
  let me = first + lid;
  let mine = min(me, p.t - 1u);
  let kr = kb + mine * p.sk.z;
  let vr = vb + mine * p.sv.z;
  ${blockLoad(v, "k", "k", "kr", "p.sk.w", " * p.c")}
  ${blockLoad(v, "v", "v", "vr", "p.sv.w")}
  ${blockZeros(v, "dk")}
  ${blockZeros(v, "dv")}
  for (var i0 = first; i0 < p.t; i0 += ${v.tile}u) {
    workgroupBarrier();
    ${loadTile(v, "qs", "q", "qb", "p.sq", "i0", v.tile)}
    ${loadTile(v, "gs", "g", "gb", "p.sg", "i0", v.tile)}
    for (var e = lid; e < ${v.tile}u; e += ${BLOCK_ROWS}u) {
      st[e] = stats[bh * p.t + min(i0 + e, p.t - 1u)];
    }
    workgroupBarrier();
    let n = min(${v.tile}u, p.t - i0);
    for (var i = 0u; i < n; i += ${BLOCK_CHUNK}u) {
      ${chunkDots(v, "s", "k", "qs", "i")}
      ${chunkDots(v, "t", "v", "gs", "i")}
      ${
    range(BLOCK_CHUNK).map((u) =>
      `let r${u} = i0 + i + ${u}u; let x${u} = st[i + ${u}u]; ` +
      `let p${u} = select(0.0, exp2(s${u} - x${u}.x), r${u} >= me && r${u} < p.t); ` +
      `let w${u} = p${u} * (t${u} - x${u}.y);`
    ).join("\n      ")
  }
      ${chunkAccumulate(v, "dv", "p", "gs", "i")}
      ${chunkAccumulate(v, "dk", "w", "qs", "i")}
    }
  }
  if (me < p.t) {
    let dkr = dkb + me * p.sd.z;
    let dvr = dvb + me * p.sd.z;
    ${storeRow(v, "dk", "dk", "dkr", "p.sd.w", "p.scale")}
    ${storeRow(v, "dv", "dv", "dvr", "p.sd.w", "1.0")}
  }
}`;
}
