import assert from "node:assert/strict";
import {
  CHINCHILLA_EPOCH_REPLICATION,
  CHINCHILLA_GRID,
  CHINCHILLA_PUBLISHED,
  computeOptimalAllocation,
  computeOptimalExponents,
  excludeHighest,
  fitChinchilla,
  positiveColumn,
  predictChinchillaLoss,
  readCsvTable,
} from "../../lib/scaling/mod.ts";
import { assertNear, seededNormal, seededUniform } from "./synthetic.ts";

const FIGURE4 = new URL("./fixtures/chinchilla-figure4.csv", import.meta.url).pathname;

Deno.test("Chinchilla grid: 4500 starts over α, β, e, a, b as Hoffmann et al. describe", () => {
  assert.equal(CHINCHILLA_GRID.length, 6 * 6 * 5 * 5 * 5);
  const axis = (k: number) => [...new Set(CHINCHILLA_GRID.map((start) => start[k]))];
  assert.deepEqual(axis(0), [0, 5, 10, 15, 20, 25]);
  assert.deepEqual(axis(1), [0, 5, 10, 15, 20, 25]);
  assert.deepEqual(axis(2), [-1, -0.5, 0, 0.5, 1]);
  assert.deepEqual(axis(3), [0, 0.5, 1, 1.5, 2]);
  assert.deepEqual(axis(4), [0, 0.5, 1, 1.5, 2]);
});

Deno.test("Chinchilla law: parameters recovered from noisy synthetic runs", () => {
  const normal = seededNormal(11);
  const uniform = seededUniform(12);
  const n: number[] = [];
  const d: number[] = [];
  const loss: number[] = [];
  for (let i = 0; i < 200; i++) {
    const size = 10 ** (7 + 3 * uniform());
    const tokens = 10 ** (9 + 3 * uniform());
    n.push(size);
    d.push(tokens);
    loss.push(
      predictChinchillaLoss(CHINCHILLA_PUBLISHED, size, tokens) * Math.exp(0.002 * normal()),
    );
  }
  // A coarse grid keeps this test quick; the full grid is exercised on the published table.
  const starts = CHINCHILLA_GRID.filter((s) =>
    s[0] % 10 === 0 && s[1] % 10 === 0 && s[3] % 1 === 0 && s[4] % 1 === 0
  );
  const fit = fitChinchilla({ n, d, loss }, { starts });
  assertNear(fit.params.alpha, 0.34, 0.01, "alpha");
  assertNear(fit.params.beta, 0.28, 0.01, "beta");
  assertNear(fit.params.E, 1.69, 0.02, "E");
  assertNear(Math.log(fit.params.A), Math.log(406.4), 0.15, "log A");
  assertNear(Math.log(fit.params.B), Math.log(410.7), 0.15, "log B");
  assertNear(fit.derived.a, 0.28 / 0.62, 0.01, "a");
});

Deno.test("Chinchilla fit on Epoch AI's Figure 4 table lands on Epoch's row", () => {
  return readCsvTable(FIGURE4).then((table) => {
    assert.equal(table.numRows(), 245);
    const kept = excludeHighest(table, "loss", 5);
    const n = positiveColumn(kept, "Model Size");
    const c = positiveColumn(kept, "Training FLOP");
    const d = c.map((flops, i) => flops / (6 * n[i]));
    const fit = fitChinchilla({ n, d, loss: positiveColumn(kept, "loss") });
    const epoch = CHINCHILLA_EPOCH_REPLICATION;
    assert.equal(fit.residuals.count, 240);
    assert.equal(fit.starts, 4500);
    assertNear(fit.params.alpha, epoch.alpha, 0.005, "alpha");
    assertNear(fit.params.beta, epoch.beta, 0.005, "beta");
    assertNear(fit.params.E, epoch.E, 0.01, "E");
    assertNear(fit.derived.a, 0.514, 0.01, "a = beta/(alpha+beta)");
    assertNear(fit.params.A / epoch.A, 1, 0.05, "A relative to Epoch");
    assertNear(fit.params.B / epoch.B, 1, 0.05, "B relative to Epoch");
  });
});

Deno.test("compute-optimal allocation: spends the budget and minimizes loss along it", () => {
  const params = CHINCHILLA_PUBLISHED;
  const { a, b, G } = computeOptimalExponents(params);
  assertNear(a, 0.28 / 0.62, 1e-12, "a");
  assertNear(a + b, 1, 1e-12, "a + b");
  assertNear(G, ((0.34 * 406.4) / (0.28 * 410.7)) ** (1 / 0.62), 1e-12, "G");
  for (const flops of [1e18, 1e21, 5.76e23]) {
    const best = computeOptimalAllocation(params, flops);
    assertNear(6 * best.n * best.d / flops, 1, 1e-9, "6·N·D / C");
    assertNear(best.loss, predictChinchillaLoss(params, best.n, best.d), 1e-12, "loss");
    for (const factor of [0.8, 0.95, 1.05, 1.25]) {
      const other = predictChinchillaLoss(params, best.n * factor, best.d / factor);
      assert.ok(other > best.loss, `N·${factor} should lose at C = ${flops}`);
    }
  }
  assert.throws(() => computeOptimalAllocation(params, 0), { message: /positive number of FLOPs/ });
});

Deno.test("Chinchilla fit: fewer points than parameters is a one-line error", () => {
  assert.throws(
    () => fitChinchilla({ n: [1e8, 1e9, 1e10], d: [1e9, 1e10, 1e11], loss: [3, 2.5, 2.2] }),
    {
      message:
        "the chinchilla law has 5 parameters but only 3 points were given; at least 5 are needed",
    },
  );
});
