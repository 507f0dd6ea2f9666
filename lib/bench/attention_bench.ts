/**
 * Fused causal attention, forward + backward, at a GPT-like head size.
 *
 * @module
 */
import { causalAttention } from "../ops/attention.ts";
import { backward } from "../ops/autograd.ts";
import { randn } from "../tensor/create.ts";
import { tidy } from "../tensor/tensor.ts";
import type { BenchSuite } from "./suite.ts";
import { measure } from "./timing.ts";

/**
 * Forward + backward of `causalAttention` on [B, H, T, D]. GFLOP/s counts the unmasked half
 * of the seven T x T x D products (two forward, five backward): 7·B·H·T²·D.
 */
export const attentionSuite: BenchSuite = {
  name: "attention",
  description: "fused causal attention forward + backward",
  async *run({ gpu, cpu }) {
    const [b, h, t, d] = cpu ? [2, 6, 256, 64] : [8, 12, 1024, 64];
    const shape = [b, h, t, d];
    const q = randn(shape, { seed: 1, requiresGrad: true });
    const k = randn(shape, { seed: 2, requiresGrad: true });
    const v = randn(shape, { seed: 3, requiresGrad: true });
    const dy = randn(shape, { seed: 4 });
    const inputs = [q, k, v];
    const clear = () => {
      for (const x of inputs) {
        x.grad?.dispose();
        x.grad = null;
      }
    };
    try {
      const timing = await measure(gpu, () => {
        tidy(() => backward(causalAttention(q, k, v), { grad: dy }));
        clear();
      });
      const gflops = (7 * b * h * t * t * d) / timing.ms / 1e6;
      yield {
        name: "attention",
        label: `[${b}, ${h}, ${t}, ${d}] forward + backward`,
        ms: timing.ms,
        rate: { value: gflops, unit: "GFLOP/s" },
        fields: { b, h, t, d, gflops },
      };
    } finally {
      clear();
      for (const x of [...inputs, dy]) x.dispose();
    }
  },
};
