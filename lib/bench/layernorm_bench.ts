/**
 * LayerNorm bandwidth: the fused forward, and forward + backward, in GB/s of the tensors each
 * must read and write at least once.
 *
 * @module
 */
import { layerNorm } from "../ops/layernorm.ts";
import { backward, noGrad } from "../ops/autograd.ts";
import { ones, randn, zeros } from "../tensor/create.ts";
import { type Tensor, tidy } from "../tensor/tensor.ts";
import type { BenchResult, BenchSuite } from "./suite.ts";
import { measure } from "./timing.ts";

function bandwidthRow(label: string, ms: number, bytes: number, fields: object): BenchResult {
  const gbps = bytes / ms / 1e6;
  return {
    name: "layernorm",
    label,
    ms,
    rate: { value: gbps, unit: "GB/s" },
    fields: { ...fields, gbps },
  };
}

function clearGrads(ts: readonly Tensor[]): void {
  for (const t of ts) {
    t.grad?.dispose();
    t.grad = null;
  }
}

/**
 * LayerNorm over rows of a GPT-sized width: forward GB/s counts reading x and writing y;
 * forward + backward counts x and y, then x, dy and dx (5 tensors of rows x width).
 */
export const layerNormSuite: BenchSuite = {
  name: "layernorm",
  description: "fused LayerNorm GB/s, forward and forward + backward",
  async *run({ gpu, cpu }) {
    const [rows, width] = cpu ? [8192, 384] : [32768, 768];
    const x = randn([rows, width], { seed: 1, requiresGrad: true });
    const weight = ones([width], { requiresGrad: true });
    const bias = zeros([width], { requiresGrad: true });
    const dy = randn([rows, width], { seed: 2 });
    const params = [x, weight, bias];
    const elements = rows * width;
    const fields = { rows, width };
    try {
      const forward = await measure(
        gpu,
        () => noGrad(() => tidy(() => void layerNorm(x, weight, bias))),
      );
      yield bandwidthRow(`[${rows}, ${width}] forward`, forward.ms, 2 * elements * 4, {
        ...fields,
        pass: "forward",
      });
      const both = await measure(gpu, () => {
        tidy(() => backward(layerNorm(x, weight, bias), { grad: dy }));
        clearGrads(params);
      });
      yield bandwidthRow(`[${rows}, ${width}] forward + backward`, both.ms, 5 * elements * 4, {
        ...fields,
        pass: "forward+backward",
      });
    } finally {
      clearGrads(params);
      for (const t of [...params, dy]) t.dispose();
    }
  },
};
