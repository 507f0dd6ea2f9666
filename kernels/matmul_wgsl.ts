/**
 * WGSL for the matmul kernel: one declaration, one tiled loop, two tiling families (one per
 * kind of adapter) that instantiate it.
 *
 * Every kernel computes `C[z] = sum over r of op(A[z, r]) @ op(B[z, r]) (+ bias)` where z indexes the
 * output's batch dimensions and r indexes batch dimensions that are summed (the gradient of a
 * broadcast operand). Each operand is read in place through its layout: A is `[M, K]` either
 * k-contiguous ("normal") or m-contiguous ("transposed", a `transpose()` view of a dense
 * matrix), B is `[K, N]` either n-contiguous or k-contiguous, each with its own leading
 * dimension, offset and batch strides. So `dC @ B^T` and `A^T @ dC` cost no copies.
 *
 * The loop is written once (`tiledLoopCode`): each invocation owns a register tile of C, walks
 * K multiplying the tile's A fragment by its B fragment into the accumulators, and stores
 * through C's layout with the bias. Storage is read through one operand reader (`Operand`:
 * element indices and 4-element quads along each operand's contiguous dimension). A family
 * says only how a workgroup arranges its tiles and where fragments come from:
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
import { declareKernel, type StorageDecl } from "../lib/gpu/program.ts";
import { MAP_HELPERS } from "./map.ts";

/** How one operand is read. */
export interface OperandRead {
  /** A: m-contiguous (`transpose` of a dense [K, M]); B: k-contiguous (of a dense [N, K]). */
  trans: boolean;
  /** Offset, leading dimension and batch strides are multiples of 4: vec4 loads. */
  vec4: boolean;
}

/**
 * What the epilogue does with each accumulated value `acc` of C (after adding the bias):
 * - `store`: C = acc;
 * - `residual`: C = acc + E (E laid out as C: the residual stream);
 * - `gelu` / `relu`: E = acc (the pre-activation, kept for backward) and C = act(acc);
 * - `geluGrad` / `reluGrad`: C = acc · act'(E) (the gradient through the activation);
 * - `accumulate`: C = C + acc (a gradient accumulated into its target).
 */
export type GemmEpilogue =
  | "store"
  | "residual"
  | "gelu"
  | "relu"
  | "geluGrad"
  | "reluGrad"
  | "accumulate";

/** Everything baked into one matmul kernel besides the tiling. */
export interface GemmVariant {
  a: OperandRead;
  b: OperandRead;
  /** A bias of N values (per output batch, `biasStride` apart) is added in the epilogue. */
  bias: boolean;
  /** What the epilogue computes (default `store`). */
  epilogue?: GemmEpilogue;
  /**
   * The row sums of A over K (and the summed batches) are added into S: the bias gradient of a
   * weight-gradient product `dW = dYᵀ X`, for free in the same loop.
   */
  rowSums?: boolean;
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

/** The uniforms of every matmul kernel: sizes, leading dimensions, offsets, batch strides. */
const GEMM_UNIFORMS = {
  m: "u32",
  n: "u32",
  k: "u32",
  r: "u32",
  lda: "u32",
  ldb: "u32",
  offA: "u32",
  offB: "u32",
  zStart: "u32",
  offBias: "u32",
  biasStride: "u32",
  offC: "u32",
  offE: "u32",
  offS: "u32",
  outShape: "vec4u",
  redShape: "vec4u",
  aOut: "vec4u",
  bOut: "vec4u",
  aRed: "vec4u",
  bRed: "vec4u",
} as const;

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

/** The specialization constants of a matmul kernel: the tiling and the operand variant. */
export type GemmConstants = {
  readonly [key: string]: string | number | boolean;
  kind: "lanes" | "blocks";
  /** Lanes: rows of C per workgroup and vec4 columns per invocation (0 for blocks). */
  rows: number;
  cols4: number;
  /** Blocks: block of C, K slice and per-invocation tile (0 for lanes). */
  bm: number;
  bn: number;
  bk: number;
  tm: number;
  tn: number;
  aTrans: boolean;
  aVec4: boolean;
  bTrans: boolean;
  bVec4: boolean;
  bias: boolean;
  epilogue: GemmEpilogue;
  rowSums: boolean;
  cVec4: boolean;
};

/**
 * The specialization constants of a tiling and a variant.
 *
 * @example
 * ```ts
 * const read = { trans: false, vec4: true };
 * gemmConstants({ kind: "lanes", rows: 32, cols4: 4 }, { a: read, b: read, bias: false, cVec4: true });
 * ```
 */
export function gemmConstants(tiling: Tiling, v: GemmVariant): GemmConstants {
  const lanes = tiling.kind === "lanes" ? tiling : { rows: 0, cols4: 0 };
  const blocks = tiling.kind === "blocks" ? tiling : { bm: 0, bn: 0, bk: 0, tm: 0, tn: 0 };
  return {
    kind: tiling.kind,
    rows: lanes.rows,
    cols4: lanes.cols4,
    bm: blocks.bm,
    bn: blocks.bn,
    bk: blocks.bk,
    tm: blocks.tm,
    tn: blocks.tn,
    aTrans: v.a.trans,
    aVec4: v.a.vec4,
    bTrans: v.b.trans,
    bVec4: v.b.vec4,
    bias: v.bias,
    epilogue: v.epilogue ?? "store",
    rowSums: v.rowSums ?? false,
    cVec4: v.cVec4,
  };
}

/**
 * The matmul kernel: one declaration, two tiling families (see the module doc).
 *
 * @example
 * ```ts
 * const read = { trans: false, vec4: true };
 * gpu.kernel(gemmKernel, gemmConstants(tiling, { a: read, b: read, bias: false, cVec4: true }));
 * ```
 */
export const gemmKernel = declareKernel("matmul", (c: GemmConstants) => {
  const v: GemmVariant = {
    a: { trans: c.aTrans, vec4: c.aVec4 },
    b: { trans: c.bTrans, vec4: c.bVec4 },
    bias: c.bias,
    epilogue: c.epilogue,
    rowSums: c.rowSums,
    cVec4: c.cVec4,
  };
  const arr = (vec4: boolean) => vec4 ? "vec4f" : "f32";
  const storage: StorageDecl[] = [
    { name: "A", access: "read", type: arr(v.a.vec4) },
    { name: "B", access: "read", type: arr(v.b.vec4) },
  ];
  if (v.bias) storage.push({ name: "bias", access: "read", type: "f32" });
  const epilogue = v.epilogue ?? "store";
  if (epilogue !== "store" && epilogue !== "accumulate") {
    const writes = epilogue === "gelu" || epilogue === "relu";
    storage.push({ name: "E", access: writes ? "read_write" : "read", type: arr(v.cVec4) });
  }
  if (v.rowSums) storage.push({ name: "S", access: "read_write", type: "f32" });
  storage.push({ name: "C", access: "read_write", type: arr(v.cVec4) });
  const loop = c.kind === "lanes"
    ? lanesLoop({ kind: "lanes", rows: c.rows, cols4: c.cols4 }, v)
    : blocksLoop({ kind: "blocks", bm: c.bm, bn: c.bn, bk: c.bk, tm: c.tm, tn: c.tn }, v);
  const body = tiledLoopCode(loop, v);
  return {
    storage,
    uniforms: GEMM_UNIFORMS,
    body: `${BATCH_OFFSET}
${epilogue.startsWith("gelu") ? MAP_HELPERS : ""}
${body}`,
  };
});

// ---------------------------------------------------------------------------------------------
// The tiled loop, written once.

/**
 * An operand as the kernels read it from storage: element indices, and "quads" — 4 consecutive
 * elements along its contiguous dimension (k for A, n for B; m for a transposed A, k for a
 * transposed B), one vec4 load when the operand is bound as vec4, else 4 scalar loads.
 */
class Operand {
  constructor(
    readonly name: "A" | "B",
    readonly read: OperandRead,
    readonly ld: string,
  ) {}

  /** Index of the element `strided` leading dimensions and `contiguous` elements from `base`. */
  at(base: string, strided: string, contiguous: string): string {
    return `${base} + ${strided} * ${this.ld} + ${contiguous}`;
  }

  /** One element. */
  one(index: string): string {
    return this.read.vec4
      ? `${this.name}[(${index}) >> 2u][(${index}) & 3u]`
      : `${this.name}[${index}]`;
  }

  /**
   * The quad starting at `index` (aligned when vec4); `inRange(e)` masks element e, or
   * `allInRange` the whole quad, to zero past the end of K.
   */
  quad(index: string, mask: { inRange?: (e: number) => string; allInRange?: string } = {}) {
    if (this.read.vec4) {
      const load = `${this.name}[(${index}) >> 2u]`;
      const all = mask.allInRange ?? (mask.inRange ? mask.inRange(0) : undefined);
      return all ? `select(vec4f(0.0), ${load}, ${all})` : load;
    }
    const parts = [0, 1, 2, 3].map((e) => {
      const load = `${this.name}[${index} + ${e}u]`;
      return mask.inRange ? `select(0.0, ${load}, ${mask.inRange(e)})` : load;
    });
    const quad = `vec4f(${parts.join(", ")})`;
    return mask.allInRange ? `select(vec4f(0.0), ${quad}, ${mask.allInRange})` : quad;
  }
}

/**
 * The tiled loop both families instantiate. Every invocation owns a register tile of `rows`
 * rows × `cols4` vec4 columns of C; the loop walks K over every summed batch and, at each k,
 * multiplies the tile's A fragment (one value per row) by its B fragment (one vec4 per column
 * group) into the accumulators; the epilogue adds the bias and stores through C's layout. A
 * family says only how the workgroup arranges its tiles and where the fragments come from:
 * straight from storage (lanes) or from workgroup-memory slices staged from storage (blocks).
 */
interface TiledLoop {
  /** Register rows of C per invocation. */
  rows: number;
  /** Register vec4 column groups per invocation. */
  cols4: number;
  /** The `@workgroup_size` arguments. */
  workgroup: string;
  /** The builtins `main` takes besides `wg` (the workgroup id). */
  builtins: string;
  /** Module-scope declarations (workgroup memory). */
  shared: string[];
  /** Statements defining the tile's origin and the names `row(i)` and `col(j)` use. */
  origin: string[];
  /** C's row of register row i, and C's column of register group j's first element. */
  row(i: number): string;
  col(j: number): string;
  /** True in exactly one invocation per row of C: the one writing the row sums. */
  firstColumn: string;
  /** The statements that walk K; `multiply` gives the accumulate statements of one k. */
  walkK(multiply: (a: (i: number) => string, b: (j: number) => string) => string[]): string[];
}

const acc = (i: number, j: number) => `acc${i}_${j}`;

/** The accumulate statements of one k: acc(i, j) += a(i) · b(j), column groups outermost. */
function multiplyAdd(
  rows: number,
  cols4: number,
  a: (i: number) => string,
  b: (j: number) => string,
): string[] {
  const out: string[] = [];
  for (let j = 0; j < cols4; j++) {
    for (let i = 0; i < rows; i++) {
      out.push(`${acc(i, j)} = fma(vec4f(${a(i)}), ${b(j)}, ${acc(i, j)});`);
    }
  }
  return out;
}

/** The value an epilogue stores for accumulator `acc` (vec4 or scalar expressions). */
function epilogueValue(kind: GemmEpilogue, acc: string, e: string, old: string, vec: boolean) {
  const lanes = (f: (x: string) => string) =>
    vec ? `vec4f(${["x", "y", "z", "w"].map((c) => f(`(${acc}).${c}`)).join(", ")})` : f(acc);
  const grad = (f: (x: string) => string) =>
    vec ? `vec4f(${["x", "y", "z", "w"].map((c) => f(`(${e}).${c}`)).join(", ")})` : f(e);
  switch (kind) {
    case "store":
      return acc;
    case "residual":
      return `${acc} + ${e}`;
    case "gelu":
      return lanes((x) => `gelu_f32(${x})`);
    case "relu":
      return `max(${acc}, ${vec ? "vec4f(0.0)" : "0.0"})`;
    case "geluGrad":
      return `${acc} * ${grad((x) => `gelu_grad_f32(${x})`)}`;
    case "reluGrad":
      return `select(${vec ? "vec4f(0.0)" : "0.0"}, ${acc}, ${e} > ${vec ? "vec4f(0.0)" : "0.0"})`;
    case "accumulate":
      return `${old} + ${acc}`;
  }
}

/** The kernel body of a tiled loop. */
function tiledLoopCode(loop: TiledLoop, v: GemmVariant): string {
  const epilogue = v.epilogue ?? "store";
  const lines: string[] = [...loop.shared];
  const emit = (s: string, indent = "  ") => lines.push(indent + s);
  lines.push(`@compute @workgroup_size(${loop.workgroup})`);
  lines.push(`fn main(@builtin(workgroup_id) wg: vec3u, ${loop.builtins}) {`);
  emit("let z = wg.z + p.zStart;");
  for (const s of loop.origin) emit(s);
  emit("let aOut = p.offA + batchOffset(z, p.outShape, p.aOut);");
  emit("let bOut = p.offB + batchOffset(z, p.outShape, p.bOut);");
  for (let i = 0; i < loop.rows; i++) {
    for (let j = 0; j < loop.cols4; j++) emit(`var ${acc(i, j)} = vec4f(0.0);`);
    if (v.rowSums) emit(`var rsum${i} = 0.0;`);
  }
  const multiply = (a: (i: number) => string, b: (j: number) => string) => {
    const statements = multiplyAdd(loop.rows, loop.cols4, a, b);
    if (v.rowSums) {
      for (let i = 0; i < loop.rows; i++) statements.push(`rsum${i} += ${a(i)};`);
    }
    return statements;
  };
  for (const s of loop.walkK(multiply)) emit(s);
  emit("let zBase = z * p.m * p.n;");
  const cols = Array.from({ length: loop.cols4 }, (_, j) => loop.col(j));
  const biases: string[] = [];
  if (v.bias) {
    emit("let biasBase = p.offBias + z * p.biasStride;");
    cols.forEach((col, j) => {
      const parts = [0, 1, 2, 3].map((e) => `bias[biasBase + min(${col} + ${e}u, p.n - 1u)]`);
      emit(`let bias${j} = vec4f(${parts.join(", ")});`);
      biases.push(`bias${j}`);
    });
  }
  const keepsInput = epilogue === "gelu" || epilogue === "relu";
  for (let i = 0; i < loop.rows; i++) {
    const row = loop.row(i);
    emit(`if (${row} < p.m) {`);
    emit(`let cRow = zBase + (${row}) * p.n;`, "    ");
    if (v.rowSums) {
      emit(`if (${loop.firstColumn}) { S[p.offS + z * p.m + ${row}] += rsum${i}; }`, "    ");
    }
    cols.forEach((col, j) => {
      const sum = v.bias ? `${acc(i, j)} + ${biases[j]}` : acc(i, j);
      if (v.cVec4) {
        const at = (off: string) => `(${off} + cRow + ${col}) >> 2u`;
        const value = epilogueValue(
          epilogue,
          "value",
          `E[${at("p.offE")}]`,
          `C[${at("p.offC")}]`,
          true,
        );
        const store = keepsInput ? `E[${at("p.offE")}] = value; ` : "";
        emit(
          `if (${col} < p.n) { let value = ${sum}; ${store}C[${at("p.offC")}] = ${value}; }`,
          "    ",
        );
      } else {
        emit(`{ let value = ${sum};`, "    ");
        for (let e = 0; e < 4; e++) {
          const at = (off: string) => `${off} + cRow + ${col} + ${e}u`;
          const component = `value[${e}]`;
          const out = epilogueValue(
            epilogue,
            component,
            `E[${at("p.offE")}]`,
            `C[${at("p.offC")}]`,
            false,
          );
          const store = keepsInput ? `E[${at("p.offE")}] = ${component}; ` : "";
          emit(`if (${col} + ${e}u < p.n) { ${store}C[${at("p.offC")}] = ${out}; }`, "      ");
        }
        emit("}", "    ");
      }
    });
    emit("}", "    ");
  }
  lines.push("}");
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Lanes: register tiles, no workgroup memory (CPU adapters).

/**
 * The lanes family: 8 invocations side by side along N share `rows` rows of C; fragments are
 * read straight from storage, 4 steps of K at a time (then the remainder one by one).
 */
function lanesLoop(t: LaneTiling, v: GemmVariant): TiledLoop {
  const R = t.rows, G = t.cols4;
  const A = new Operand("A", v.a, "p.lda"), B = new Operand("B", v.b, "p.ldb");
  const col = (j: number) => `col${j}`;

  /** Statements of one 4-step chunk of K (`k4`) or of one step (`k`). */
  const step = (chunk: boolean, multiply: Parameters<TiledLoop["walkK"]>[0]): string[] => {
    const body: string[] = [];
    const steps = chunk ? 4 : 1;
    const kAt = (kk: number) => chunk ? `(k4 + ${kk}u)` : "k";
    const aVal: string[][] = Array.from({ length: R }, () => new Array<string>(steps));
    if (!v.a.trans) {
      for (let i = 0; i < R; i++) {
        if (chunk && v.a.vec4) {
          // One quad along K per row covers the whole chunk.
          body.push(`let a${i} = ${A.quad(A.at("aRow", `${i}u`, "k4"))};`);
          for (let kk = 0; kk < 4; kk++) aVal[i][kk] = `a${i}[${kk}]`;
        } else {
          for (let kk = 0; kk < steps; kk++) {
            body.push(`let a${i}_${kk} = ${A.one(A.at("aRow", `${i}u`, kAt(kk)))};`);
            aVal[i][kk] = `a${i}_${kk}`;
          }
        }
      }
    } else {
      for (let kk = 0; kk < steps; kk++) {
        if (v.a.vec4) {
          // Quads along M: rows 4g..4g+3 of one k.
          for (let g = 0; g < R / 4; g++) {
            body.push(`let a${g}_${kk} = ${A.quad(A.at("aRow", kAt(kk), `${4 * g}u`))};`);
            for (let e = 0; e < 4; e++) aVal[4 * g + e][kk] = `a${g}_${kk}[${e}]`;
          }
        } else {
          for (let i = 0; i < R; i++) {
            body.push(`let a${i}_${kk} = ${A.one(A.at("aRow", kAt(kk), `${i}u`))};`);
            aVal[i][kk] = `a${i}_${kk}`;
          }
        }
      }
    }
    if (v.b.trans && chunk && v.b.vec4) {
      // One quad along K per column covers the chunk; the fragments are its transposes.
      for (let j = 0; j < G; j++) {
        for (let e = 0; e < 4; e++) {
          body.push(`let t${j}_${e} = ${B.quad(B.at("bRow", `(${col(j)} + ${e}u)`, "k4"))};`);
        }
      }
      for (let kk = 0; kk < 4; kk++) {
        body.push(...multiply(
          (i) => aVal[i][kk],
          (j) => `vec4f(t${j}_0[${kk}], t${j}_1[${kk}], t${j}_2[${kk}], t${j}_3[${kk}])`,
        ));
      }
      return body;
    }
    for (let kk = 0; kk < steps; kk++) {
      for (let j = 0; j < G; j++) {
        const fragment = v.b.trans
          ? `vec4f(${
            [0, 1, 2, 3].map((e) => B.one(B.at("bRow", `(${col(j)} + ${e}u)`, kAt(kk)))).join(", ")
          })`
          : B.quad(B.at("bRow", kAt(kk), col(j)));
        body.push(`let b${kk}_${j} = ${fragment};`);
      }
      body.push(...multiply((i) => aVal[i][kk], (j) => `b${kk}_${j}`));
    }
    return body;
  };

  return {
    rows: R,
    cols4: G,
    workgroup: `${LANES}`,
    builtins: "@builtin(local_invocation_index) lid: u32",
    shared: [],
    origin: [
      `let row0 = wg.x * ${R}u;`,
      ...Array.from(
        { length: G },
        (_, j) => `let ${col(j)} = (wg.y * ${LANES * G}u + lid + ${LANES * j}u) * 4u;`,
      ),
    ],
    row: (i) => `(row0 + ${i}u)`,
    col,
    firstColumn: "wg.y == 0u && lid == 0u",
    walkK: (multiply) => [
      "let chunks = p.k / 4u;",
      "for (var r = 0u; r < p.r; r++) {",
      "  let aBase = aOut + batchOffset(r, p.redShape, p.aRed);",
      "  let bBase = bOut + batchOffset(r, p.redShape, p.bRed);",
      `  let aRow = aBase + row0${v.a.trans ? "" : " * p.lda"};`,
      "  let bRow = bBase;",
      "  for (var kc = 0u; kc < chunks; kc++) {",
      "    let k4 = kc * 4u;",
      ...step(true, multiply).map((l) => `    ${l}`),
      "  }",
      "  for (var k = chunks * 4u; k < p.k; k++) {",
      ...step(false, multiply).map((l) => `    ${l}`),
      "  }",
      "}",
    ],
  };
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

/**
 * The blocks family: a `bm x bn` block of C per workgroup, `tm x tn` per invocation; each
 * `bk`-deep slice of K is loaded cooperatively as quads from storage into registers, stored
 * k-major into double-buffered workgroup memory (one barrier per slice), and the fragments of
 * every k of the slice are read back as vec4 from there.
 */
function blocksLoop(t: BlockTiling, v: GemmVariant): TiledLoop {
  const threadsX = t.bn / t.tn, threadsY = t.bm / t.tm;
  const threads = threadsX * threadsY;
  const sa4 = (t.bm + 4) / 4, sb4 = (t.bn + 4) / 4; // padded k-rows, in vec4
  const nA = (t.bm * t.bk) / 4 / threads, nB = (t.bn * t.bk) / 4 / threads;
  const gm = t.tm / 4, gn = t.tn / 4;
  const A = new Operand("A", v.a, "p.lda"), B = new Operand("B", v.b, "p.ldb");

  // Quad u of this thread in a slice: (strided, contiguous) coordinates within the tile, and
  // whether its K runs along the quad (then each element is masked) or across quads.
  const quadOf = (op: Operand, u: number, tile: number) => {
    const kAlong = op.name === "A" ? !op.read.trans : op.read.trans;
    const across = kAlong ? t.bk / 4 : tile / 4; // quads per strided line
    return {
      kAlong,
      coords: `let s = (lid + ${threads * u}u) / ${across}u; ` +
        `let c = ((lid + ${threads * u}u) % ${across}u) * 4u;`,
    };
  };
  const load = (op: Operand, u: number): string[] => {
    const tile = op.name === "A" ? t.bm : t.bn;
    const origin = op.name === "A" ? "row0" : "col0";
    const base = op.name === "A" ? "aBase" : "bBase";
    const { kAlong, coords } = quadOf(op, u, tile);
    const reg = `${op.name === "A" ? "pa" : "pb"}${u}`;
    const at = kAlong
      ? op.at(base, `(${origin} + s)`, "k0 + c")
      : op.at(base, "(k0 + s)", `${origin} + c`);
    const value = kAlong
      ? op.quad("at", { inRange: (e) => `k0 + c${e ? ` + ${e}u` : ""} < p.k` })
      : op.quad("at", { allInRange: "k0 + s < p.k" });
    return [`{ ${coords}`, `  let at = ${at};`, `  ${reg} = ${value};`, "}"];
  };
  const store = (op: Operand, u: number): string[] => {
    const tile = op.name === "A" ? t.bm : t.bn;
    const shared = op.name === "A" ? "As" : "Bs";
    const stride = op.name === "A" ? sa4 : sb4;
    const { kAlong, coords } = quadOf(op, u, tile);
    const reg = `${op.name === "A" ? "pa" : "pb"}${u}`;
    const lines = [`{ ${coords}`];
    if (kAlong) {
      for (let e = 0; e < 4; e++) {
        lines.push(
          `  ${shared}[(buf * ${t.bk}u + c + ${e}u) * ${stride}u + s / 4u][s % 4u] = ${reg}[${e}];`,
        );
      }
    } else lines.push(`  ${shared}[(buf * ${t.bk}u + s) * ${stride}u + c / 4u] = ${reg};`);
    lines.push("}");
    return lines;
  };
  const quads = (n: number, f: (u: number) => string[]) =>
    Array.from({ length: n }, (_, u) => f(u)).flat();
  // Loads the slice at (loadR, loadK) into registers, then steps to the next slice (no
  // division per slice: K slices advance, and the batch bases move only when K wraps).
  const loadSlice = [
    "{ let k0 = loadK;",
    ...quads(nA, (u) => load(A, u)).map((l) => `  ${l}`),
    ...quads(nB, (u) => load(B, u)).map((l) => `  ${l}`),
    "}",
    `loadK += ${t.bk}u;`,
    "if (loadK >= p.k) {",
    "  loadK = 0u;",
    "  loadR += 1u;",
    "  aBase = aOut + batchOffset(loadR, p.redShape, p.aRed);",
    "  bBase = bOut + batchOffset(loadR, p.redShape, p.bRed);",
    "}",
  ];
  const storeSlice = [...quads(nA, (u) => store(A, u)), ...quads(nB, (u) => store(B, u))];

  return {
    rows: t.tm,
    cols4: gn,
    workgroup: `${threadsX}, ${threadsY}`,
    builtins: "@builtin(local_invocation_id) li: vec3u,\n        " +
      "@builtin(local_invocation_index) lid: u32",
    shared: [
      `var<workgroup> As: array<vec4f, ${2 * t.bk * sa4}>;`,
      `var<workgroup> Bs: array<vec4f, ${2 * t.bk * sb4}>;`,
    ],
    origin: [`let col0 = wg.x * ${t.bn}u;`, `let row0 = wg.y * ${t.bm}u;`],
    row: (i) => `(row0 + (${(i >> 2) * threadsY}u + li.y) * 4u + ${i & 3}u)`,
    col: (j) => `(col0 + (${j * threadsX}u + li.x) * 4u)`,
    firstColumn: "wg.x == 0u && li.x == 0u",
    walkK: (multiply) => {
      const walk = [
        `let tiles = ((p.k + ${t.bk - 1}u) / ${t.bk}u) * p.r;`,
        "var loadK = 0u;",
        "var loadR = 0u;",
        "var aBase = aOut + batchOffset(0u, p.redShape, p.aRed);",
        "var bBase = bOut + batchOffset(0u, p.redShape, p.bRed);",
        ...Array.from({ length: nA }, (_, u) => `var pa${u} = vec4f(0.0);`),
        ...Array.from({ length: nB }, (_, u) => `var pb${u} = vec4f(0.0);`),
        "if (tiles > 0u) {",
        "  let buf = 0u;",
        ...loadSlice.map((l) => `  ${l}`),
        ...storeSlice.map((l) => `  ${l}`),
        "}",
        "workgroupBarrier();",
        "for (var tile = 0u; tile < tiles; tile++) {",
        "  let cur = tile & 1u;",
        "  if (tile + 1u < tiles) {",
        ...loadSlice.map((l) => `    ${l}`),
        "  }",
        `  let aCur = cur * ${t.bk * sa4}u + li.y;`,
        `  let bCur = cur * ${t.bk * sb4}u + li.x;`,
      ];
      for (let kk = 0; kk < t.bk; kk++) {
        // Fully unrolled over the slice: constant shared-memory offsets, fragments in registers.
        walk.push("  {");
        for (let g = 0; g < gm; g++) {
          walk.push(`    let a${g} = As[aCur + ${kk * sa4 + g * threadsY}u];`);
        }
        for (let h = 0; h < gn; h++) {
          walk.push(`    let b${h} = Bs[bCur + ${kk * sb4 + h * threadsX}u];`);
        }
        walk.push(
          ...multiply((i) => `a${i >> 2}[${i & 3}]`, (j) => `b${j}`).map((l) => `    ${l}`),
        );
        walk.push("  }");
      }
      walk.push(
        "  if (tile + 1u < tiles) {",
        "    let buf = 1u - cur;",
        ...storeSlice.map((l) => `    ${l}`),
        "  }",
        "  workgroupBarrier();",
        "}",
      );
      return walk;
    },
  };
}
