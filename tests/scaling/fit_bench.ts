/**
 * Fit speed on Epoch AI's Figure 4 table (240 runs after excluding the 5 highest-loss ones):
 * the full Chinchilla grid (4500 L-BFGS starts, then the best 10 polished), a 200-resample
 * bootstrap warm-started from the fit, and the 144-start Kaplan L(N, D) grid on synthetic data.
 * Target: the grid search in seconds, not minutes.
 *
 * Run: `deno bench --allow-read tests/scaling/fit_bench.ts`
 *
 * @module
 */

import {
  excludeHighest,
  fitChinchilla,
  fitKaplanND,
  positiveColumn,
  predictKaplanLoss,
  readCsvTable,
} from "../../lib/scaling/mod.ts";
import { logGrid } from "./synthetic.ts";

const table = excludeHighest(
  await readCsvTable(new URL("./fixtures/chinchilla-figure4.csv", import.meta.url).pathname),
  "loss",
  5,
);
const n = positiveColumn(table, "Model Size");
const d = positiveColumn(table, "Training FLOP").map((c, i) => c / (6 * n[i]));
const loss = positiveColumn(table, "loss");
const fit = fitChinchilla({ n, d, loss });

Deno.bench({
  name: "Chinchilla fit: 4500-start grid on 240 points",
  n: 3,
  warmup: 1,
  fn() {
    fitChinchilla({ n, d, loss });
  },
});

Deno.bench({
  name: "Chinchilla bootstrap: 200 resamples warm-started from the fit",
  n: 3,
  warmup: 1,
  fn() {
    fitChinchilla({ n, d, loss }, {
      starts: [[
        Math.log(fit.params.A),
        Math.log(fit.params.B),
        Math.log(fit.params.E),
        fit.params.alpha,
        fit.params.beta,
      ]],
      bootstrap: { resamples: 200, seed: 0 },
    });
  },
});

const kaplan = { Nc: 8.8e13, alphaN: 0.076, Dc: 5.4e13, alphaD: 0.095 };
const sizes = logGrid(1e6, 1e10, 7).flatMap((size) => logGrid(1e7, 1e11, 7).map(() => size));
const tokens = logGrid(1e6, 1e10, 7).flatMap(() => logGrid(1e7, 1e11, 7));

Deno.bench({
  name: "Kaplan L(N, D) fit: 144-start grid on 49 points",
  n: 5,
  warmup: 1,
  fn() {
    fitKaplanND({
      n: sizes,
      d: tokens,
      loss: sizes.map((size, i) => predictKaplanLoss(kaplan, size, tokens[i])),
    });
  },
});
