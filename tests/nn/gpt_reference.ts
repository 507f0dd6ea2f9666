/**
 * A plain-TypeScript float64 GPT, forward and backward written out layer by layer (llm.c style),
 * with every architecture switch of {@link GptConfig} except dropout. Tests compare the WebGPU
 * model's loss and gradients with it.
 *
 * @module
 */
import { attentionBackwardReference, attentionReference } from "../../kernels/attention.ts";
import { erf } from "../../kernels/elementwise.ts";
import { LAYER_NORM_EPS } from "../../kernels/layernorm.ts";
import { type GptConfig, headSize } from "../../lib/nn/config.ts";
import { gptParameterLayout, sinusoidalPositions } from "../../lib/nn/parameters.ts";

/** Loss, logits and gradients of {@link referenceGptLoss}. */
export interface ReferenceGptResult {
  /** Mean cross-entropy in nats over all B·T positions. */
  loss: number;
  /** Logits [B, T, V]. */
  logits: Float64Array;
  /** Gradient of the loss for every parameter of {@link gptParameterLayout}, by name. */
  grads: Map<string, Float64Array>;
}

type Backward = () => void;

/**
 * The mean cross-entropy of a GPT on one batch and its gradients, in float64.
 *
 * @example
 * ```ts
 * const { loss, grads } = referenceGptLoss(config, gptInitialParameters(config, 0), inputs, targets, 2, 8);
 * ```
 */
export function referenceGptLoss(
  config: GptConfig,
  params: ReadonlyMap<string, ArrayLike<number>>,
  inputs: ArrayLike<number>,
  targets: ArrayLike<number>,
  batch: number,
  context: number,
): ReferenceGptResult {
  if (config.dropout !== 0) throw new Error("referenceGptLoss: dropout must be 0");
  if (context > config.blockSize) {
    throw new Error(`referenceGptLoss: context ${context} exceeds blockSize ${config.blockSize}`);
  }
  const c = config.nEmbd;
  const v = config.vocabSize;
  const rows = batch * context;
  const p = new Map<string, Float64Array>();
  const grads = new Map<string, Float64Array>();
  for (const spec of gptParameterLayout(config)) {
    const values = params.get(spec.name);
    if (!values) throw new Error(`referenceGptLoss: missing parameter ${spec.name}`);
    p.set(spec.name, Float64Array.from(values));
    grads.set(spec.name, new Float64Array(values.length));
  }
  const tape: Backward[] = [];
  const P = (name: string) => p.get(name)!;
  const G = (name: string) => grads.get(name)!;
  const has = (name: string) => p.has(name);

  // Embeddings.
  const wte = P("transformer.wte.weight");
  const positions = config.positions === "learned"
    ? P("transformer.wpe.weight")
    : Float64Array.from(sinusoidalPositions(config.blockSize, c));
  let x: Float64Array = new Float64Array(rows * c);
  for (let r = 0; r < rows; r++) {
    const token = inputs[r], t = r % context;
    for (let k = 0; k < c; k++) x[r * c + k] = wte[token * c + k] + positions[t * c + k];
  }
  const dx0 = new Float64Array(rows * c);
  tape.push(() => {
    const gte = G("transformer.wte.weight");
    const gpe = config.positions === "learned" ? G("transformer.wpe.weight") : null;
    for (let r = 0; r < rows; r++) {
      const token = inputs[r], t = r % context;
      for (let k = 0; k < c; k++) {
        gte[token * c + k] += dx0[r * c + k];
        if (gpe) gpe[t * c + k] += dx0[r * c + k];
      }
    }
  });

  // Every activation gets a gradient buffer; `grad(a)` finds it.
  const gradOf = new Map<Float64Array, Float64Array>([[x, dx0]]);
  const grad = (a: Float64Array) => {
    let g = gradOf.get(a);
    if (!g) gradOf.set(a, g = new Float64Array(a.length));
    return g;
  };

  const layerNorm = (input: Float64Array, prefix: string): Float64Array => {
    const w = P(`${prefix}.weight`);
    const b = has(`${prefix}.bias`) ? P(`${prefix}.bias`) : null;
    const out = new Float64Array(input.length);
    const mean = new Float64Array(rows), rstd = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let m = 0;
      for (let k = 0; k < c; k++) m += input[r * c + k];
      m /= c;
      let s = 0;
      for (let k = 0; k < c; k++) s += (input[r * c + k] - m) ** 2;
      const rs = 1 / Math.sqrt(s / c + LAYER_NORM_EPS);
      mean[r] = m;
      rstd[r] = rs;
      for (let k = 0; k < c; k++) {
        out[r * c + k] = (input[r * c + k] - m) * rs * w[k] + (b ? b[k] : 0);
      }
    }
    tape.push(() => {
      const dout = grad(out), din = grad(input);
      const gw = G(`${prefix}.weight`);
      const gb = b ? G(`${prefix}.bias`) : null;
      for (let r = 0; r < rows; r++) {
        let sumG = 0, sumGX = 0;
        for (let k = 0; k < c; k++) {
          const xhat = (input[r * c + k] - mean[r]) * rstd[r];
          const dy = dout[r * c + k];
          gw[k] += dy * xhat;
          if (gb) gb[k] += dy;
          const dxhat = dy * w[k];
          sumG += dxhat;
          sumGX += dxhat * xhat;
        }
        for (let k = 0; k < c; k++) {
          const xhat = (input[r * c + k] - mean[r]) * rstd[r];
          const dxhat = dout[r * c + k] * w[k];
          din[r * c + k] += rstd[r] * (dxhat - sumG / c - xhat * sumGX / c);
        }
      }
    });
    return out;
  };

  /** y[r, o] = Σ_i x[r, i] W[o, i] + b[o], W named `weightName` ([out, in]). */
  const linear = (
    input: Float64Array,
    weightName: string,
    biasName: string | null,
    inner: number,
    outer: number,
  ): Float64Array => {
    const w = P(weightName);
    const b = biasName && has(biasName) ? P(biasName) : null;
    const out = new Float64Array(rows * outer);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < outer; o++) {
        let s = b ? b[o] : 0;
        for (let i = 0; i < inner; i++) s += input[r * inner + i] * w[o * inner + i];
        out[r * outer + o] = s;
      }
    }
    tape.push(() => {
      const dout = grad(out), din = grad(input), gw = G(weightName);
      const gb = b ? G(biasName!) : null;
      for (let r = 0; r < rows; r++) {
        for (let o = 0; o < outer; o++) {
          const dy = dout[r * outer + o];
          if (gb) gb[o] += dy;
          for (let i = 0; i < inner; i++) {
            din[r * inner + i] += dy * w[o * inner + i];
            gw[o * inner + i] += dy * input[r * inner + i];
          }
        }
      }
    });
    return out;
  };

  const add = (a: Float64Array, b: Float64Array): Float64Array => {
    const out = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
    tape.push(() => {
      const dout = grad(out), da = grad(a), db = grad(b);
      for (let i = 0; i < a.length; i++) {
        da[i] += dout[i];
        db[i] += dout[i];
      }
    });
    return out;
  };

  const activation = (input: Float64Array): Float64Array => {
    const out = new Float64Array(input.length);
    const gelu = config.activation === "gelu";
    for (let i = 0; i < input.length; i++) {
      const z = input[i];
      out[i] = gelu ? 0.5 * z * (1 + erf(z / Math.SQRT2)) : Math.max(z, 0);
    }
    tape.push(() => {
      const dout = grad(out), din = grad(input);
      for (let i = 0; i < input.length; i++) {
        const z = input[i];
        const d = gelu
          ? 0.5 * (1 + erf(z / Math.SQRT2)) + z * Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI)
          : z > 0
          ? 1
          : 0;
        din[i] += dout[i] * d;
      }
    });
    return out;
  };

  const attention = (qkv: Float64Array): Float64Array => {
    const h = config.nHead, d = headSize(config);
    const size = batch * h * context * d;
    const q = new Float64Array(size), k = new Float64Array(size), vv = new Float64Array(size);
    const at = (b: number, head: number, t: number) => ((b * h + head) * context + t) * d;
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < context; t++) {
        const row = (b * context + t) * 3 * c;
        for (let head = 0; head < h; head++) {
          for (let e = 0; e < d; e++) {
            q[at(b, head, t) + e] = qkv[row + head * d + e];
            k[at(b, head, t) + e] = qkv[row + c + head * d + e];
            vv[at(b, head, t) + e] = qkv[row + 2 * c + head * d + e];
          }
        }
      }
    }
    const y = attentionReference(q, k, vv, batch, h, context, d);
    const out = new Float64Array(rows * c);
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < context; t++) {
        for (let head = 0; head < h; head++) {
          for (let e = 0; e < d; e++) {
            out[(b * context + t) * c + head * d + e] = y[at(b, head, t) + e];
          }
        }
      }
    }
    tape.push(() => {
      const dout = grad(out), dqkv = grad(qkv);
      const dy = new Float64Array(size);
      for (let b = 0; b < batch; b++) {
        for (let t = 0; t < context; t++) {
          for (let head = 0; head < h; head++) {
            for (let e = 0; e < d; e++) {
              dy[at(b, head, t) + e] = dout[(b * context + t) * c + head * d + e];
            }
          }
        }
      }
      const g = attentionBackwardReference(q, k, vv, dy, batch, h, context, d);
      for (let b = 0; b < batch; b++) {
        for (let t = 0; t < context; t++) {
          const row = (b * context + t) * 3 * c;
          for (let head = 0; head < h; head++) {
            for (let e = 0; e < d; e++) {
              dqkv[row + head * d + e] += g.dq[at(b, head, t) + e];
              dqkv[row + c + head * d + e] += g.dk[at(b, head, t) + e];
              dqkv[row + 2 * c + head * d + e] += g.dv[at(b, head, t) + e];
            }
          }
        }
      }
    });
    return out;
  };

  for (let i = 0; i < config.nLayer; i++) {
    const h = `transformer.h.${i}`;
    const attnBranch = (input: Float64Array) => {
      const qkv = linear(input, `${h}.attn.c_attn.weight`, `${h}.attn.c_attn.bias`, c, 3 * c);
      return linear(attention(qkv), `${h}.attn.c_proj.weight`, `${h}.attn.c_proj.bias`, c, c);
    };
    const mlpBranch = (input: Float64Array) => {
      const hidden = linear(input, `${h}.mlp.c_fc.weight`, `${h}.mlp.c_fc.bias`, c, 4 * c);
      return linear(
        activation(hidden),
        `${h}.mlp.c_proj.weight`,
        `${h}.mlp.c_proj.bias`,
        4 * c,
        c,
      );
    };
    if (config.norm === "pre") {
      x = add(x, attnBranch(layerNorm(x, `${h}.ln_1`)));
      x = add(x, mlpBranch(layerNorm(x, `${h}.ln_2`)));
    } else {
      x = layerNorm(add(x, attnBranch(x)), `${h}.ln_1`);
      x = layerNorm(add(x, mlpBranch(x)), `${h}.ln_2`);
    }
  }
  x = layerNorm(x, "transformer.ln_f");
  const headName = config.tiedHead ? "transformer.wte.weight" : "lm_head.weight";
  const logits = linear(x, headName, null, c, v);

  // Mean cross-entropy.
  let loss = 0;
  const probs = new Float64Array(rows * v);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let j = 0; j < v; j++) max = Math.max(max, logits[r * v + j]);
    let sum = 0;
    for (let j = 0; j < v; j++) sum += probs[r * v + j] = Math.exp(logits[r * v + j] - max);
    for (let j = 0; j < v; j++) probs[r * v + j] /= sum;
    loss += max + Math.log(sum) - logits[r * v + targets[r]];
  }
  loss /= rows;
  const dlogits = grad(logits);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < v; j++) {
      dlogits[r * v + j] = (probs[r * v + j] - (j === targets[r] ? 1 : 0)) / rows;
    }
  }
  for (let i = tape.length - 1; i >= 0; i--) tape[i]();
  return { loss, logits, grads };
}
