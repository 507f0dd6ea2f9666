/**
 * A sweep that runs on the CPU in about a second: gradient descent on an ill-conditioned
 * quadratic f(x) = ½ Σ λᵢ xᵢ² (λ log-spaced from 1 to `condition` over 8 dimensions), from a
 * seeded random start. Gradient descent converges only when lr · λmax < 2, so `derive`
 * computes that product and `filter` drops combinations that would blow up.
 *
 * Run it: `deno task sweep example-quadratic` (or `--preset quick` for one trial).
 *
 * @module
 */

import { defineSweep } from "../lib/mod.ts";
import { mulberry32 } from "../lib/random/mulberry32.ts";

const DIMENSIONS = 8;

export const sweep = defineSweep({
  name: "example-quadratic",
  version: 1,
  axes: {
    condition: [10, 100],
    lr: [0.001, 0.003, 0.01, 0.03, 0.1],
    steps: [200],
    seed: [0, 1, 2],
  },
  derive: ({ condition, lr }) => ({ stability: lr * condition }),
  filter: ({ stability }) => stability < 2,
  presets: { quick: { lr: [0.01], seed: [0] } },
  run(config, ctx) {
    const curvature = Array.from(
      { length: DIMENSIONS },
      (_, i) => config.condition ** (i / (DIMENSIONS - 1)),
    );
    const random = mulberry32(config.seed);
    const x = curvature.map(() => random() * 2 - 1);
    const loss = () => x.reduce((sum, xi, i) => sum + 0.5 * curvature[i] * xi * xi, 0);
    const initialLoss = loss();
    for (let step = 0; step < config.steps; step++) {
      if (ctx.signal.aborted) break;
      if (step % 10 === 0) ctx.report(step, { loss: loss() });
      for (let i = 0; i < DIMENSIONS; i++) x[i] -= config.lr * curvature[i] * x[i];
    }
    return { loss: loss(), initial_loss: initialLoss };
  },
});
