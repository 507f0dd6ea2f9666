import assert from "node:assert/strict";
import { fitKaplanD, fitKaplanN, fitKaplanND, predictKaplanLoss } from "../../lib/scaling/mod.ts";
import { assertNear, logGrid, withLogNoise } from "./synthetic.ts";

/** Kaplan et al. 2020's constants. */
const KAPLAN = { Nc: 8.8e13, alphaN: 0.076, Dc: 5.4e13, alphaD: 0.095 };

Deno.test("Kaplan L(N): N_c and α_N recovered from noisy synthetic data", () => {
  const n = logGrid(1e6, 1e10, 25);
  const loss = withLogNoise(n.map((v) => (KAPLAN.Nc / v) ** KAPLAN.alphaN), 0.003, 4);
  const fit = fitKaplanN({ n, loss });
  assertNear(fit.params.alphaN, KAPLAN.alphaN, 0.002, "alpha_N");
  assertNear(Math.log(fit.params.Nc), Math.log(KAPLAN.Nc), 0.5, "log N_c");
  assert.equal(fit.law, "kaplan-n");
  assert.match(fit.equation, /^L = \(8\.\d+e13\/N\)\^0\.07\d*$/);
});

Deno.test("Kaplan L(D): D_c and α_D recovered from noisy synthetic data", () => {
  const d = logGrid(1e8, 1e11, 25);
  const loss = withLogNoise(d.map((v) => (KAPLAN.Dc / v) ** KAPLAN.alphaD), 0.003, 5);
  const fit = fitKaplanD({ d, loss });
  assertNear(fit.params.alphaD, KAPLAN.alphaD, 0.002, "alpha_D");
  assertNear(Math.log(fit.params.Dc), Math.log(KAPLAN.Dc), 0.5, "log D_c");
});

Deno.test("Kaplan L(N, D): all four parameters recovered from a grid of runs", () => {
  const n: number[] = [];
  const d: number[] = [];
  for (const size of logGrid(1e6, 1e10, 7)) {
    for (const tokens of logGrid(1e7, 1e11, 7)) {
      n.push(size);
      d.push(tokens);
    }
  }
  const loss = withLogNoise(n.map((v, i) => predictKaplanLoss(KAPLAN, v, d[i])), 0.002, 6);
  const fit = fitKaplanND({ n, d, loss });
  assertNear(fit.params.alphaN, KAPLAN.alphaN, 0.003, "alpha_N");
  assertNear(fit.params.alphaD, KAPLAN.alphaD, 0.003, "alpha_D");
  assertNear(Math.log(fit.params.Nc), Math.log(KAPLAN.Nc), 0.3, "log N_c");
  assertNear(Math.log(fit.params.Dc), Math.log(KAPLAN.Dc), 0.3, "log D_c");
  assert.equal(fit.starts, 144);
});

Deno.test("Kaplan fits: bad inputs give one-line errors", () => {
  assert.throws(
    () => fitKaplanN({ n: [1e6, -1e7], loss: [3, 2] }),
    { message: /^column "n" row 2 is -10000000; .*positive/ },
  );
  assert.throws(
    () => fitKaplanND({ n: [1e6, 1e7, 1e8], d: [1e9, 1e9, 1e9], loss: [3, 2, 1] }),
    { message: /4 parameters but only 3 points/ },
  );
});
