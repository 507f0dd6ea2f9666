import { assertClose } from "../helpers/check.ts";
import { constantLr, cosineLr, linearLr } from "../../lib/optim/mod.ts";

Deno.test("constant and linear schedules at key steps", () => {
  assertClose([constantLr(0.03)(0), constantLr(0.03)(10_000)], [0.03, 0.03], { atol: 0 });
  const lr = linearLr(3e-4, 1e-4, 100);
  assertClose([0, 25, 50, 100, 1000].map(lr), [3e-4, 2.5e-4, 2e-4, 1e-4, 1e-4], {
    atol: 1e-18,
    rtol: 1e-12,
  });
});

Deno.test("cosine with linear warmup to a floor at key steps (nanoGPT's get_lr)", () => {
  const lr = cosineLr({ peak: 6e-4, floor: 6e-5, warmupSteps: 10, decaySteps: 110 });
  const steps = [0, 4, 9, 10, 60, 110, 111, 5000];
  const expected = [
    6e-4 * 1 / 11,
    6e-4 * 5 / 11,
    6e-4 * 10 / 11,
    6e-4,
    6e-5 + 0.5 * (6e-4 - 6e-5),
    6e-5,
    6e-5,
    6e-5,
  ];
  assertClose(steps.map(lr), expected, { atol: 1e-18, rtol: 1e-12 });
  // Monotone decay after warmup.
  for (let s = 10; s < 110; s++) {
    if (!(lr(s + 1) <= lr(s))) throw new Error(`cosine rises at step ${s}`);
  }
  const noWarmup = cosineLr({ peak: 1, decaySteps: 4 });
  assertClose([0, 1, 2, 3, 4].map(noWarmup), [1, 0.8535533905932737, 0.5, 0.14644660940672627, 0], {
    atol: 1e-15,
  });
});

Deno.test("schedules reject bad settings with one clear line", () => {
  const cases: [() => unknown, string][] = [
    [() => constantLr(-1), "constantLr: lr must be a finite number >= 0, got -1"],
    [() => linearLr(1, 0, 0), "linearLr: steps must be an integer >= 1, got 0"],
    [
      () => cosineLr({ peak: 1, warmupSteps: 10, decaySteps: 10 }),
      "decaySteps must be an integer >= 11",
    ],
    [() => cosineLr({ peak: NaN, decaySteps: 10 }), "peak must be a finite number"],
  ];
  for (const [f, fragment] of cases) {
    let message = "";
    try {
      f();
    } catch (e) {
      message = (e as Error).message;
    }
    if (!message.includes(fragment)) throw new Error(`expected "${fragment}", got "${message}"`);
  }
});
