/**
 * WGSL builders for the matmul kernels: one family per kind of adapter.
 *
 * Both compute `C[z] = sum over r of op(A[z, r]) @ op(B[z, r]) (+ bias)` where z indexes the
 * output's batch dimensions and r indexes batch dimensions that are summed (the gradient of a
 * broadcast operand). Each operand is read in place through its layout: A is `[M, K]` either
 * k-contiguous ("normal") or m-contiguous ("transposed", a `transpose()` view of a dense
 * matrix), B is `[K, N]` either n-contiguous or k-contiguous, each with its own leading
 * dimension, offset and batch strides. So `dC @ B^T` and `A^T @ dC` cost no copies.
 *
 * - **Lanes** (CPU adapters such as lavapipe): no workgroup memory and no barriers. A
 *   workgroup is 8 invocations (one SIMD batch of the CPU); all 8 share `rows` rows of C and
 *   each owns `4 * cols4` columns, so per 4-step of K an invocation issues `rows + 4 * cols4`
 *   vec4 loads for `16 * rows * cols4` multiply-adds. Loads are what costs on lavapipe (each
 *   one is a loop over the SIMD lanes), so large register tiles win; the CPU caches do what
 *   workgroup memory does on a GPU.
 * - **Blocks** (GPUs): a `bm x bn` block of C per workgroup, `tm x tn` per invocation (as
 *   vec4 columns), `bk`-deep K slices staged through double-buffered workgroup memory with
 *   one barrier per slice, vec4 global loads, k-major padded shared rows so the inner loop
 *   reads vec4 fragments without bank conflicts.
 *
 * @module
 */
import type { KernelSource } from "../lib/gpu/runtime.ts";

/** How one operand is read. */
export interface OperandRead {
  /** A: m-contiguous (`transpose` of a dense [K, M]); B: k-contiguous (of a dense [N, K]). */
  trans: boolean;
  /** Offset, leading dimension and batch strides are multiples of 4: vec4 loads. */
  vec4: boolean;
}

/** Everything baked into one matmul kernel besides the tiling. */
export interface GemmVariant {
  a: OperandRead;
  b: OperandRead;
  /** A bias of N values is added in the epilogue. */
  bias: boolean;
  /** N is a multiple of 4: vec4 stores. */
  cVec4: boolean;
}

/** Register tiling for CPU adapters: rows of C per workgroup, vec4 columns per invocation. */
export interface LaneTiling {
  kind: "lanes";
  rows: number;
  cols4: number;
}

/** Workgroup tiling for GPUs: block of C per workgroup, tile per invocation, K slice depth. */
export interface BlockTiling {
  kind: "blocks";
  bm: number;
  bn: number;
  bk: number;
  tm: number;
  tn: number;
}

/** A matmul tiling. */
export type Tiling = LaneTiling | BlockTiling;

/** Invocations per workgroup of the lanes kernel: one 8-wide SIMD batch. */
export const LANES = 8;

/** Bytes of the uniform params (see {@link PARAMS_STRUCT}). */
export const PARAMS_BYTES = 144;

/**
 * Uniform params, in the order `matmul.ts` packs them. Batch shapes are padded with 1 at the
 * front to 4 dimensions; strides are in elements.
 */
export const PARAMS_STRUCT = /* wgsl */ `
struct P {
  m: u32, n: u32, k: u32, r: u32,
  lda: u32, ldb: u32, offA: u32, offB: u32,
  zStart: u32, offBias: u32, pad0: u32, pad1: u32,
  outShape: vec4u, redShape: vec4u,
  aOut: vec4u, bOut: vec4u, aRed: vec4u, bRed: vec4u,
}`;

const BATCH_OFFSET = /* wgsl */ `
fn batchOffset(index: u32, shape: vec4u, strides: vec4u) -> u32 {
  var rest = index;
  var offset = 0u;
  offset += (rest % shape.w) * strides.w; rest /= shape.w;
  offset += (rest % shape.z) * strides.z; rest /= shape.z;
  offset += (rest % shape.y) * strides.y; rest /= shape.y;
  return offset + rest * strides.x;
}`;

/**
 * A short name of a tiling: `lanes 32x16` (the rows x columns of C one invocation computes;
 * a workgroup is 8 of them side by side) or `blocks 128x128x8 / 8x8` (block of C x K slice /
 * per invocation).
 *
 * @example
 * ```ts
 * describeTiling({ kind: "lanes", rows: 32, cols4: 4 }); // "lanes 32x16"
 * ```
 */
export function describeTiling(t: Tiling): string {
  return t.kind === "lanes"
    ? `lanes ${t.rows}x${4 * t.cols4}`
    : `blocks ${t.bm}x${t.bn}x${t.bk} / ${t.tm}x${t.tn}`;
}

/**
 * Columns of C one workgroup covers.
 *
 * @example
 * ```ts
 * tileCols({ kind: "lanes", rows: 32, cols4: 4 }); // 128 (8 invocations x 16)
 * ```
 */
export function tileCols(tiling: Tiling): number {
  return tiling.kind === "lanes" ? LANES * 4 * tiling.cols4 : tiling.bn;
}

/**
 * Rows of C one workgroup covers.
 *
 * @example
 * ```ts
 * tileRows({ kind: "blocks", bm: 128, bn: 128, bk: 8, tm: 8, tn: 8 }); // 128
 * ```
 */
export function tileRows(tiling: Tiling): number {
  return tiling.kind === "lanes" ? tiling.rows : tiling.bm;
}

/**
 * Workgroup counts for an `m x n` output with `batches` output batches (x, y, z).
 *
 * @example
 * ```ts
 * gemmGrid({ kind: "lanes", rows: 32, cols4: 4 }, 1024, 1024, 1); // [32, 8, 1]
 * ```
 */
export function gemmGrid(tiling: Tiling, m: number, n: number, batches: number): number[] {
  const rowBlocks = Math.ceil(m / tileRows(tiling));
  const colBlocks = Math.ceil(n / tileCols(tiling));
  // Lanes: consecutive workgroups share B's columns (kept in the CPU cache) and walk down A.
  return tiling.kind === "lanes"
    ? [rowBlocks, colBlocks, batches]
    : [colBlocks, rowBlocks, batches];
}

/**
 * The kernel source for one variant and tiling.
 *
 * @example
 * ```ts
 * const read = { trans: false, vec4: true };
 * const source = gemmSource({ kind: "lanes", rows: 32, cols4: 4 }, {
 *   a: read, b: read, bias: false, cVec4: true,
 * });
 * ```
 */
export function gemmSource(tiling: Tiling, v: GemmVariant): KernelSource {
  const flags = (o: OperandRead) => `${o.trans ? "t" : "n"}${o.vec4 ? "4" : "1"}`;
  const key = `matmul:${describeTiling(tiling)}:${flags(v.a)}${flags(v.b)}:${
    v.bias ? "bias" : ""
  }:${v.cVec4 ? "c4" : "c1"}`;
  const bindings = v.bias
    ? ["read", "read", "read", "write"] as const
    : ["read", "read", "write"] as const;
  return {
    name: "matmul",
    key,
    bindings,
    uniformBytes: PARAMS_BYTES,
    code: () => tiling.kind === "lanes" ? lanesCode(tiling, v) : blocksCode(tiling, v),
  };
}

function header(v: GemmVariant): string {
  const arr = (vec4: boolean) => vec4 ? "array<vec4f>" : "array<f32>";
  const decls = [
    `@group(0) @binding(0) var<storage, read> A: ${arr(v.a.vec4)};`,
    `@group(0) @binding(1) var<storage, read> B: ${arr(v.b.vec4)};`,
  ];
  if (v.bias) decls.push(`@group(0) @binding(2) var<storage, read> bias: array<f32>;`);
  const c = v.bias ? 3 : 2;
  decls.push(`@group(0) @binding(${c}) var<storage, read_write> C: ${arr(v.cVec4)};`);
  decls.push(`@group(0) @binding(${c + 1}) var<uniform> p: P;`);
  return `${PARAMS_STRUCT}\n${decls.join("\n")}\n${BATCH_OFFSET}`;
}

/** A scalar read of element `index` from an operand bound as f32 or vec4 array. */
function scalar(array: string, vec4: boolean, index: string): string {
  return vec4 ? `${array}[(${index}) >> 2u][(${index}) & 3u]` : `${array}[${index}]`;
}

/** The epilogue: stores (with bias) of a row of vec4 accumulators. */
function storeRow(
  v: GemmVariant,
  rowExpr: string,
  colExprs: string[],
  accExprs: string[],
  biasExprs: string[],
): string {
  const lines: string[] = [];
  lines.push(`if (${rowExpr} < p.m) {`);
  lines.push(`  let cRow = zBase + (${rowExpr}) * p.n;`);
  colExprs.forEach((col, j) => {
    const value = v.bias ? `${accExprs[j]} + ${biasExprs[j]}` : accExprs[j];
    if (v.cVec4) {
      lines.push(`  if (${col} < p.n) { C[(cRow + ${col}) >> 2u] = ${value}; }`);
    } else {
      lines.push(`  { let value = ${value};`);
      for (let e = 0; e < 4; e++) {
        lines.push(`    if (${col} + ${e}u < p.n) { C[cRow + ${col} + ${e}u] = value[${e}]; }`);
      }
      lines.push("  }");
    }
  });
  lines.push("}");
  return lines.join("\n    ");
}

/** Bias values (vec4) for columns `col..col+3`, clamped to the last column. */
function biasRead(col: string): string {
  const parts = [0, 1, 2, 3].map((e) => `bias[p.offBias + min(${col} + ${e}u, p.n - 1u)]`);
  return `vec4f(${parts.join(", ")})`;
}

// ---------------------------------------------------------------------------------------------
// Lanes: register tiles, no workgroup memory (CPU adapters).

function lanesCode(t: LaneTiling, v: GemmVariant): string {
  const R = t.rows, G = t.cols4;
  const acc = (i: number, j: number) => `acc${i}_${j}`;
  const lines: string[] = [];
  const emit = (s: string) => lines.push(s);

  // Column of C where invocation `lid`'s vec4 group j starts.
  const col = (j: number) => `col${j}`;

  /** Statements loading one K step (`kExpr`, single) or one 4-step chunk (`kc`, chunked). */
  const stepBody = (chunk: boolean): string[] => {
    const body: string[] = [];
    const steps = chunk ? 4 : 1;
    const kAt = (kk: number) => chunk ? `(k4 + ${kk}u)` : "k";
    // A values a(i, kk) as WGSL expressions.
    const aVal: string[][] = Array.from({ length: R }, () => new Array<string>(steps));
    if (!v.a.trans) {
      for (let i = 0; i < R; i++) {
        if (chunk && v.a.vec4) {
          body.push(`let a${i} = A[(aRow + ${i}u * p.lda + k4) >> 2u];`);
          for (let kk = 0; kk < 4; kk++) aVal[i][kk] = `a${i}[${kk}]`;
        } else {
          for (let kk = 0; kk < steps; kk++) {
            body.push(
              `let a${i}_${kk} = ${scalar("A", v.a.vec4, `aRow + ${i}u * p.lda + ${kAt(kk)}`)};`,
            );
            aVal[i][kk] = `a${i}_${kk}`;
          }
        }
      }
    } else {
      for (let kk = 0; kk < steps; kk++) {
        if (v.a.vec4) {
          for (let g = 0; g < R / 4; g++) {
            body.push(`let a${g}_${kk} = A[(aRow + ${kAt(kk)} * p.lda + ${4 * g}u) >> 2u];`);
            for (let e = 0; e < 4; e++) aVal[4 * g + e][kk] = `a${g}_${kk}[${e}]`;
          }
        } else {
          for (let i = 0; i < R; i++) {
            body.push(`let a${i}_${kk} = A[aRow + ${kAt(kk)} * p.lda + ${i}u];`);
            aVal[i][kk] = `a${i}_${kk}`;
          }
        }
      }
    }
    // B values b(kk, j) (vec4 over 4 columns), then the multiply-adds of that kk.
    const fmas = (kk: number, bExpr: (j: number) => string) => {
      for (let j = 0; j < G; j++) {
        for (let i = 0; i < R; i++) {
          body.push(`${acc(i, j)} = fma(vec4f(${aVal[i][kk]}), ${bExpr(j)}, ${acc(i, j)});`);
        }
      }
    };
    if (!v.b.trans) {
      for (let kk = 0; kk < steps; kk++) {
        for (let j = 0; j < G; j++) {
          const row = `bRow + ${kAt(kk)} * p.ldb + ${col(j)}`;
          if (v.b.vec4) body.push(`let b${kk}_${j} = B[(${row}) >> 2u];`);
          else {
            const parts = [0, 1, 2, 3].map((e) => `B[${row} + ${e}u]`);
            body.push(`let b${kk}_${j} = vec4f(${parts.join(", ")});`);
          }
        }
        fmas(kk, (j) => `b${kk}_${j}`);
      }
    } else if (chunk && v.b.vec4) {
      for (let j = 0; j < G; j++) {
        for (let e = 0; e < 4; e++) {
          body.push(`let t${j}_${e} = B[(bRow + (${col(j)} + ${e}u) * p.ldb + k4) >> 2u];`);
        }
      }
      for (let kk = 0; kk < 4; kk++) {
        fmas(kk, (j) => `vec4f(t${j}_0[${kk}], t${j}_1[${kk}], t${j}_2[${kk}], t${j}_3[${kk}])`);
      }
    } else {
      for (let kk = 0; kk < steps; kk++) {
        for (let j = 0; j < G; j++) {
          const parts = [0, 1, 2, 3].map((e) =>
            scalar("B", v.b.vec4, `bRow + (${col(j)} + ${e}u) * p.ldb + ${kAt(kk)}`)
          );
          body.push(`let b${kk}_${j} = vec4f(${parts.join(", ")});`);
        }
        fmas(kk, (j) => `b${kk}_${j}`);
      }
    }
    return body;
  };

  emit(header(v));
  emit(`@compute @workgroup_size(${LANES})`);
  emit("fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {");
  emit("  let z = wg.z + p.zStart;");
  emit(`  let row0 = wg.x * ${R}u;`);
  for (let j = 0; j < G; j++) {
    emit(`  let ${col(j)} = (wg.y * ${LANES * G}u + lid + ${LANES * j}u) * 4u;`);
  }
  for (let i = 0; i < R; i++) for (let j = 0; j < G; j++) emit(`  var ${acc(i, j)} = vec4f(0.0);`);
  emit("  let aOut = p.offA + batchOffset(z, p.outShape, p.aOut);");
  emit("  let bOut = p.offB + batchOffset(z, p.outShape, p.bOut);");
  emit("  let chunks = p.k / 4u;");
  emit("  for (var r = 0u; r < p.r; r++) {");
  emit("    let aBase = aOut + batchOffset(r, p.redShape, p.aRed);");
  emit("    let bBase = bOut + batchOffset(r, p.redShape, p.bRed);");
  emit(`    let aRow = aBase + row0${v.a.trans ? "" : " * p.lda"};`);
  emit("    let bRow = bBase;");
  emit("    for (var kc = 0u; kc < chunks; kc++) {");
  emit("      let k4 = kc * 4u;");
  for (const s of stepBody(true)) emit(`      ${s}`);
  emit("    }");
  emit("    for (var k = chunks * 4u; k < p.k; k++) {");
  for (const s of stepBody(false)) emit(`      ${s}`);
  emit("    }");
  emit("  }");
  emit("  let zBase = z * p.m * p.n;");
  const biasExprs: string[] = [];
  if (v.bias) {
    for (let j = 0; j < G; j++) {
      emit(`  let bias${j} = ${biasRead(col(j))};`);
      biasExprs.push(`bias${j}`);
    }
  }
  for (let i = 0; i < R; i++) {
    const cols = Array.from({ length: G }, (_, j) => col(j));
    const accs = Array.from({ length: G }, (_, j) => acc(i, j));
    emit(`  ${storeRow(v, `(row0 + ${i}u)`, cols, accs, biasExprs)}`);
  }
  emit("}");
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Blocks: workgroup tiles through double-buffered workgroup memory (GPUs).

/**
 * Whether a block tiling is well formed: every invocation loads whole vec4s of both tiles.
 *
 * @example
 * ```ts
 * blockTilingValid({ kind: "blocks", bm: 128, bn: 128, bk: 8, tm: 8, tn: 8 }); // true
 * ```
 */
export function blockTilingValid(t: BlockTiling): boolean {
  const threads = (t.bm / t.tm) * (t.bn / t.tn);
  const whole = (x: number) => Number.isInteger(x) && x >= 1;
  return t.tm % 4 === 0 && t.tn % 4 === 0 && t.bk % 4 === 0 &&
    whole(t.bm / t.tm) && whole(t.bn / t.tn) && whole((t.bm * t.bk) / 4 / threads) &&
    whole((t.bn * t.bk) / 4 / threads);
}

/**
 * Bytes of workgroup memory a block tiling uses (two buffers per operand, padded rows).
 *
 * @example
 * ```ts
 * blockSharedBytes({ kind: "blocks", bm: 128, bn: 128, bk: 8, tm: 8, tn: 8 }); // 16896
 * ```
 */
export function blockSharedBytes(t: BlockTiling): number {
  return 2 * t.bk * ((t.bm + 4) + (t.bn + 4)) * 4;
}

function blocksCode(t: BlockTiling, v: GemmVariant): string {
  const threadsX = t.bn / t.tn, threadsY = t.bm / t.tm;
  const threads = threadsX * threadsY;
  const sa4 = (t.bm + 4) / 4, sb4 = (t.bn + 4) / 4; // padded k-rows, in vec4
  const nA = (t.bm * t.bk) / 4 / threads, nB = (t.bn * t.bk) / 4 / threads;
  const gm = t.tm / 4, gn = t.tn / 4;
  const lines: string[] = [];
  const emit = (s: string) => lines.push(s);

  // Global loads of slice `kt` of batch `r` into registers pa{u} / pb{u}.
  const loadA = (u: number): string[] => {
    const s: string[] = [`{ let q = lid + ${threads * u}u;`];
    if (!v.a.trans) {
      s.push(`  let row = q / ${t.bk / 4}u; let kq = (q % ${t.bk / 4}u) * 4u;`);
      s.push(`  let at = aBase + (row0 + row) * p.lda + k0 + kq;`);
      if (v.a.vec4) s.push(`  pa${u} = select(vec4f(0.0), A[at >> 2u], k0 + kq < p.k);`);
      else {
        const parts = [0, 1, 2, 3].map((e) => `select(0.0, A[at + ${e}u], k0 + kq + ${e}u < p.k)`);
        s.push(`  pa${u} = vec4f(${parts.join(", ")});`);
      }
    } else {
      s.push(`  let kr = q / ${t.bm / 4}u; let mq = (q % ${t.bm / 4}u) * 4u;`);
      s.push(`  let at = aBase + (k0 + kr) * p.lda + row0 + mq;`);
      if (v.a.vec4) s.push(`  pa${u} = select(vec4f(0.0), A[at >> 2u], k0 + kr < p.k);`);
      else {
        const parts = [0, 1, 2, 3].map((e) => `A[at + ${e}u]`);
        s.push(`  pa${u} = select(vec4f(0.0), vec4f(${parts.join(", ")}), k0 + kr < p.k);`);
      }
    }
    s.push("}");
    return s;
  };
  const storeA = (u: number): string[] => {
    const s: string[] = [`{ let q = lid + ${threads * u}u;`];
    if (!v.a.trans) {
      s.push(`  let row = q / ${t.bk / 4}u; let kq = (q % ${t.bk / 4}u) * 4u;`);
      for (let e = 0; e < 4; e++) {
        s.push(
          `  As[(buf * ${t.bk}u + kq + ${e}u) * ${sa4}u + row / 4u][row % 4u] = pa${u}[${e}];`,
        );
      }
    } else {
      s.push(`  let kr = q / ${t.bm / 4}u; let mq = q % ${t.bm / 4}u;`);
      s.push(`  As[(buf * ${t.bk}u + kr) * ${sa4}u + mq] = pa${u};`);
    }
    s.push("}");
    return s;
  };
  const loadB = (u: number): string[] => {
    const s: string[] = [`{ let q = lid + ${threads * u}u;`];
    if (!v.b.trans) {
      s.push(`  let kr = q / ${t.bn / 4}u; let nq = (q % ${t.bn / 4}u) * 4u;`);
      s.push(`  let at = bBase + (k0 + kr) * p.ldb + col0 + nq;`);
      if (v.b.vec4) s.push(`  pb${u} = select(vec4f(0.0), B[at >> 2u], k0 + kr < p.k);`);
      else {
        const parts = [0, 1, 2, 3].map((e) => `B[at + ${e}u]`);
        s.push(`  pb${u} = select(vec4f(0.0), vec4f(${parts.join(", ")}), k0 + kr < p.k);`);
      }
    } else {
      s.push(`  let cn = q / ${t.bk / 4}u; let kq = (q % ${t.bk / 4}u) * 4u;`);
      s.push(`  let at = bBase + (col0 + cn) * p.ldb + k0 + kq;`);
      if (v.b.vec4) s.push(`  pb${u} = select(vec4f(0.0), B[at >> 2u], k0 + kq < p.k);`);
      else {
        const parts = [0, 1, 2, 3].map((e) => `select(0.0, B[at + ${e}u], k0 + kq + ${e}u < p.k)`);
        s.push(`  pb${u} = vec4f(${parts.join(", ")});`);
      }
    }
    s.push("}");
    return s;
  };
  const storeB = (u: number): string[] => {
    const s: string[] = [`{ let q = lid + ${threads * u}u;`];
    if (!v.b.trans) {
      s.push(`  let kr = q / ${t.bn / 4}u; let nq = q % ${t.bn / 4}u;`);
      s.push(`  Bs[(buf * ${t.bk}u + kr) * ${sb4}u + nq] = pb${u};`);
    } else {
      s.push(`  let cn = q / ${t.bk / 4}u; let kq = (q % ${t.bk / 4}u) * 4u;`);
      for (let e = 0; e < 4; e++) {
        s.push(`  Bs[(buf * ${t.bk}u + kq + ${e}u) * ${sb4}u + cn / 4u][cn % 4u] = pb${u}[${e}];`);
      }
    }
    s.push("}");
    return s;
  };
  // Loads the slice at (loadR, loadK) into registers, then steps to the next slice (no
  // division per slice: K slices advance, and the batch bases move only when K wraps).
  const loadSlice = (): string[] => [
    "{ let k0 = loadK;",
    ...Array.from({ length: nA }, (_, u) => loadA(u)).flat().map((l) => `  ${l}`),
    ...Array.from({ length: nB }, (_, u) => loadB(u)).flat().map((l) => `  ${l}`),
    "}",
    `loadK += ${t.bk}u;`,
    "if (loadK >= p.k) {",
    "  loadK = 0u;",
    "  loadR += 1u;",
    "  aBase = aOut + batchOffset(loadR, p.redShape, p.aRed);",
    "  bBase = bOut + batchOffset(loadR, p.redShape, p.bRed);",
    "}",
  ];
  const storeSlice = (): string[] => [
    ...Array.from({ length: nA }, (_, u) => storeA(u)).flat(),
    ...Array.from({ length: nB }, (_, u) => storeB(u)).flat(),
  ];
  const acc = (i: number, h: number) => `acc${i}_${h}`;

  emit(header(v));
  emit(`var<workgroup> As: array<vec4f, ${2 * t.bk * sa4}>;`);
  emit(`var<workgroup> Bs: array<vec4f, ${2 * t.bk * sb4}>;`);
  emit(`@compute @workgroup_size(${threadsX}, ${threadsY})`);
  emit("fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) li: vec3u,");
  emit("        @builtin(local_invocation_index) lid: u32) {");
  emit("  let z = wg.z + p.zStart;");
  emit(`  let col0 = wg.x * ${t.bn}u;`);
  emit(`  let row0 = wg.y * ${t.bm}u;`);
  emit("  let aOut = p.offA + batchOffset(z, p.outShape, p.aOut);");
  emit("  let bOut = p.offB + batchOffset(z, p.outShape, p.bOut);");
  emit(`  let tiles = ((p.k + ${t.bk - 1}u) / ${t.bk}u) * p.r;`);
  emit("  var loadK = 0u;");
  emit("  var loadR = 0u;");
  emit("  var aBase = aOut + batchOffset(0u, p.redShape, p.aRed);");
  emit("  var bBase = bOut + batchOffset(0u, p.redShape, p.bRed);");
  for (let u = 0; u < nA; u++) emit(`  var pa${u} = vec4f(0.0);`);
  for (let u = 0; u < nB; u++) emit(`  var pb${u} = vec4f(0.0);`);
  for (let i = 0; i < t.tm; i++) {
    for (let h = 0; h < gn; h++) emit(`  var ${acc(i, h)} = vec4f(0.0);`);
  }
  emit("  if (tiles > 0u) {");
  emit("    let buf = 0u;");
  for (const s of loadSlice()) emit(`    ${s}`);
  for (const s of storeSlice()) emit(`    ${s}`);
  emit("  }");
  emit("  workgroupBarrier();");
  emit("  for (var tile = 0u; tile < tiles; tile++) {");
  emit("    let cur = tile & 1u;");
  emit("    if (tile + 1u < tiles) {");
  for (const s of loadSlice()) emit(`      ${s}`);
  emit("    }");
  emit(`    let aCur = cur * ${t.bk * sa4}u + li.y;`);
  emit(`    let bCur = cur * ${t.bk * sb4}u + li.x;`);
  for (let kk = 0; kk < t.bk; kk++) {
    // Fully unrolled over the slice: constant shared-memory offsets, fragments in registers.
    emit("    {");
    for (let g = 0; g < gm; g++) emit(`      let a${g} = As[aCur + ${kk * sa4 + g * threadsY}u];`);
    for (let h = 0; h < gn; h++) emit(`      let b${h} = Bs[bCur + ${kk * sb4 + h * threadsX}u];`);
    for (let g = 0; g < gm; g++) {
      for (let e = 0; e < 4; e++) {
        for (let h = 0; h < gn; h++) {
          const a = acc(4 * g + e, h);
          emit(`      ${a} = fma(vec4f(a${g}[${e}]), b${h}, ${a});`);
        }
      }
    }
    emit("    }");
  }
  emit("    if (tile + 1u < tiles) {");
  emit("      let buf = 1u - cur;");
  for (const s of storeSlice()) emit(`      ${s}`);
  emit("    }");
  emit("    workgroupBarrier();");
  emit("  }");
  emit("  let zBase = z * p.m * p.n;");
  const cols = Array.from({ length: gn }, (_, h) => `(col0 + (${h * threadsX}u + li.x) * 4u)`);
  const biasExprs: string[] = [];
  if (v.bias) {
    cols.forEach((c, h) => {
      emit(`  let bias${h} = ${biasRead(c)};`);
      biasExprs.push(`bias${h}`);
    });
  }
  for (let g = 0; g < gm; g++) {
    for (let e = 0; e < 4; e++) {
      const row = `(row0 + (${g * threadsY}u + li.y) * 4u + ${e}u)`;
      const accs = Array.from({ length: gn }, (_, h) => acc(4 * g + e, h));
      emit(`  ${storeRow(v, row, cols, accs, biasExprs)}`);
    }
  }
  emit("}");
  return lines.join("\n");
}
