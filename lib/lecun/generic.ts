/**
 * The 1989 net expressed with the core's generic ops (conv2d with -1 padding and H2's
 * connection table, matmul, tanh/relu, MSE or cross-entropy) and autograd: the same math as
 * the fused trainer, a dispatch per op instead of one per thousands of examples. It is the
 * independent implementation the fused trainer's gradients are tested against, and it runs
 * batches of any size.
 *
 * H2's weights are held as a full [maps, maps, 5, 5] tensor whose unconnected entries the
 * connection table masks out; `toFlat`/`fromFlat` convert to and from the flat parameter
 * layout ([maps, fanIn, 5, 5] for H2).
 *
 * @module
 */
import {
  add,
  backward,
  keep,
  mul,
  relu,
  reshape,
  tanh,
  type Tensor,
  tensor,
  tidy,
} from "../tensor/mod.ts";
import { conv2d, type Conv2dConnections } from "../../kernels/conv2d.ts";
import { crossEntropy, mseLoss } from "../../kernels/loss.ts";
import { matmul } from "../../kernels/matmul.ts";
import {
  h2Inputs,
  KERNEL,
  type LecunShape,
  OUTPUTS,
  PAD_VALUE,
  parameterLayout,
  TAPS,
} from "./architecture.ts";
import type { LecunActivation, LecunLoss } from "./config.ts";

/** What the forward pass depends on besides the parameters. */
export interface GenericOptions {
  loss: LecunLoss;
  activation: LecunActivation;
}

/**
 * H2's connection table as conv2d takes it: `[maps][maps]`, 1 where H2 map o sees H1 map c.
 *
 * @example
 * ```ts
 * h2Connections(lecunShape(1))[0]; // [1,1,1,1,1,1,1,1,0,0,0,0]
 * ```
 */
export function h2Connections(shape: LecunShape): Conv2dConnections {
  return Array.from({ length: shape.maps }, (_, n) => {
    const inputs = new Set(h2Inputs(shape, n));
    return Array.from({ length: shape.maps }, (_, c) => inputs.has(c) ? 1 : 0);
  });
}

/**
 * The net's parameters as GPU tensors that require gradients, and its forward pass and loss
 * in generic ops.
 *
 * @example
 * ```ts
 * const net = GenericLecunNet.fromFlat(shape, initParameters(shape, 1337, -1));
 * const grad = await net.gradient(image, 7, { loss: "mse", activation: "tanh" });
 * net.dispose();
 * ```
 */
export class GenericLecunNet {
  readonly shape: LecunShape;
  readonly h1w: Tensor;
  readonly h1b: Tensor;
  /** Full [maps, maps, 5, 5]; entries outside the connection table are zero and unused. */
  readonly h2w: Tensor;
  readonly h2b: Tensor;
  readonly h3w: Tensor;
  readonly h3b: Tensor;
  readonly outw: Tensor;
  readonly outb: Tensor;
  readonly #connections: Conv2dConnections;

  private constructor(shape: LecunShape, parts: Record<string, Tensor>) {
    this.shape = shape;
    this.h1w = parts.h1w;
    this.h1b = parts.h1b;
    this.h2w = parts.h2w;
    this.h2b = parts.h2b;
    this.h3w = parts.h3w;
    this.h3b = parts.h3b;
    this.outw = parts.outw;
    this.outb = parts.outb;
    this.#connections = h2Connections(shape);
  }

  /**
   * A net holding `params` (flat layout of `parameterLayout(shape)`).
   *
   * @example
   * ```ts
   * const net = GenericLecunNet.fromFlat(shape, initParameters(shape, 1, -1));
   * ```
   */
  static fromFlat(shape: LecunShape, params: ArrayLike<number>): GenericLecunNet {
    const L = parameterLayout(shape);
    if (params.length !== L.size) {
      throw new Error(`GenericLecunNet: ${params.length} parameters, expected ${L.size}`);
    }
    const part = (
      name: keyof typeof L & string,
      shapeOf = (L[name] as { shape: number[] }).shape,
    ) => {
      const { offset } = L[name] as { offset: number; shape: number[] };
      const size = (L[name] as { shape: number[] }).shape.reduce((a, b) => a * b, 1);
      return keep(
        tensor(Array.from({ length: size }, (_, i) => params[offset + i]), shapeOf, {
          requiresGrad: true,
        }),
      );
    };
    const full = new Float32Array(shape.maps * shape.maps * TAPS);
    for (let n = 0; n < shape.maps; n++) {
      h2Inputs(shape, n).forEach((c, ci) => {
        for (let t = 0; t < TAPS; t++) {
          full[(n * shape.maps + c) * TAPS + t] =
            params[L.h2w.offset + (n * shape.fanIn + ci) * TAPS + t];
        }
      });
    }
    return new GenericLecunNet(shape, {
      h1w: part("h1w"),
      h1b: part("h1b"),
      h2w: keep(tensor(full, [shape.maps, shape.maps, KERNEL, KERNEL], { requiresGrad: true })),
      h2b: part("h2b"),
      h3w: part("h3w"),
      h3b: part("h3b"),
      outw: part("outw"),
      outb: part("outb"),
    });
  }

  /** The parameter tensors in layout order. */
  get parameters(): Tensor[] {
    return [this.h1w, this.h1b, this.h2w, this.h2b, this.h3w, this.h3b, this.outw, this.outb];
  }

  /**
   * The 10 outputs of a batch `x` [N, 1, 16, 16]: tanh outputs with MSE, logits with
   * cross-entropy. `dropoutScale` [N, maps, 4, 4] multiplies H3's input (0 or 1/(1-p)).
   *
   * @example
   * ```ts
   * const y = net.forward(x, { loss: "mse", activation: "tanh" }); // [N, 10]
   * ```
   */
  forward(x: Tensor, options: GenericOptions, dropoutScale?: Tensor): Tensor {
    const act = options.activation === "tanh" ? tanh : relu;
    const conv = { stride: 2, padding: 2, padValue: PAD_VALUE };
    const n = x.shape[0];
    const h1 = act(conv2d(x, this.h1w, this.h1b, conv));
    let h2 = act(conv2d(h1, this.h2w, this.h2b, { ...conv, connections: this.#connections }));
    if (dropoutScale) h2 = mul(h2, dropoutScale);
    const flat = reshape(h2, [n, this.shape.maps * 16]);
    const h3 = act(add(matmul(flat, this.h3w), this.h3b));
    const z4 = add(matmul(h3, this.outw), this.outb);
    return options.loss === "mse" ? tanh(z4) : z4;
  }

  /**
   * The mean loss of a batch: MSE against ±1 targets after tanh, or cross-entropy.
   *
   * @example
   * ```ts
   * const loss = net.loss(x, labels, { loss: "ce", activation: "relu" });
   * ```
   */
  loss(
    x: Tensor,
    labels: readonly number[],
    options: GenericOptions,
    dropoutScale?: Tensor,
  ): Tensor {
    const out = this.forward(x, options, dropoutScale);
    if (options.loss === "ce") {
      return crossEntropy(out, tensor(Int32Array.from(labels), [labels.length], { dtype: "i32" }));
    }
    const targets = new Float32Array(labels.length * OUTPUTS).fill(-1);
    labels.forEach((l, i) => targets[i * OUTPUTS + l] = 1);
    return mseLoss(out, tensor(targets, [labels.length, OUTPUTS]));
  }

  /**
   * The gradient of the loss of one image (256 values) with class `label`, in the flat layout.
   *
   * @example
   * ```ts
   * const g = await net.gradient(image, 3, { loss: "mse", activation: "tanh" });
   * ```
   */
  async gradient(
    image: ArrayLike<number>,
    label: number,
    options: GenericOptions,
    dropoutScale?: ArrayLike<number>,
  ): Promise<Float32Array> {
    for (const p of this.parameters) {
      p.grad?.dispose();
      p.grad = null;
    }
    const loss = tidy(() => {
      const x = tensor(Array.from(image), [1, 1, 16, 16]);
      const scale = dropoutScale
        ? tensor(Array.from(dropoutScale), [1, this.shape.maps, 4, 4])
        : undefined;
      return this.loss(x, [label], options, scale);
    });
    backward(loss);
    loss.dispose();
    return await this.#flatten(this.parameters.map((p) => p.grad!));
  }

  /** The parameters in the flat layout. */
  async toFlat(): Promise<Float32Array> {
    return await this.#flatten(this.parameters);
  }

  /** Releases the parameter tensors and their gradients. */
  dispose(): void {
    for (const p of this.parameters) {
      p.grad?.dispose();
      p.dispose();
    }
  }

  async #flatten(parts: Tensor[]): Promise<Float32Array> {
    const shape = this.shape;
    const L = parameterLayout(shape);
    const out = new Float32Array(L.size);
    const values = await Promise.all(parts.map((t) => t.toArray()));
    const names = ["h1w", "h1b", "h2w", "h2b", "h3w", "h3b", "outw", "outb"] as const;
    names.forEach((name, k) => {
      if (name !== "h2w") {
        out.set(values[k], L[name].offset);
        return;
      }
      for (let n = 0; n < shape.maps; n++) {
        h2Inputs(shape, n).forEach((c, ci) => {
          for (let t = 0; t < TAPS; t++) {
            out[L.h2w.offset + (n * shape.fanIn + ci) * TAPS + t] =
              values[k][(n * shape.maps + c) * TAPS + t];
          }
        });
      }
    });
    return out;
  }
}
