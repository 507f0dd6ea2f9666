/**
 * The 1989 LeCun net's shape: layer sizes (with a width multiplier for H1/H2/H3), H2's
 * connection table, the flat parameter layout (PyTorch's parameter order in
 * karpathy/lecun1989-repro), and parameter and multiply-accumulate counts.
 *
 * Input 16×16 padded by 2 with -1 → H1: 5×5 stride-2 conv to `maps` maps of 8×8, one bias per
 * unit → padded by 2 with -1 → H2: 5×5 stride-2 conv to `maps` maps of 4×4, each map seeing
 * two of H1's three map groups (maps 0–3 see 0–7, 4–7 see 4–11, 8–11 see 0–3 and 8–11), one
 * bias per unit → H3: fully connected to `hidden` units → output: fully connected to 10.
 *
 * @module
 */

/** Loss on the 10 outputs: mean squared error after tanh, or softmax cross-entropy. */
export type LecunLoss = "mse" | "ce";
/** Hidden-layer nonlinearity. */
export type LecunActivation = "tanh" | "relu";
/** Optimizer (batch size 1): plain SGD or AdamW. */
export type LecunOptimizer = "sgd" | "adamw";

/** Side of the input digits. */
export const INPUT_SIDE = 16;
/** Side of H1's maps. */
export const H1_SIDE = 8;
/** Side of H2's maps. */
export const H2_SIDE = 4;
/** Convolution kernel side. */
export const KERNEL = 5;
/** Taps per kernel (5×5). */
export const TAPS = KERNEL * KERNEL;
/** Output units (digits). */
export const OUTPUTS = 10;
/** Value of the padding around the input and around H1 (the background). */
export const PAD_VALUE = -1;

/** The layer sizes of one net. */
export interface LecunShape {
  /** Width multiplier of H1/H2/H3 (1 for the 1989 net). */
  width: number;
  /** Maps in H1 and in H2 (12 × width). */
  maps: number;
  /** Maps per group (maps / 3); each H2 map sees two groups. */
  group: number;
  /** H1 maps each H2 map sees (2 × group). */
  fanIn: number;
  /** Units of H3 (round(30 × width)). */
  hidden: number;
}

/**
 * The shape for a width multiplier; `4 × width` must be a positive integer (groups of whole
 * maps). Throws one line otherwise.
 *
 * @example
 * ```ts
 * lecunShape(1); // { width: 1, maps: 12, group: 4, fanIn: 8, hidden: 30 }
 * ```
 */
export function lecunShape(width = 1): LecunShape {
  const group = 4 * width;
  if (!Number.isInteger(group) || group < 1) {
    throw new Error(
      `width multiplier must make 4 × width a positive integer (0.25, 0.5, 0.75, 1, ...), got ${width}`,
    );
  }
  return {
    width,
    maps: 3 * group,
    group,
    fanIn: 2 * group,
    hidden: Math.max(1, Math.round(30 * width)),
  };
}

/**
 * H1 maps seen by H2 map `n`, in the order of H2's weight tensor `[maps, fanIn, 5, 5]`: the
 * first third of H2 sees groups A,B; the second B,C; the last A,C (group = maps / 3).
 *
 * @example
 * ```ts
 * h2Inputs(lecunShape(1), 9); // [0, 1, 2, 3, 8, 9, 10, 11]
 * ```
 */
export function h2Inputs(shape: LecunShape, n: number): number[] {
  const g = shape.group;
  const groups = [[0, 1], [1, 2], [0, 2]][Math.floor(n / g)];
  return groups.flatMap((k) => Array.from({ length: g }, (_, j) => k * g + j));
}

/** One H2 map fed by an H1 map, and that H1 map's index among the H2 map's inputs. */
export interface Fanout {
  /** The H2 map. */
  n: number;
  /** Position of the H1 map in `h2Inputs(shape, n)`. */
  input: number;
}

/**
 * The H2 maps that H1 map `c` feeds (2 × group of them), in increasing `n`.
 *
 * @example
 * ```ts
 * h1Fanout(lecunShape(1), 0).map((f) => f.n); // [0, 1, 2, 3, 8, 9, 10, 11]
 * ```
 */
export function h1Fanout(shape: LecunShape, c: number): Fanout[] {
  const out: Fanout[] = [];
  for (let n = 0; n < shape.maps; n++) {
    const input = h2Inputs(shape, n).indexOf(c);
    if (input >= 0) out.push({ n, input });
  }
  return out;
}

/** Names of the parameter tensors, in layout order. */
export const PARAMETER_NAMES = ["h1w", "h1b", "h2w", "h2b", "h3w", "h3b", "outw", "outb"] as const;
/** A parameter tensor's name. */
export type ParameterName = typeof PARAMETER_NAMES[number];

/** Where each parameter tensor lives in the flat parameter vector, and its shape. */
export type ParameterLayout = Record<ParameterName, { offset: number; shape: number[] }> & {
  /** Total number of parameters. */
  size: number;
};

/**
 * The flat parameter layout, in PyTorch's order: H1w [maps,1,5,5], H1b [maps,8,8],
 * H2w [maps,fanIn,5,5], H2b [maps,4,4], H3w [maps·16, hidden], H3b [hidden],
 * outw [hidden, 10], outb [10].
 *
 * @example
 * ```ts
 * parameterLayout(lecunShape(1)).h2w; // { offset: 1068, shape: [12, 8, 5, 5] }
 * ```
 */
export function parameterLayout(shape: LecunShape): ParameterLayout {
  const { maps, fanIn, hidden } = shape;
  const h2Units = maps * H2_SIDE * H2_SIDE;
  const shapes: Record<ParameterName, number[]> = {
    h1w: [maps, 1, KERNEL, KERNEL],
    h1b: [maps, H1_SIDE, H1_SIDE],
    h2w: [maps, fanIn, KERNEL, KERNEL],
    h2b: [maps, H2_SIDE, H2_SIDE],
    h3w: [h2Units, hidden],
    h3b: [hidden],
    outw: [hidden, OUTPUTS],
    outb: [OUTPUTS],
  };
  let offset = 0;
  const layout = {} as Record<ParameterName, { offset: number; shape: number[] }>;
  for (const name of PARAMETER_NAMES) {
    layout[name] = { offset, shape: shapes[name] };
    offset += shapes[name].reduce((a, b) => a * b, 1);
  }
  return { ...layout, size: offset };
}

/**
 * Number of parameters (9,760 for the 1989 net).
 *
 * @example
 * ```ts
 * countParameters(lecunShape(1)); // 9760
 * ```
 */
export function countParameters(shape: LecunShape): number {
  return parameterLayout(shape).size;
}

/**
 * Multiply-accumulates of one forward pass (63,660 for the 1989 net), counted as the paper
 * and the PyTorch reproduction do: every connection once, padding included.
 *
 * @example
 * ```ts
 * countMacs(lecunShape(1)); // 63660
 * ```
 */
export function countMacs(shape: LecunShape): number {
  const { maps, fanIn, hidden } = shape;
  const h1 = TAPS * H1_SIDE * H1_SIDE * maps;
  const h2 = TAPS * fanIn * H2_SIDE * H2_SIDE * maps;
  const h3 = maps * H2_SIDE * H2_SIDE * hidden;
  return h1 + h2 + h3 + hidden * OUTPUTS;
}
