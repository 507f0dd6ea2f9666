/**
 * The whole-run kernels of the 1989 LeCun net: WGSL that keeps a training run inside one
 * workgroup and loops over thousands of examples per dispatch (forward, loss, backward and the
 * SGD/AdamW update of every example), plus a forward-only evaluation kernel, and the launchers
 * that record them for many runs at once (one workgroup per run).
 *
 * Layout. A workgroup has one invocation ("lane") per H1 map, and lane `l` also plays H2 map
 * `l`. Every weight lives in the private memory of the lane that uses it, addressed only by
 * compile-time constants, so the ~190k multiply-accumulates of an example are register
 * arithmetic:
 * - lane c owns H1 map c (its 25 weights and 64 biases) and the H2 weights from map c to the
 *   2·group H2 maps it feeds: it computes H1 and its share ("partials") of H2's sums, and in
 *   backward the gradient into its H1 map and the gradients of all the weights it owns;
 * - lane n finishes H2 map n (bias, activation, dropout) and owns H3's weight rows of map n's
 *   16 units: it computes their share of H3's sums, and in backward their gradient;
 * - H3's bias, the output layer and the loss are small: every lane computes them redundantly
 *   (the SIMD lanes do it at the cost of one), so only partial sums cross lanes.
 * Lanes exchange partial sums through workgroup memory with three barriers per example (two in
 * evaluation). The next example's image (shifted for augmentation) is staged while the current
 * one finishes.
 *
 * Why it is written this way (lavapipe, the CPU WebGPU, and GPUs alike): lavapipe runs a
 * workgroup on one core as a SIMD loop over its invocations; a private array indexed by
 * anything but a constant becomes an if-ladder over the whole array, and every load or store
 * of workgroup or storage memory is a scalar loop over the 8 SIMD lanes; a barrier suspends a
 * coroutine that spills every live value. So per example a lane does ~330 memory accesses
 * and ~16k register FMAs (in four independent chains per sum), the live state per lane stays
 * near the ~850 weights it owns (the image is reloaded rather than kept), and private state
 * is loaded and stored at the ends of a dispatch through a 32-entry rotating buffer (constant
 * indices only). Naga's WGSL front end is quadratic in the size of one function, so the
 * unrolled code is split into functions of a few hundred statements. Compiling the unrolled
 * code takes lavapipe tens of seconds per variant the first time; Mesa's shader cache keeps
 * it for later runs.
 *
 * `laneTables` maps each lane's private slots to the flat parameter layout of
 * `architecture.ts`; the float64 reference (`reference.ts`) is the math this code is tested
 * against.
 *
 * @module
 */
import { declareKernel } from "../../lib/gpu/program.ts";
import type { GpuBuffer } from "../../lib/gpu/pool.ts";
import type { Gpu } from "../../lib/gpu/runtime.ts";
import { COUNTER_RNG_WGSL, COUNTER_STREAM } from "../../lib/random/counter.ts";
import {
  H1_SIDE,
  h1Fanout,
  H2_SIDE,
  INPUT_SIDE,
  KERNEL,
  type LecunActivation,
  type LecunLoss,
  type LecunOptimizer,
  type LecunShape,
  lecunShape,
  OUTPUTS,
  parameterLayout,
  TAPS,
} from "./architecture.ts";

/** AdamW's constants in the training kernel (PyTorch's defaults: β 0.9 / 0.999, ε 1e-8). */
export const LECUN_ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const;

/** The compile-time choices of a training kernel. */
export interface TrainKernelSpec {
  readonly [key: string]: string | number | boolean;
  /** Width multiplier of the hidden layers (see `lecunShape`). */
  width: number;
  loss: LecunLoss;
  activation: LecunActivation;
  /** The optimizer applied after every example. */
  mode: LecunOptimizer;
  /** Whether dropout on H3's input is compiled in (its probability is per run). */
  dropout: boolean;
}

/** Words of one run's config in the `runs` buffer of the training kernel. */
export const RUN_CONFIG_WORDS = 8;
/** Table entry meaning "do not store this slot" (a replica of a slot lane 0 stores). */
export const SKIP_SLOT = 0xffffffff;
/**
 * Most examples one training dispatch may hold. Mesa's llvmpipe (lavapipe) counts the loop
 * iterations of an invocation, all loops together, and silently leaves every loop after 65535
 * of them; the kernel runs one loop iteration per example plus 64 per 32 private slots for
 * loading and storing state, so dispatches stay well below that.
 */
export const MAX_EXAMPLES_PER_DISPATCH = 16384;
/** Entries of the rotating buffer that loads and stores private state. */
const ROT = 32;
/** Unrolled statements per WGSL function (naga is quadratic in function size). */
const STATEMENTS_PER_FUNCTION = 240;

/** Offsets of each lane's private parameter slots. */
export interface LaneLayout {
  w1: number;
  b1: number;
  w2: number;
  b2: number;
  w3: number;
  b3: number;
  w4: number;
  b4: number;
  /** Slots per lane. */
  size: number;
  /** Slots rounded up to a multiple of the rotating buffer. */
  padded: number;
}

/**
 * The private slots of one lane: H1 map weights and biases, the H2 weights it owns (2·group
 * slots of 25), its H2 map's biases, its H3 weight rows, then the replicated H3 bias, output
 * weights and output bias.
 *
 * @example
 * ```ts
 * laneLayout(lecunShape(1)).size; // 849
 * ```
 */
export function laneLayout(shape: LecunShape): LaneLayout {
  const sizes = {
    w1: TAPS,
    b1: H1_SIDE * H1_SIDE,
    w2: shape.fanIn * TAPS,
    b2: 16,
    w3: 16 * shape.hidden,
    b3: shape.hidden,
    w4: shape.hidden * OUTPUTS,
    b4: OUTPUTS,
  };
  let at = 0;
  const out = {} as Record<keyof typeof sizes, number>;
  for (const key of Object.keys(sizes) as (keyof typeof sizes)[]) {
    out[key] = at;
    at += sizes[key];
  }
  return { ...out, size: at, padded: Math.ceil(at / ROT) * ROT };
}

/** Per-lane tables of a shape, concatenated in one u32 buffer. */
export interface LaneTables {
  /** `[load | store | offsets]`. */
  data: Uint32Array;
  /** Where the store table starts. */
  storeAt: number;
  /** Where the per-slot workgroup-memory offsets start. */
  offsetsAt: number;
}

/**
 * For every lane and private slot, the index of the parameter it holds in the flat layout
 * (load table) and whether the lane writes it back (store table: replicas only from lane 0);
 * then per lane and H2 slot the vec4 offsets of its partial sums and of its H2 map's
 * gradient in workgroup memory.
 *
 * @example
 * ```ts
 * const tables = laneTables(lecunShape(1));
 * ```
 */
export function laneTables(shape: LecunShape): LaneTables {
  const L = parameterLayout(shape);
  const lane = laneLayout(shape);
  const lanes = shape.maps;
  const { hidden, fanIn } = shape;
  const load = new Uint32Array(lanes * lane.size);
  const store = new Uint32Array(lanes * lane.size);
  const offsets = new Uint32Array(lanes * 2 * fanIn);
  for (let l = 0; l < lanes; l++) {
    const row = l * lane.size;
    const put = (slot: number, index: number, owned: boolean) => {
      load[row + slot] = index;
      store[row + slot] = owned ? index : SKIP_SLOT;
    };
    for (let t = 0; t < TAPS; t++) put(lane.w1 + t, L.h1w.offset + l * TAPS + t, true);
    for (let p = 0; p < 64; p++) put(lane.b1 + p, L.h1b.offset + l * 64 + p, true);
    h1Fanout(shape, l).forEach(({ n, input }, s) => {
      for (let t = 0; t < TAPS; t++) {
        put(lane.w2 + s * TAPS + t, L.h2w.offset + (n * fanIn + input) * TAPS + t, true);
      }
      offsets[l * 2 * fanIn + s] = (n * fanIn + input) * 4;
      offsets[l * 2 * fanIn + fanIn + s] = n * 4;
    });
    for (let q = 0; q < 16; q++) put(lane.b2 + q, L.h2b.offset + l * 16 + q, true);
    for (let q = 0; q < 16; q++) {
      for (let k = 0; k < hidden; k++) {
        put(lane.w3 + q * hidden + k, L.h3w.offset + (l * 16 + q) * hidden + k, true);
      }
    }
    for (let k = 0; k < hidden; k++) put(lane.b3 + k, L.h3b.offset + k, l === 0);
    for (let i = 0; i < hidden * OUTPUTS; i++) put(lane.w4 + i, L.outw.offset + i, l === 0);
    for (let o = 0; o < OUTPUTS; o++) put(lane.b4 + o, L.outb.offset + o, l === 0);
  }
  const data = new Uint32Array(load.length * 2 + offsets.length);
  data.set(load, 0);
  data.set(store, load.length);
  data.set(offsets, load.length * 2);
  return { data, storeAt: load.length, offsetsAt: load.length * 2 };
}

/**
 * Floats of one run's state in the state buffer: parameters, then AdamW's two moments.
 *
 * @example
 * ```ts
 * runStateStride(lecunShape(1), "adamw"); // 29280
 * ```
 */
export function runStateStride(shape: LecunShape, mode: LecunOptimizer): number {
  const size = parameterLayout(shape).size;
  return mode === "adamw" ? 3 * size : size;
}

/**
 * Bytes of workgroup memory the whole-run kernels of this shape need.
 *
 * @example
 * ```ts
 * workgroupBytes(lecunShape(1)); // 10496
 * ```
 */
export function workgroupBytes(shape: LecunShape): number {
  const kp = Math.ceil(shape.hidden / 4) * 4;
  const image = 2 * 256; // double-buffered: the current example and the next one
  const floats = image + shape.maps * shape.fanIn * 16 + shape.maps * kp + shape.maps * 16;
  return floats * 4;
}

// ---------------------------------------------------------------------------------------------
// Code generation helpers.

/** Collects unrolled statement blocks into functions of bounded size. */
class FunctionSplitter {
  readonly functions: string[] = [];
  #prefix: string;
  #count = 0;
  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /** Splits `blocks` (each kept whole; weight = statements) into functions; returns calls. */
  phase(name: string, blocks: { code: string; weight: number }[]): string {
    const calls: string[] = [];
    let body: string[] = [];
    let weight = 0;
    const flush = () => {
      if (body.length === 0) return;
      const fn = `${this.#prefix}_${name}_${this.#count++}`;
      this.functions.push(`fn ${fn}() {\n${body.join("\n")}\n}`);
      calls.push(`${fn}();`);
      body = [];
      weight = 0;
    };
    for (const block of blocks) {
      if (weight + block.weight > STATEMENTS_PER_FUNCTION) flush();
      body.push(block.code);
      weight += block.weight;
    }
    flush();
    return calls.join("\n    ");
  }
}

/**
 * One block computing `init + Σ x·y - Σ negs` into `a`, then `finish(a)`. The terms go to four
 * independent accumulators (FMA latency, not throughput, bounds one chain).
 */
function dotBlock(
  init: string,
  terms: [string, string][],
  negs: string[],
  finish: string,
): { code: string; weight: number } {
  const chains = Math.min(4, terms.length);
  const acc = (i: number) => `a${i}`;
  const lines = [`  {`];
  for (let i = 0; i < Math.max(chains, 1); i++) {
    const first = terms[i];
    lines.push(`    var a${i} = ${first ? `${first[0]} * ${first[1]}` : "0.0"};`);
  }
  for (let i = chains; i < terms.length; i += chains) {
    const row = terms.slice(i, i + chains).map(([x, y], j) =>
      `${acc(j)} = fma(${x}, ${y}, ${acc(j)});`
    );
    lines.push(`    ${row.join(" ")}`);
  }
  const sum = Array.from({ length: Math.max(chains, 1) }, (_, i) => acc(i));
  const pairs = sum.length === 4 ? `(a0 + a1) + (a2 + a3)` : sum.join(" + ");
  const neg = negs.length > 0 ? ` - (${negs.join(" + ")})` : "";
  lines.push(`    let a = ${init === "0.0" ? "" : `${init} + `}${pairs}${neg};`);
  lines.push(`    ${finish} }`);
  return { code: lines.join("\n"), weight: lines.length + terms.length / 2 };
}

function simple(code: string, weight = 1): { code: string; weight: number } {
  return { code: `  ${code}`, weight };
}

/** WGSL of the hidden activation of `z`, and of its derivative from the activation `h`. */
function activation(
  kind: LecunActivation,
): { act: (z: string) => string; grad: (h: string) => string } {
  return kind === "tanh"
    ? { act: (z) => `tanh(clamp(${z}, -15.0, 15.0))`, grad: (h) => `(1.0 - ${h} * ${h})` }
    : { act: (z) => `max(${z}, 0.0)`, grad: (h) => `select(0.0, 1.0, ${h} > 0.0)` };
}

/** Indexes of the unrolled code: where image pixels and H1 units are, padding as null. */
function imagePixel(y: number, x: number): number | null {
  return y < 0 || y >= INPUT_SIDE || x < 0 || x >= INPUT_SIDE ? null : y * INPUT_SIDE + x;
}
function h1Unit(y: number, x: number): number | null {
  return y < 0 || y >= H1_SIDE || x < 0 || x >= H1_SIDE ? null : y * H1_SIDE + x;
}

/** Shared declarations of the training and evaluation kernels. */
function declarations(shape: LecunShape, lane: LaneLayout, extra: string): string {
  const { maps, fanIn, hidden } = shape;
  const kp4 = Math.ceil(hidden / 4);
  return `
var<workgroup> sh_img: array<vec4<f32>, 128>;
var<workgroup> sh_part: array<vec4<f32>, ${maps * fanIn * 4}>;
var<workgroup> sh_q: array<vec4<f32>, ${maps * kp4}>;
var<private> S: array<f32, ${lane.padded}>;
var<private> rot: array<f32, ${ROT}>;
var<private> img: array<f32, 256>;
var<private> h1: array<f32, 64>;
var<private> part: array<f32, ${fanIn * 16}>;
var<private> h2: array<f32, 16>;
var<private> h2d: array<f32, 16>;
var<private> q3: array<f32, ${kp4 * 4}>;
var<private> h3: array<f32, ${hidden}>;
var<private> y4: array<f32, ${OUTPUTS}>;
var<private> soff: array<u32, ${fanIn}>;
var<private> lane: u32;
var<private> img_at: u32;
var<private> label: u32;
${extra}
${COUNTER_RNG_WGSL}`;
}

/**
 * Copies image `ex` (rolled by the step's shift when `augment`) into workgroup memory, 64 vec4
 * shared by the lanes. Unrolled rather than a loop: lavapipe caps the loop iterations of one
 * invocation (see `MAX_EXAMPLES_PER_DISPATCH`), so the example loop must be the only loop that
 * runs per example.
 */
function copyImageFunction(lanes: number, augment: boolean): string {
  const shift = augment
    ? `var dy = 0; var dx = 0;
  if (augment != 0u) {
    dy = i32(noise_bits(seed, ${COUNTER_STREAM.shiftRows}u, tstep, 0u) % 3u) - 1;
    dx = i32(noise_bits(seed, ${COUNTER_STREAM.shiftCols}u, tstep, 0u) % 3u) - 1;
  }`
    : "let dy = 0; let dx = 0;";
  const rounds = Array.from({ length: Math.ceil(64 / lanes) }, (_, k) => `
  {
    let i = lane + ${k * lanes}u;
    if (i < 64u) {
      let y = i32(i >> 2u);
      let x = i32((i & 3u) * 4u);
      let row = base + u32((y - dy + 16) % 16) * 16u;
      sh_img[to + i] = vec4<f32>(
        images[row + u32((x - dx + 16) % 16)],
        images[row + u32((x + 1 - dx + 16) % 16)],
        images[row + u32((x + 2 - dx + 16) % 16)],
        images[row + u32((x + 3 - dx + 16) % 16)]);
    }
  }`).join("");
  return `
fn copy_image(ex: u32, tstep: u32, to: u32) {
  ${shift}
  let base = ex * 256u;${rounds}
}`;
}

/**
 * Rotating-buffer helpers: `fill_rot(at, first)` loads slots `first .. first+31` of this lane
 * (through the load table, from `state[at + index]`) into `rot`; `drain_rot(at, first)` stores
 * `rot` to those slots through the store table. Only constant indices touch `rot`.
 */
function rotationFunctions(lane: LaneLayout, storeAt: number | null): string {
  const shiftRot = Array.from({ length: ROT - 1 }, (_, k) => `rot[${k}] = rot[${k + 1}];`).join(
    " ",
  );
  const fill = `
fn fill_rot(at: u32, first: u32) {
  for (var j = 0u; j < ${ROT}u + zero; j++) {
    let slot = first + j;
    var v = 0.0;
    if (slot < ${lane.size}u) { v = state[at + tables[lane * ${lane.size}u + slot]]; }
    ${shiftRot} rot[${ROT - 1}] = v;
  }
}`;
  if (storeAt === null) return fill;
  return `${fill}
fn drain_rot(at: u32, first: u32) {
  for (var j = 0u; j < ${ROT}u + zero; j++) {
    let slot = first + j;
    if (slot < ${lane.size}u) {
      let t = tables[${storeAt}u + lane * ${lane.size}u + slot];
      if (t != ${SKIP_SLOT}u) { state[at + t] = rot[0]; }
    }
    ${shiftRot}
  }
}`;
}

/** Straight-line code loading private array `target` from `state[at + …]`, 32 slots at a time. */
function loadState(target: string, lane: LaneLayout, at: string): string {
  const parts: string[] = [];
  for (let seg = 0; seg < lane.padded / ROT; seg++) {
    const copy = Array.from({ length: ROT }, (_, k) => `${target}[${seg * ROT + k}] = rot[${k}];`);
    parts.push(`  fill_rot(${at}, ${seg * ROT}u);\n  ${chunkLines(copy)}`);
  }
  return parts.join("\n");
}

/** Straight-line code storing private array `source` to `state[at + …]` (owned slots only). */
function storeState(source: string, lane: LaneLayout, at: string): string {
  const parts: string[] = [];
  for (let seg = 0; seg < lane.padded / ROT; seg++) {
    const copy = Array.from({ length: ROT }, (_, k) => `rot[${k}] = ${source}[${seg * ROT + k}];`);
    parts.push(`  ${chunkLines(copy)}\n  drain_rot(${at}, ${seg * ROT}u);`);
  }
  return parts.join("\n");
}

function chunkLines(statements: string[], per = 16): string {
  const lines: string[] = [];
  for (let i = 0; i < statements.length; i += per) {
    lines.push(statements.slice(i, i + per).join(" "));
  }
  return lines.join("\n    ");
}

/** Statements loading the image at `sh_img[img_at ..]` into private `img`. */
function imageLoads(): { code: string; weight: number }[] {
  return Array.from({ length: 64 }, (_, v) => {
    const c = (k: number) => `img[${4 * v + k}] = t.${"xyzw"[k]};`;
    return simple(`{ let t = sh_img[img_at + ${v}u]; ${c(0)} ${c(1)} ${c(2)} ${c(3)} }`, 2);
  });
}

// ---------------------------------------------------------------------------------------------
// The forward pass (shared by training and evaluation).

interface ForwardCode {
  /** Loads the image, computes H1 and the H2 partials, stores them. */
  p1: string;
  /** Finishes H2 (dropout when training), computes and stores the H3 partials. */
  p2: string;
  /** Finishes H3 and computes the outputs into `y4` (tanh with MSE, logits with CE). */
  p3: string;
}

function forwardCode(
  split: FunctionSplitter,
  shape: LecunShape,
  lane: LaneLayout,
  kind: LecunActivation,
  loss: LecunLoss,
  dropout: boolean,
): ForwardCode {
  const { fanIn, hidden, maps } = shape;
  const kp4 = Math.ceil(hidden / 4);
  const { act } = activation(kind);
  const W1 = (t: number) => `S[${lane.w1 + t}]`;
  const W2 = (s: number, t: number) => `S[${lane.w2 + s * TAPS + t}]`;
  const W3 = (q: number, k: number) => `S[${lane.w3 + q * hidden + k}]`;
  const W4 = (k: number, o: number) => `S[${lane.w4 + k * OUTPUTS + o}]`;

  // P1: the image, H1, H2 partials.
  const p1: { code: string; weight: number }[] = [];
  p1.push(...imageLoads());
  for (let i = 0; i < H1_SIDE; i++) {
    for (let j = 0; j < H1_SIDE; j++) {
      const terms: [string, string][] = [];
      const negs: string[] = [];
      for (let ki = 0; ki < KERNEL; ki++) {
        for (let kj = 0; kj < KERNEL; kj++) {
          const px = imagePixel(2 * i + ki - 2, 2 * j + kj - 2);
          if (px === null) negs.push(W1(ki * KERNEL + kj));
          else terms.push([W1(ki * KERNEL + kj), `img[${px}]`]);
        }
      }
      const p = i * H1_SIDE + j;
      p1.push(dotBlock(`S[${lane.b1 + p}]`, terms, negs, `h1[${p}] = ${act("a")};`));
    }
  }
  for (let s = 0; s < fanIn; s++) {
    for (let i = 0; i < H2_SIDE; i++) {
      for (let j = 0; j < H2_SIDE; j++) {
        const terms: [string, string][] = [];
        const negs: string[] = [];
        for (let ki = 0; ki < KERNEL; ki++) {
          for (let kj = 0; kj < KERNEL; kj++) {
            const u = h1Unit(2 * i + ki - 2, 2 * j + kj - 2);
            if (u === null) negs.push(W2(s, ki * KERNEL + kj));
            else terms.push([W2(s, ki * KERNEL + kj), `h1[${u}]`]);
          }
        }
        p1.push(dotBlock("0.0", terms, negs, `part[${s * 16 + i * 4 + j}] = a;`));
      }
    }
  }
  for (let s = 0; s < fanIn; s++) {
    for (let v = 0; v < 4; v++) {
      const b = s * 16 + v * 4;
      p1.push(simple(
        `sh_part[soff[${s}] + ${v}u] = vec4<f32>(part[${b}], part[${b + 1}], part[${b + 2}], part[${
          b + 3
        }]);`,
      ));
    }
  }

  // P2: finish H2 map `lane`, then its share of H3.
  const p2: { code: string; weight: number }[] = [];
  for (let v = 0; v < 4; v++) {
    const reads = Array.from(
      { length: fanIn },
      (_, c) => `sh_part[lane * ${fanIn * 4}u + ${c * 4 + v}u]`,
    );
    const bias = `vec4<f32>(S[${lane.b2 + 4 * v}], S[${lane.b2 + 4 * v + 1}], S[${
      lane.b2 + 4 * v + 2
    }], S[${lane.b2 + 4 * v + 3}])`;
    const lines = [`  { var z = ${bias};`];
    for (const r of reads) lines.push(`    z += ${r};`);
    for (let c = 0; c < 4; c++) {
      const q = 4 * v + c;
      const comp = "xyzw"[c];
      lines.push(`    h2[${q}] = ${act(`z.${comp}`)};`);
      if (dropout) {
        lines.push(
          `    dm[${q}] = select(0.0, drop_scale, dropout_keeps(seed, cur_step, lane * 16u + ${q}u, drop_p));`,
        );
        lines.push(`    h2d[${q}] = h2[${q}] * dm[${q}];`);
      } else {
        lines.push(`    h2d[${q}] = h2[${q}];`);
      }
    }
    lines.push("  }");
    p2.push({ code: lines.join("\n"), weight: lines.length });
  }
  for (let k = 0; k < kp4 * 4; k++) {
    if (k >= hidden) {
      p2.push(simple(`q3[${k}] = 0.0;`));
      continue;
    }
    const terms: [string, string][] = Array.from({ length: 16 }, (_, q) => [W3(q, k), `h2d[${q}]`]);
    p2.push(dotBlock("0.0", terms, [], `q3[${k}] = a;`));
  }
  for (let v = 0; v < kp4; v++) {
    p2.push(simple(
      `sh_q[lane * ${kp4}u + ${v}u] = vec4<f32>(q3[${4 * v}], q3[${4 * v + 1}], q3[${
        4 * v + 2
      }], q3[${4 * v + 3}]);`,
    ));
  }

  // P3: every lane finishes H3 and the output layer.
  const p3: { code: string; weight: number }[] = [];
  for (let v = 0; v < kp4; v++) {
    const bias = Array.from(
      { length: 4 },
      (_, c) => 4 * v + c < hidden ? `S[${lane.b3 + 4 * v + c}]` : "0.0",
    );
    const lines = [`  { var z = vec4<f32>(${bias.join(", ")});`];
    for (let n = 0; n < maps; n++) lines.push(`    z += sh_q[${n * kp4 + v}u];`);
    for (let c = 0; c < 4 && 4 * v + c < hidden; c++) {
      lines.push(`    h3[${4 * v + c}] = ${act(`z.${"xyzw"[c]}`)};`);
    }
    lines.push("  }");
    p3.push({ code: lines.join("\n"), weight: lines.length });
  }
  for (let o = 0; o < OUTPUTS; o++) {
    const terms: [string, string][] = Array.from(
      { length: hidden },
      (_, k) => [W4(k, o), `h3[${k}]`],
    );
    const finish = loss === "mse" ? `y4[${o}] = tanh(clamp(a, -15.0, 15.0));` : `y4[${o}] = a;`;
    p3.push(dotBlock(`S[${lane.b4 + o}]`, terms, [], finish));
  }
  return {
    p1: split.phase("p1", p1),
    p2: split.phase("p2", p2),
    p3: split.phase("p3", p3),
  };
}

// ---------------------------------------------------------------------------------------------
// Training.

/** The WGSL statement applying gradient `g` (a variable name) to private slot `i`. */
function updateStatement(mode: LecunOptimizer, i: number, g: string): string {
  if (mode === "sgd") return `S[${i}] = fma(-lr, ${g}, S[${i}]);`;
  const { beta1, beta2, eps } = LECUN_ADAM;
  const rest = (beta: number) => Number((1 - beta).toPrecision(12)); // 0.1, not 0.0999…98
  return `{ let m = fma(${beta1}, Mo[${i}], ${rest(beta1)} * ${g}); ` +
    `let v = fma(${beta2}, Ve[${i}], ${rest(beta2)} * ${g} * ${g}); ` +
    `Mo[${i}] = m; Ve[${i}] = v; S[${i}] = S[${i}] * decay - step_size * m / fma(sqrt(v), inv_sqrt_bc2, ${eps}); }`;
}

/**
 * The training kernel: one workgroup per run (`workgroup_id.x` = run), trains examples
 * `start .. start+count-1` of the train set in order, batch size 1.
 *
 * Buffers: images (f32, 256 per example), labels (u32), runs (per run: lr, weight decay,
 * dropout, augment, seed, -, -, -), schedule (per example of the dispatch: AdamW's 1/(1-β1^t)
 * and 1/√(1-β2^t)), tables (`laneTables`), state (per run `runStateStride` floats); uniforms
 * {start, count, step base, zero}.
 *
 * @example
 * ```ts
 * const kernel = gpu.kernel(trainKernel, { width: 1, loss: "mse", activation: "tanh",
 *   mode: "sgd", dropout: false });
 * ```
 */
export const trainKernel = declareKernel("lecun_train", (spec: TrainKernelSpec) => ({
  storage: [
    { name: "images", access: "read", type: "f32" },
    { name: "labels", access: "read", type: "u32" },
    { name: "runs", access: "read", type: "u32" },
    { name: "schedule", access: "read", type: "vec2<f32>" },
    { name: "tables", access: "read", type: "u32" },
    { name: "state", access: "read_write", type: "f32" },
  ],
  uniforms: { start: "u32", count: "u32", step_base: "u32", zero: "u32" },
  body: trainCode(spec),
}));

function trainCode(spec: TrainKernelSpec): string {
  const { loss, mode, dropout } = spec;
  const shape = lecunShape(spec.width);
  const { fanIn, hidden, maps } = shape;
  const lane = laneLayout(shape);
  const params = parameterLayout(shape).size;
  const stride = runStateStride(shape, mode);
  const tables = laneTables(shape);
  const { grad } = activation(spec.activation);
  const split = new FunctionSplitter("f");
  const fwd = forwardCode(split, shape, lane, spec.activation, loss, dropout);
  const W2 = (s: number, t: number) => `S[${lane.w2 + s * TAPS + t}]`;
  const W3 = (q: number, k: number) => `S[${lane.w3 + q * hidden + k}]`;
  const W4 = (k: number, o: number) => `S[${lane.w4 + k * OUTPUTS + o}]`;
  const upd = (i: number, g: string) => updateStatement(mode, i, g);

  // P3 (continued): loss gradient, output and H3 layers, H3 rows of map `lane`.
  const p3: { code: string; weight: number }[] = [];
  if (loss === "mse") {
    for (let o = 0; o < OUTPUTS; o++) {
      p3.push(simple(
        `dz4[${o}] = ${
          2 / OUTPUTS
        } * (y4[${o}] - select(-1.0, 1.0, label == ${o}u)) * (1.0 - y4[${o}] * y4[${o}]);`,
      ));
    }
  } else {
    const lines = ["  { var mx = y4[0];"];
    for (let o = 1; o < OUTPUTS; o++) lines.push(`    mx = max(mx, y4[${o}]);`);
    lines.push("    var total = 0.0;");
    for (let o = 0; o < OUTPUTS; o++) {
      lines.push(`    dz4[${o}] = exp(y4[${o}] - mx); total += dz4[${o}];`);
    }
    lines.push("    let inv = 1.0 / total;");
    for (let o = 0; o < OUTPUTS; o++) {
      lines.push(`    dz4[${o}] = dz4[${o}] * inv - select(0.0, 1.0, label == ${o}u);`);
    }
    lines.push("  }");
    p3.push({ code: lines.join("\n"), weight: lines.length });
  }
  for (let k = 0; k < hidden; k++) {
    const terms: [string, string][] = Array.from(
      { length: OUTPUTS },
      (_, o) => [W4(k, o), `dz4[${o}]`],
    );
    p3.push(dotBlock("0.0", terms, [], `dz3[${k}] = a * ${grad(`h3[${k}]`)};`));
  }
  for (let k = 0; k < hidden; k++) {
    for (let o = 0; o < OUTPUTS; o++) {
      p3.push(
        simple(`{ let g = h3[${k}] * dz4[${o}]; ${upd(lane.w4 + k * OUTPUTS + o, "g")} }`, 2),
      );
    }
  }
  for (let o = 0; o < OUTPUTS; o++) {
    p3.push(simple(`{ let g = dz4[${o}]; ${upd(lane.b4 + o, "g")} }`, 2));
  }
  for (let k = 0; k < hidden; k++) {
    p3.push(simple(`{ let g = dz3[${k}]; ${upd(lane.b3 + k, "g")} }`, 2));
  }
  for (let q = 0; q < 16; q++) {
    const terms: [string, string][] = Array.from(
      { length: hidden },
      (_, k) => [W3(q, k), `dz3[${k}]`],
    );
    const scale = dropout ? ` * dm[${q}]` : "";
    p3.push(dotBlock("0.0", terms, [], `dz2[${q}] = a${scale} * ${grad(`h2[${q}]`)};`));
  }
  for (let q = 0; q < 16; q++) {
    for (let k = 0; k < hidden; k++) {
      p3.push(
        simple(`{ let g = h2d[${q}] * dz3[${k}]; ${upd(lane.w3 + q * hidden + k, "g")} }`, 2),
      );
    }
  }
  for (let q = 0; q < 16; q++) {
    p3.push(simple(`{ let g = dz2[${q}]; ${upd(lane.b2 + q, "g")} }`, 2));
  }
  for (let v = 0; v < 4; v++) {
    p3.push(simple(
      `sh_dz2[lane * 4u + ${v}u] = vec4<f32>(dz2[${4 * v}], dz2[${4 * v + 1}], dz2[${
        4 * v + 2
      }], dz2[${4 * v + 3}]);`,
    ));
  }
  const p3Calls = split.phase("p3b", p3);

  // P4: gradients into H1 map `lane` and of every weight it owns.
  const p4: { code: string; weight: number }[] = [...imageLoads()];
  for (let s = 0; s < fanIn; s++) {
    for (let v = 0; v < 4; v++) {
      const b = s * 16 + 4 * v;
      p4.push(simple(
        `{ let t = sh_dz2[doff[${s}] + ${v}u]; dzs[${b}] = t.x; dzs[${b + 1}] = t.y; dzs[${
          b + 2
        }] = t.z; dzs[${b + 3}] = t.w; }`,
        2,
      ));
    }
  }
  const into: [string, string][][] = Array.from({ length: 64 }, () => []);
  for (let s = 0; s < fanIn; s++) {
    for (let i = 0; i < H2_SIDE; i++) {
      for (let j = 0; j < H2_SIDE; j++) {
        for (let ki = 0; ki < KERNEL; ki++) {
          for (let kj = 0; kj < KERNEL; kj++) {
            const u = h1Unit(2 * i + ki - 2, 2 * j + kj - 2);
            if (u !== null) into[u].push([W2(s, ki * KERNEL + kj), `dzs[${s * 16 + i * 4 + j}]`]);
          }
        }
      }
    }
  }
  for (let p = 0; p < 64; p++) {
    p4.push(dotBlock("0.0", into[p], [], `dz1[${p}] = a * ${grad(`h1[${p}]`)};`));
  }
  for (let s = 0; s < fanIn; s++) {
    for (let ki = 0; ki < KERNEL; ki++) {
      for (let kj = 0; kj < KERNEL; kj++) {
        const terms: [string, string][] = [];
        const negs: string[] = [];
        for (let i = 0; i < H2_SIDE; i++) {
          for (let j = 0; j < H2_SIDE; j++) {
            const d = `dzs[${s * 16 + i * 4 + j}]`;
            const u = h1Unit(2 * i + ki - 2, 2 * j + kj - 2);
            if (u === null) negs.push(d);
            else terms.push([d, `h1[${u}]`]);
          }
        }
        p4.push(dotBlock("0.0", terms, negs, upd(lane.w2 + s * TAPS + ki * KERNEL + kj, "a")));
      }
    }
  }
  for (let ki = 0; ki < KERNEL; ki++) {
    for (let kj = 0; kj < KERNEL; kj++) {
      const terms: [string, string][] = [];
      const negs: string[] = [];
      for (let i = 0; i < H1_SIDE; i++) {
        for (let j = 0; j < H1_SIDE; j++) {
          const d = `dz1[${i * H1_SIDE + j}]`;
          const px = imagePixel(2 * i + ki - 2, 2 * j + kj - 2);
          if (px === null) negs.push(d);
          else terms.push([d, `img[${px}]`]);
        }
      }
      p4.push(dotBlock("0.0", terms, negs, upd(lane.w1 + ki * KERNEL + kj, "a")));
    }
  }
  for (let p = 0; p < 64; p++) {
    p4.push(simple(`{ let g = dz1[${p}]; ${upd(lane.b1 + p, "g")} }`, 2));
  }
  const p4Calls = split.phase("p4", p4);

  const adam = mode === "adamw";
  const extra = `
var<workgroup> sh_dz2: array<vec4<f32>, ${maps * 4}>;
var<private> dm: array<f32, 16>;
var<private> dz4: array<f32, ${OUTPUTS}>;
var<private> dz3: array<f32, ${hidden}>;
var<private> dz2: array<f32, 16>;
var<private> dzs: array<f32, ${fanIn * 16}>;
var<private> dz1: array<f32, 64>;
var<private> doff: array<u32, ${fanIn}>;
${
    adam
      ? `var<private> Mo: array<f32, ${lane.padded}>;\nvar<private> Ve: array<f32, ${lane.padded}>;`
      : ""
  }
var<private> lr: f32;
var<private> decay: f32;
var<private> step_size: f32;
var<private> inv_sqrt_bc2: f32;
var<private> drop_p: f32;
var<private> drop_scale: f32;
var<private> seed: u32;
var<private> augment: u32;
var<private> cur_step: u32;
var<private> zero: u32;`;
  const base = `run * ${stride}u`;
  const offsetLoads = Array.from(
    { length: fanIn },
    (_, s) =>
      `soff[${s}] = tables[${tables.offsetsAt}u + lane * ${2 * fanIn}u + ${s}u]; ` +
      `doff[${s}] = tables[${tables.offsetsAt}u + lane * ${2 * fanIn}u + ${fanIn + s}u];`,
  ).join("\n  ");
  return `${declarations(shape, lane, extra)}
${copyImageFunction(maps, true)}
${split.functions.join("\n")}

${rotationFunctions(lane, tables.storeAt)}

fn load_state(run: u32) {
  let at = ${base};
${loadState("S", lane, "at")}
${
    adam
      ? `${loadState("Mo", lane, `at + ${params}u`)}\n${
        loadState("Ve", lane, `at + ${2 * params}u`)
      }`
      : ""
  }
}

fn store_state(run: u32) {
  let at = ${base};
${storeState("S", lane, "at")}
${
    adam
      ? `${storeState("Mo", lane, `at + ${params}u`)}\n${
        storeState("Ve", lane, `at + ${2 * params}u`)
      }`
      : ""
  }
}

@compute @workgroup_size(${maps})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  lane = lid;
  zero = p.zero;
  let run = wg.x;
  let cfg = run * ${RUN_CONFIG_WORDS}u;
  lr = bitcast<f32>(runs[cfg]);
  decay = 1.0 - lr * bitcast<f32>(runs[cfg + 1u]);
  drop_p = bitcast<f32>(runs[cfg + 2u]);
  drop_scale = 1.0 / (1.0 - drop_p);
  augment = runs[cfg + 3u];
  seed = runs[cfg + 4u];
  ${offsetLoads}
  load_state(run);
  copy_image(p.start, p.step_base, 0u);
  workgroupBarrier();
  for (var e = 0u; e < p.count; e++) {
    img_at = (e & 1u) * 64u;
    cur_step = p.step_base + e;
    label = labels[p.start + e];
    let sched = schedule[e];
    step_size = lr * sched.x;
    inv_sqrt_bc2 = sched.y;
    ${fwd.p1}
    workgroupBarrier();
    ${fwd.p2}
    workgroupBarrier();
    ${fwd.p3}
    ${p3Calls}
    if (e + 1u < p.count) { copy_image(p.start + e + 1u, cur_step + 1u, 64u - img_at); }
    workgroupBarrier();
    ${p4Calls}
  }
  store_state(run);
}
`;
}

// ---------------------------------------------------------------------------------------------
// Evaluation.

/** The compile-time choices of an evaluation kernel. */
export interface EvalKernelSpec {
  readonly [key: string]: string | number | boolean;
  width: number;
  loss: LecunLoss;
  activation: LecunActivation;
}

/**
 * The evaluation kernel: workgroup (b, r) runs the forward pass of run r's parameters over
 * examples `base + b·block ..` (at most `block`, ending before `end`) and writes the summed
 * loss and the number of misses (argmax ≠ label) to `stats[out + (r·blocks + b)·2 + 0|1]`.
 *
 * Buffers: images, labels, tables, state (read: parameters at `r·stride`), stats (f32);
 * uniforms {block, base, end, blocks, stride, zero, out}.
 *
 * @example
 * ```ts
 * const kernel = gpu.kernel(evalKernel, { width: 1, loss: "mse", activation: "tanh" });
 * ```
 */
export const evalKernel = declareKernel("lecun_eval", (spec: EvalKernelSpec) => ({
  storage: [
    { name: "images", access: "read", type: "f32" },
    { name: "labels", access: "read", type: "u32" },
    { name: "tables", access: "read", type: "u32" },
    { name: "state", access: "read", type: "f32" },
    { name: "stats", access: "read_write", type: "f32" },
  ],
  uniforms: {
    block: "u32",
    base: "u32",
    end: "u32",
    blocks: "u32",
    stride: "u32",
    zero: "u32",
    out: "u32",
  },
  body: evalCode(spec),
}));

function evalCode(spec: EvalKernelSpec): string {
  const { loss } = spec;
  const shape = lecunShape(spec.width);
  const lane = laneLayout(shape);
  const split = new FunctionSplitter("e");
  const fwd = forwardCode(split, shape, lane, spec.activation, loss, false);
  const p3: { code: string; weight: number }[] = [];
  if (loss === "mse") {
    const terms = Array.from({ length: OUTPUTS }, (_, o) => {
      const d = `(y4[${o}] - select(-1.0, 1.0, label == ${o}u))`;
      return `${d} * ${d}`;
    });
    p3.push(simple(`loss_sum += (${terms.join(" + ")}) * ${1 / OUTPUTS};`, 4));
  } else {
    const lines = ["  { var mx = y4[0];"];
    for (let o = 1; o < OUTPUTS; o++) lines.push(`    mx = max(mx, y4[${o}]);`);
    lines.push(`    var total = 0.0; var picked = 0.0;`);
    for (let o = 0; o < OUTPUTS; o++) {
      lines.push(
        `    total += exp(y4[${o}] - mx); picked = select(picked, y4[${o}], label == ${o}u);`,
      );
    }
    lines.push("    loss_sum += mx + log(total) - picked; }");
    p3.push({ code: lines.join("\n"), weight: lines.length });
  }
  const argmax = ["  { var best = y4[0]; var arg = 0u;"];
  for (let o = 1; o < OUTPUTS; o++) {
    argmax.push(`    if (y4[${o}] > best) { best = y4[${o}]; arg = ${o}u; }`);
  }
  argmax.push("    misses += select(0.0, 1.0, arg != label); }");
  p3.push({ code: argmax.join("\n"), weight: argmax.length });
  const p3Calls = split.phase("p3b", p3);
  const extra = `
var<private> loss_sum: f32;
var<private> misses: f32;
var<private> zero: u32;`;
  const tables = laneTables(shape);
  const offsetLoads = Array.from(
    { length: shape.fanIn },
    (_, s) => `soff[${s}] = tables[${tables.offsetsAt}u + lane * ${2 * shape.fanIn}u + ${s}u];`,
  ).join("\n  ");
  return `${declarations(shape, lane, extra)}
${copyImageFunction(shape.maps, false)}
${split.functions.join("\n")}

${rotationFunctions(lane, null)}

fn load_state(run: u32) {
  let at = run * p.stride;
${loadState("S", lane, "at")}
}

@compute @workgroup_size(${shape.maps})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  lane = lid;
  zero = p.zero;
  let run = wg.y;
  let first = p.base + wg.x * p.block;
  let count = min(p.block, p.end - first);
  ${offsetLoads}
  load_state(run);
  loss_sum = 0.0;
  misses = 0.0;
  img_at = 0u;
  copy_image(first, 0u, 0u);
  workgroupBarrier();
  for (var e = 0u; e < count; e++) {
    label = labels[first + e];
    ${fwd.p1}
    workgroupBarrier();
    ${fwd.p2}
    if (e + 1u < count) { copy_image(first + e + 1u, 0u, 0u); }
    workgroupBarrier();
    ${fwd.p3}
    ${p3Calls}
  }
  if (lane == 0u) {
    let at = p.out + (run * p.blocks + wg.x) * 2u;
    stats[at] = loss_sum;
    stats[at + 1u] = misses;
  }
}
`;
}

// ---------------------------------------------------------------------------------------------
// Launchers.

/** What one run trains with that may differ between the runs of one dispatch. */
export interface RunSettings {
  /** Learning rate of this dispatch's examples. */
  lr: number;
  /** AdamW's decoupled weight decay (0 for SGD). */
  weightDecay: number;
  /** Dropout probability on H3's input. */
  dropout: number;
  /** Random ±1 px shifts of the input. */
  augment: boolean;
  /** Seed of the shifts and dropout masks. */
  seed: number;
}

/** The buffers every dispatch of a group of runs binds. */
export interface RunGroupBuffers {
  /** 256 floats per example, train digits first. */
  images: GpuBuffer;
  /** One u32 label per example. */
  labels: GpuBuffer;
  /** {@link laneTables} of the shape. */
  tables: GpuBuffer;
  /** Per run {@link runStateStride} floats: parameters, then AdamW's moments. */
  state: GpuBuffer;
}

/**
 * Records training of every run on train digits `start .. start+count-1` (one workgroup per
 * run); `stepBase` numbers the first of them (global step, from 0) for the noise and AdamW's
 * bias correction.
 *
 * @example
 * ```ts
 * recordTraining(gpu, spec, buffers, runs, { start: 0, count: 7291, stepBase: 0 });
 * ```
 */
export function recordTraining(
  gpu: Gpu,
  spec: TrainKernelSpec,
  buffers: RunGroupBuffers,
  runs: readonly RunSettings[],
  examples: { start: number; count: number; stepBase: number },
): void {
  const { start, count, stepBase } = examples;
  if (count > MAX_EXAMPLES_PER_DISPATCH) {
    throw new Error(
      `lecun: ${count} examples in one dispatch, at most ${MAX_EXAMPLES_PER_DISPATCH}`,
    );
  }
  const words = new Uint32Array(runs.length * RUN_CONFIG_WORDS);
  const asFloat = new Float32Array(words.buffer);
  runs.forEach((run, r) => {
    const at = r * RUN_CONFIG_WORDS;
    asFloat[at] = run.lr;
    asFloat[at + 1] = run.weightDecay;
    asFloat[at + 2] = run.dropout;
    words[at + 3] = run.augment ? 1 : 0;
    words[at + 4] = run.seed >>> 0;
  });
  const schedule = new Float32Array(count * 2);
  for (let e = 0; e < count; e++) {
    const t = stepBase + e + 1;
    schedule[2 * e] = 1 / (1 - LECUN_ADAM.beta1 ** t);
    schedule[2 * e + 1] = 1 / Math.sqrt(1 - LECUN_ADAM.beta2 ** t);
  }
  const runBuffer = gpu.upload(words);
  const scheduleBuffer = gpu.upload(schedule);
  gpu.run(
    trainKernel,
    spec,
    { ...buffers, runs: runBuffer, schedule: scheduleBuffer },
    { start, count, step_base: stepBase, zero: 0 },
    [runs.length],
  );
  gpu.pool.release(runBuffer);
  gpu.pool.release(scheduleBuffer);
}

/**
 * Records the evaluation of `runs` runs (states `stride` floats apart) on examples
 * `base .. base+count-1` in blocks of `block`, writing per (run, block) the summed loss and
 * misses into `stats` from float `out`; returns the floats written.
 *
 * @example
 * ```ts
 * const stride = runStateStride(lecunShape(1), "sgd");
 * recordEvaluation(gpu, spec, buffers, stats, { runs: 1, stride }, { base: 0, count: 7291, block: 128, out: 0 });
 * ```
 */
export function recordEvaluation(
  gpu: Gpu,
  spec: EvalKernelSpec,
  buffers: RunGroupBuffers,
  stats: GpuBuffer,
  { runs, stride }: { runs: number; stride: number },
  set: { base: number; count: number; block: number; out: number },
): number {
  const blocks = Math.ceil(set.count / set.block);
  gpu.run(evalKernel, spec, { ...buffers, stats }, {
    block: set.block,
    base: set.base,
    end: set.base + set.count,
    blocks,
    stride,
    zero: 0,
    out: set.out,
  }, [blocks, runs]);
  return runs * blocks * 2;
}
