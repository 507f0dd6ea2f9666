/**
 * A plain float64 implementation of the 1989 net: forward, loss, backward and the SGD/AdamW
 * updates, loop by loop as the paper describes it. It is the yardstick the whole-run WGSL
 * kernels are tested against (and is itself checked against finite differences).
 *
 * @module
 */
import {
  H1_SIDE,
  H2_SIDE,
  h2Inputs,
  INPUT_SIDE,
  KERNEL,
  type LecunActivation,
  type LecunLoss,
  type LecunShape,
  OUTPUTS,
  PAD_VALUE,
  parameterLayout,
  TAPS,
} from "./architecture.ts";
import { LECUN_ADAM } from "./train_kernel.ts";

/** What the forward pass depends on besides the parameters. */
export interface ReferenceOptions {
  loss: LecunLoss;
  activation: LecunActivation;
  /**
   * Per H2 unit (maps·16), the factor dropout applies to H3's input: 0 or 1/(1-p); all 1
   * when absent (evaluation, or no dropout).
   */
  dropoutScale?: ArrayLike<number>;
}

/** Forward and backward of one example. */
export interface ReferenceResult {
  /** The loss of the example (MSE over the 10 outputs, or cross-entropy). */
  loss: number;
  /** The 10 outputs: tanh outputs with MSE, logits with cross-entropy. */
  output: Float64Array;
  /** d loss / d parameters, in the flat layout. */
  gradient: Float64Array;
}

const act = (a: LecunActivation, z: number) => a === "tanh" ? Math.tanh(z) : Math.max(z, 0);
const actGrad = (a: LecunActivation, h: number) => a === "tanh" ? 1 - h * h : h > 0 ? 1 : 0;

/**
 * Forward and backward of one 16×16 image with class `label`.
 *
 * @example
 * ```ts
 * const shape = lecunShape(1);
 * const { loss, gradient } = referenceGradient(shape, initParameters(shape, 1, -1), image, 3,
 *   { loss: "mse", activation: "tanh" });
 * ```
 */
export function referenceGradient(
  shape: LecunShape,
  params: ArrayLike<number>,
  image: ArrayLike<number>,
  label: number,
  options: ReferenceOptions,
): ReferenceResult {
  const L = parameterLayout(shape);
  const { maps, hidden, fanIn } = shape;
  const a = options.activation;
  const P = (name: keyof typeof L & string, i: number) =>
    params[(L[name] as { offset: number }).offset + i];
  const inputs = Array.from({ length: maps }, (_, n) => h2Inputs(shape, n));
  const pad = 2;
  const xp = (y: number, x: number) => {
    const yy = y - pad, xx = x - pad;
    return yy < 0 || yy >= INPUT_SIDE || xx < 0 || xx >= INPUT_SIDE
      ? PAD_VALUE
      : image[yy * INPUT_SIDE + xx];
  };
  // H1
  const h1 = new Float64Array(maps * 64);
  for (let m = 0; m < maps; m++) {
    for (let i = 0; i < H1_SIDE; i++) {
      for (let j = 0; j < H1_SIDE; j++) {
        let z = P("h1b", m * 64 + i * 8 + j);
        for (let ki = 0; ki < KERNEL; ki++) {
          for (let kj = 0; kj < KERNEL; kj++) {
            z += P("h1w", m * TAPS + ki * 5 + kj) * xp(2 * i + ki, 2 * j + kj);
          }
        }
        h1[m * 64 + i * 8 + j] = act(a, z);
      }
    }
  }
  const h1p = (c: number, y: number, x: number) => {
    const yy = y - pad, xx = x - pad;
    return yy < 0 || yy >= H1_SIDE || xx < 0 || xx >= H1_SIDE
      ? PAD_VALUE
      : h1[c * 64 + yy * 8 + xx];
  };
  // H2
  const h2Units = maps * 16;
  const h2 = new Float64Array(h2Units);
  const h2d = new Float64Array(h2Units);
  const scale = options.dropoutScale;
  for (let n = 0; n < maps; n++) {
    for (let i = 0; i < H2_SIDE; i++) {
      for (let j = 0; j < H2_SIDE; j++) {
        const u = n * 16 + i * 4 + j;
        let z = P("h2b", u);
        for (let ci = 0; ci < fanIn; ci++) {
          for (let ki = 0; ki < KERNEL; ki++) {
            for (let kj = 0; kj < KERNEL; kj++) {
              z += P("h2w", (n * fanIn + ci) * TAPS + ki * 5 + kj) *
                h1p(inputs[n][ci], 2 * i + ki, 2 * j + kj);
            }
          }
        }
        h2[u] = act(a, z);
        h2d[u] = h2[u] * (scale ? scale[u] : 1);
      }
    }
  }
  // H3
  const h3 = new Float64Array(hidden);
  for (let k = 0; k < hidden; k++) {
    let z = P("h3b", k);
    for (let u = 0; u < h2Units; u++) z += h2d[u] * P("h3w", u * hidden + k);
    h3[k] = act(a, z);
  }
  // Output and loss.
  const z4 = new Float64Array(OUTPUTS);
  for (let o = 0; o < OUTPUTS; o++) {
    let z = P("outb", o);
    for (let k = 0; k < hidden; k++) z += h3[k] * P("outw", k * OUTPUTS + o);
    z4[o] = z;
  }
  const dz4 = new Float64Array(OUTPUTS);
  let loss = 0;
  let output: Float64Array;
  if (options.loss === "mse") {
    output = z4.map(Math.tanh);
    for (let o = 0; o < OUTPUTS; o++) {
      const t = o === label ? 1 : -1;
      loss += (output[o] - t) ** 2 / OUTPUTS;
      dz4[o] = (2 / OUTPUTS) * (output[o] - t) * (1 - output[o] ** 2);
    }
  } else {
    output = z4;
    const max = Math.max(...z4);
    let sum = 0;
    for (let o = 0; o < OUTPUTS; o++) sum += Math.exp(z4[o] - max);
    loss = max + Math.log(sum) - z4[label];
    for (let o = 0; o < OUTPUTS; o++) dz4[o] = Math.exp(z4[o] - max) / sum - (o === label ? 1 : 0);
  }
  // Backward.
  const g = new Float64Array(L.size);
  const G = (name: keyof typeof L & string, i: number) =>
    (L[name] as { offset: number }).offset + i;
  const dz3 = new Float64Array(hidden);
  for (let o = 0; o < OUTPUTS; o++) {
    g[G("outb", o)] = dz4[o];
    for (let k = 0; k < hidden; k++) g[G("outw", k * OUTPUTS + o)] = h3[k] * dz4[o];
  }
  for (let k = 0; k < hidden; k++) {
    let d = 0;
    for (let o = 0; o < OUTPUTS; o++) d += P("outw", k * OUTPUTS + o) * dz4[o];
    dz3[k] = d * actGrad(a, h3[k]);
    g[G("h3b", k)] = dz3[k];
  }
  const dz2 = new Float64Array(h2Units);
  for (let u = 0; u < h2Units; u++) {
    let d = 0;
    for (let k = 0; k < hidden; k++) {
      d += P("h3w", u * hidden + k) * dz3[k];
      g[G("h3w", u * hidden + k)] = h2d[u] * dz3[k];
    }
    dz2[u] = d * (scale ? scale[u] : 1) * actGrad(a, h2[u]);
    g[G("h2b", u)] = dz2[u];
  }
  const dh1 = new Float64Array(maps * 64);
  for (let n = 0; n < maps; n++) {
    for (let ci = 0; ci < fanIn; ci++) {
      const c = inputs[n][ci];
      for (let ki = 0; ki < KERNEL; ki++) {
        for (let kj = 0; kj < KERNEL; kj++) {
          const wi = (n * fanIn + ci) * TAPS + ki * 5 + kj;
          let gw = 0;
          for (let i = 0; i < H2_SIDE; i++) {
            for (let j = 0; j < H2_SIDE; j++) {
              const d = dz2[n * 16 + i * 4 + j];
              gw += d * h1p(c, 2 * i + ki, 2 * j + kj);
              const y = 2 * i + ki - pad, x = 2 * j + kj - pad;
              if (y >= 0 && y < H1_SIDE && x >= 0 && x < H1_SIDE) {
                dh1[c * 64 + y * 8 + x] += P("h2w", wi) * d;
              }
            }
          }
          g[G("h2w", wi)] = gw;
        }
      }
    }
  }
  for (let m = 0; m < maps; m++) {
    for (let p = 0; p < 64; p++) {
      const d = dh1[m * 64 + p] * actGrad(a, h1[m * 64 + p]);
      g[G("h1b", m * 64 + p)] = d;
      const i = Math.floor(p / 8), j = p % 8;
      for (let ki = 0; ki < KERNEL; ki++) {
        for (let kj = 0; kj < KERNEL; kj++) {
          g[G("h1w", m * TAPS + ki * 5 + kj)] += d * xp(2 * i + ki, 2 * j + kj);
        }
      }
    }
  }
  return { loss, output, gradient: g };
}

/** Optimizer state of the float64 reference. */
export interface ReferenceOptimizerState {
  /** Steps taken so far. */
  step: number;
  /** First and second moments (AdamW only). */
  m?: Float64Array;
  v?: Float64Array;
}

/**
 * One optimizer step in place on `params` (float64): SGD `p -= lr·g`, or PyTorch's AdamW
 * (decay `p *= 1 - lr·wd`, then the bias-corrected Adam step).
 *
 * @example
 * ```ts
 * const state = { step: 0 };
 * referenceUpdate(params, gradient, state, "sgd", 0.03, 0);
 * ```
 */
export function referenceUpdate(
  params: Float64Array,
  gradient: ArrayLike<number>,
  state: ReferenceOptimizerState,
  optimizer: "sgd" | "adamw",
  lr: number,
  weightDecay: number,
): void {
  state.step++;
  if (optimizer === "sgd") {
    for (let i = 0; i < params.length; i++) params[i] -= lr * gradient[i];
    return;
  }
  const m = state.m ??= new Float64Array(params.length);
  const v = state.v ??= new Float64Array(params.length);
  const bc1 = 1 - LECUN_ADAM.beta1 ** state.step;
  const bc2 = 1 - LECUN_ADAM.beta2 ** state.step;
  for (let i = 0; i < params.length; i++) {
    const g = gradient[i];
    params[i] *= 1 - lr * weightDecay;
    m[i] = LECUN_ADAM.beta1 * m[i] + (1 - LECUN_ADAM.beta1) * g;
    v[i] = LECUN_ADAM.beta2 * v[i] + (1 - LECUN_ADAM.beta2) * g * g;
    params[i] -= (lr / bc1) * m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + LECUN_ADAM.eps);
  }
}
