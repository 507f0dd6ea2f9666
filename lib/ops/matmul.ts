/**
 * Matrix multiplication with autograd: `matmul` (batched, broadcast batch dimensions, like
 * `torch.matmul`) and `linear` (`x @ weight^T + bias`, PyTorch's `nn.Linear` layout), forward
 * and backward side by side. Operands are read in place by the kernels of `kernels/matmul.ts`
 * (transposed and sliced views cost no copy), so the backward products `dA = dC @ B^T` and
 * `dB = A^T @ dC` need no transposition copies, and the gradient of a broadcast operand is
 * summed inside the kernel.
 *
 * @module
 */
import { asContiguous, broadcastShapes } from "../../kernels/map.ts";
import { gemm, matrixOf } from "../../kernels/matmul.ts";
import { contiguousStrides, type Tensor } from "../tensor/tensor.ts";
import { record, wantsGrad } from "./autograd.ts";
import { sum } from "./reduce.ts";

/** A dense tensor's data under another shape with the same element count; disposes `t`. */
function reshapeDense(t: Tensor, shape: readonly number[]): Tensor {
  const same = t.rank === shape.length && t.shape.every((d, i) => d === shape[i]);
  if (same) return t;
  const v = t.view([...shape], contiguousStrides(shape), t.offset);
  t.dispose();
  return v;
}

function checkF32(op: string, name: string, t: Tensor): void {
  if (t.dtype !== "f32") throw new Error(`${op}: ${name} must be f32, got ${t.dtype} ${t}`);
}

/**
 * Matrix product with broadcast batch dimensions, like `torch.matmul`: `a [..., M, K] @
 * b [..., K, N] -> [..., M, N]`. A 1-D `a` is a row vector and a 1-D `b` a column vector
 * (their dimension is dropped from the result). Transposed and sliced views are read in place.
 *
 * @example
 * ```ts
 * const y = matmul(x, w);                         // [B, T, K] @ [K, N] -> [B, T, N]
 * const scores = matmul(q, transpose(k));         // [B, H, T, D] @ [B, H, D, T]
 * ```
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkF32("matmul", "a", a);
  checkF32("matmul", "b", b);
  if (a.rank === 0 || b.rank === 0) {
    throw new Error(
      `matmul: needs operands of rank 1 or more, got a [${a.shape}] and b [${b.shape}]`,
    );
  }
  if (a.rank === 1 || b.rank === 1) return matmulVector(a, b);
  const k = a.shape[a.rank - 1];
  if (b.shape[b.rank - 2] !== k) {
    throw new Error(
      `matmul: a [${a.shape}] and b [${b.shape}] do not multiply: a has ${k} columns but b has ` +
        `${b.shape[b.rank - 2]} rows`,
    );
  }
  const aBatch = a.shape.slice(0, -2), bBatch = b.shape.slice(0, -2);
  let batch: number[];
  try {
    batch = broadcastShapes(aBatch, bBatch);
  } catch {
    throw new Error(
      `matmul: batch dimensions [${aBatch}] of a [${a.shape}] and [${bBatch}] of b ` +
        `[${b.shape}] do not broadcast`,
    );
  }
  const y = gemm({
    a: matrixOf(a),
    b: matrixOf(b),
    batch,
    reduced: batch.map(() => false),
  });
  return record("matmul", y, [a, b], [a, b], (g, [sa, sb]) => [
    wantsGrad(a) ? gradLeft(g, sb, a.shape, batch) : null,
    wantsGrad(b) ? gradRight(sa, g, b.shape, batch) : null,
  ]);
}

/** Batch dims (of the product's `batch`) along which an operand of `shape` was broadcast. */
function broadcastDims(shape: readonly number[], batch: readonly number[]): boolean[] {
  const own = shape.slice(0, -2);
  const lead = batch.length - own.length;
  return batch.map((size, d) => d < lead || (own[d - lead] === 1 && size !== 1));
}

/** dA = dC @ B^T, summed over the batch dims A was broadcast along. */
function gradLeft(g: Tensor, b: Tensor, aShape: readonly number[], batch: number[]): Tensor {
  const da = gemm({
    a: matrixOf(g),
    b: matrixOf(b, true),
    batch,
    reduced: broadcastDims(aShape, batch),
  });
  return reshapeDense(da, aShape);
}

/** dB = A^T @ dC, summed over the batch dims B was broadcast along. */
function gradRight(a: Tensor, g: Tensor, bShape: readonly number[], batch: number[]): Tensor {
  const db = gemm({
    a: matrixOf(a, true),
    b: matrixOf(g),
    batch,
    reduced: broadcastDims(bShape, batch),
  });
  return reshapeDense(db, bShape);
}

/** `matmul` with a 1-D operand, through 2-D views (gradients flow through the views). */
function matmulVector(a: Tensor, b: Tensor): Tensor {
  const a2 = a.rank === 1 ? unsqueezeView(a, 0) : a;
  const b2 = b.rank === 1 ? unsqueezeView(b, 1) : b;
  const y = matmul(a2, b2);
  const shape = [...y.shape];
  if (b.rank === 1) shape.splice(shape.length - 1, 1);
  if (a.rank === 1) shape.splice(shape.length - (b.rank === 1 ? 1 : 2), 1);
  const out = viewAs(y, shape);
  for (const t of [a2, b2, y]) if (t !== a && t !== b) t.dispose();
  return out;
}

/** A view of a 1-D tensor as a row ([1, n], `at` 0) or column ([n, 1], `at` 1), with grad. */
function unsqueezeView(t: Tensor, at: 0 | 1): Tensor {
  const n = t.shape[0], s = t.strides[0];
  const v = at === 0 ? t.view([1, n], [n * s, s]) : t.view([n, 1], [s, 1]);
  return record("unsqueeze", v, [t], [], (g) => [viewAs(g, [n])]);
}

/** A same-size view under `shape` of a tensor whose dropped/added dims have size 1. */
function viewAs(t: Tensor, shape: readonly number[]): Tensor {
  const dense = asContiguous(t);
  const v = dense.view([...shape], contiguousStrides(shape), dense.offset);
  if (dense !== t) dense.dispose();
  return record("view", v, [t], [], (g) => [viewAs(g, t.shape)]);
}

/**
 * `x @ weight^T + bias` with PyTorch's `nn.Linear` layout: weight `[out, in]`, bias `[out]`,
 * x `[..., in]` -> `[..., out]`. The transpose is read in place and the bias is added in the
 * kernel's epilogue; the weight gradient sums over all leading dimensions of x in one product.
 *
 * @example
 * ```ts
 * const h = linear(x, w, b); // [B, T, 384] with w [1536, 384], b [1536] -> [B, T, 1536]
 * ```
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkF32("linear", "x", x);
  checkF32("linear", "weight", weight);
  if (x.rank === 0) throw new Error(`linear: x must have rank 1 or more, got a scalar`);
  const inFeatures = x.shape[x.rank - 1];
  if (weight.rank !== 2 || weight.shape[1] !== inFeatures) {
    throw new Error(
      `linear: weight has shape [${weight.shape}], expected [out, ${inFeatures}] ` +
        `(${inFeatures} = the last dimension of x [${x.shape}])`,
    );
  }
  const outFeatures = weight.shape[0];
  if (bias) {
    checkF32("linear", "bias", bias);
    if (bias.rank !== 1 || bias.shape[0] !== outFeatures) {
      throw new Error(
        `linear: bias has shape [${bias.shape}], expected [${outFeatures}] (the rows of weight)`,
      );
    }
  }
  const x2 = x.rank === 1 ? x.view([1, inFeatures], [inFeatures * x.strides[0], x.strides[0]]) : x;
  const batch = x2.shape.slice(0, -2);
  const y2 = gemm({
    a: matrixOf(x2),
    b: matrixOf(weight, true),
    batch,
    reduced: batch.map(() => false),
    bias: bias ?? undefined,
  });
  if (x2 !== x) x2.dispose();
  const outShape = [...x.shape.slice(0, -1), outFeatures];
  const y = reshapeDense(y2, outShape);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record("linear", y, inputs, [x, weight], (g, [sx, sw]) => {
    const rows = g.size / outFeatures;
    const gx = (): Tensor => {
      const g2 = g.rank === 1 ? g.view([1, outFeatures], [outFeatures, 1]) : g;
      const dx = gemm({ a: matrixOf(g2), b: matrixOf(sw), batch, reduced: batch.map(() => false) });
      if (g2 !== g) g2.dispose();
      return reshapeDense(dx, x.shape);
    };
    const gw = (): Tensor => {
      const g2 = g.rank === 1 ? g.view([1, outFeatures], [outFeatures, 1]) : g;
      const x3 = sx.rank === 1 ? sx.view([1, inFeatures], [inFeatures, sx.strides[0]]) : sx;
      const dw = gemm({
        a: matrixOf(g2, true),
        b: matrixOf(x3),
        batch,
        reduced: batch.map(() => true),
      });
      for (const t of [g2, x3]) if (t !== g && t !== sx) t.dispose();
      return dw;
    };
    const gb = (): Tensor => {
      const dense = asContiguous(g);
      const rowsView = dense.view([rows, outFeatures], [outFeatures, 1], dense.offset);
      const db = sum(rowsView, 0);
      rowsView.dispose();
      if (dense !== g) dense.dispose();
      return db;
    };
    return [
      wantsGrad(x) ? gx() : null,
      wantsGrad(weight) ? gw() : null,
      bias && wantsGrad(bias) ? gb() : null,
    ];
  });
}
