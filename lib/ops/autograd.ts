/**
 * Reverse-mode automatic differentiation.
 *
 * Every op that sees an input with `requiresGrad` (while gradients are enabled) attaches a
 * {@link GradNode} to its output: the inputs, the tensors it saved, and a backward function
 * written next to the op's forward. {@link backward} visits the nodes in reverse topological
 * order (the tape), accumulates into leaves' `grad`, and frees each node's saved tensors and
 * each intermediate gradient as soon as they are used.
 *
 * @module
 */
import { denseCopy, fill, mapInPlace } from "../../kernels/map.ts";
import { type GradNode, keep, Tensor, tidy } from "../tensor/tensor.ts";

let gradEnabled = true;

/**
 * Runs `fn` without recording graph nodes (evaluation, optimizer updates).
 *
 * @example
 * ```ts
 * const logits = noGrad(() => model.forward(x));
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  const before = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = before;
  }
}

/** Whether an op on `inputs` must record a graph node now. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t && (t.requiresGrad || t.node)) return true;
  return false;
}

/** Whether gradients flow into `t` (a leaf with `requiresGrad` or an op output in a graph). */
export function wantsGrad(t: Tensor): boolean {
  return t.requiresGrad || t.node !== null;
}

/**
 * A handle to `t`'s storage kept for backward, outside every {@link tidy} scope; the node that
 * saved it disposes it.
 */
export function save(t: Tensor): Tensor {
  return keep(t.view(t.shape, t.strides, t.offset));
}

/**
 * Attaches a graph node to `output` when any input needs gradients. `saved` tensors are
 * captured as handles and released after backward; `backward` receives them in order.
 *
 * @example
 * ```ts
 * record("tanh", out, [x], [out], (g, [y]) => [mul(g, oneMinusSquare(y))]);
 * ```
 */
export function record(
  op: string,
  output: Tensor,
  inputs: readonly Tensor[],
  saved: readonly Tensor[],
  backward: (gradOutput: Tensor, saved: readonly Tensor[]) => (Tensor | null)[],
): Tensor {
  if (!needsGrad(...inputs)) return output;
  const handles = saved.map(save);
  const node: GradNode = {
    op,
    inputs,
    backward: (g) => backward(g, handles),
    release: () => {
      for (const h of handles) h.dispose();
    },
  };
  output.node = node;
  return output;
}

/** Options of {@link backward}. */
export interface BackwardOptions {
  /** Gradient of the output (default: ones; required unless the output has one element). */
  grad?: Tensor;
  /** Keep the graph for another backward pass (default false: free it as it goes). */
  retainGraph?: boolean;
}

/**
 * Backpropagates from `output`, accumulating into the `grad` of every tensor with
 * `requiresGrad` it depends on.
 *
 * @example
 * ```ts
 * const loss = mseLoss(predict(x), y);
 * backward(loss);
 * console.log(await w.grad!.toArray());
 * ```
 */
export function backward(output: Tensor, options: BackwardOptions = {}): void {
  if (!output.node) {
    throw new Error(
      `backward(): the tensor ${output} has no graph: no input required gradients, the graph ` +
        "was already freed by an earlier backward(), or it was built under noGrad()",
    );
  }
  if (!options.grad && output.size !== 1) {
    throw new Error(
      `backward() of a non-scalar ${output} needs options.grad of the same shape`,
    );
  }
  if (options.grad) checkGradShape("backward()", output, options.grad);
  const order = topologicalOrder(output);
  const grads = new Map<Tensor, Tensor>();
  noGrad(() => {
    grads.set(output, keep(options.grad ? denseCopy(options.grad) : fill(output.shape, 1)));
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const node = t.node!;
      const g = grads.get(t);
      grads.delete(t);
      if (!g) continue;
      const inputGrads = tidy(() => node.backward(g));
      if (!inputGrads.includes(g)) g.dispose();
      const taken = new Set<Tensor>();
      node.inputs.forEach((input, k) => {
        let ig = inputGrads[k];
        if (!ig || (!input.requiresGrad && !input.node)) return;
        checkGradShape(node.op, input, ig);
        ig = keep(owned(ig, taken));
        taken.add(ig);
        const prior = input.node ? grads.get(input) : input.grad;
        const sum = prior ? accumulate(prior, ig) : ig;
        if (input.node) grads.set(input, sum);
        else input.grad = sum;
      });
      for (const ig of inputGrads) if (ig && !taken.has(ig)) ig.dispose();
      if (!options.retainGraph) {
        node.release();
        t.node = null;
      }
    }
  });
  for (const g of grads.values()) g.dispose();
}

function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [t, expanded] = stack.pop()!;
    if (expanded) {
      order.push(t);
      continue;
    }
    if (visited.has(t) || !t.node) continue;
    visited.add(t);
    stack.push([t, true]);
    for (const input of t.node.inputs) if (!visited.has(input)) stack.push([input, false]);
  }
  return order;
}

function checkGradShape(op: string, input: Tensor, grad: Tensor): void {
  if (grad.shape.length !== input.shape.length || grad.shape.some((d, i) => d !== input.shape[i])) {
    throw new Error(
      `internal: backward of ${op} gave a gradient of shape [${grad.shape}] for an input of ` +
        `shape [${input.shape}]`,
    );
  }
}

/**
 * `grad` itself when it is a dense tensor that owns its storage alone and was not already
 * given to another input; otherwise a copy, so in-place accumulation touches nothing else.
 */
function owned(grad: Tensor, taken: Set<Tensor>): Tensor {
  const exclusive = grad.isContiguous && grad.offset === 0 && grad.storage.refs === 1;
  if (exclusive && !taken.has(grad)) return grad;
  return denseCopy(grad);
}

/** `into += g` in place; disposes `g`. */
function accumulate(into: Tensor, g: Tensor): Tensor {
  mapInPlace("accumulate", "a + b", into, g);
  g.dispose();
  return into;
}
