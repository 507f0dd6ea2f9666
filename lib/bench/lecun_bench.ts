/**
 * The LeCun 1989 benchmark suite for `deno task bench`: one training pass of the baseline
 * recipe over the 7291 digits (batch size 1) for one run and for many runs in one dispatch,
 * and one evaluation of the train and test sets. Rates are training examples per second
 * summed over the runs.
 *
 * @module
 */
import { loadDigits1989 } from "../data/mnist.ts";
import type { BenchResult, BenchSuite } from "./suite.ts";
import { measure, median } from "./timing.ts";
import { lecunConfig } from "../lecun/config.ts";
import { LecunTrainer, uploadDigits } from "../lecun/trainer.ts";

/** Runs trained side by side in the many-runs row (fewer on a CPU adapter). */
function manyRuns(cpu: boolean): number {
  return cpu ? 4 : 64;
}

/**
 * Baseline training passes (1 run, many runs) and evaluation, per pass.
 *
 * @example
 * ```ts
 * for await (const row of lecunSuite.run({ gpu, cpu: true, reference: null })) console.log(row);
 * ```
 */
export const lecunSuite: BenchSuite = {
  name: "lecun",
  description:
    "LeCun 1989 whole-run kernels: baseline passes (1 run and many in one dispatch), evaluation",
  async *run({ gpu, cpu }) {
    const digits = await loadDigits1989();
    const data = uploadDigits(gpu, digits);
    const examples = digits.train.count;
    try {
      for (const runs of [1, manyRuns(cpu)]) {
        const configs = Array.from(
          { length: runs },
          (_, s) => lecunConfig("baseline", { seed: s }),
        );
        const trainer = new LecunTrainer(gpu, data, configs);
        try {
          let pass = 0;
          const t = await measure(gpu, () => trainer.trainPass(pass++ % 23), { repeats: 3 });
          const row: BenchResult = {
            name: "lecun",
            label: `baseline pass (${examples} examples), ${runs} run${runs > 1 ? "s" : ""}`,
            ms: t.ms,
            rate: { value: (runs * examples) / (t.ms / 1000), unit: "examples/s" },
            fields: { mode: "train", runs, examples },
          };
          yield row;
          if (runs === 1) {
            const times: number[] = [];
            for (let r = 0; r < 4; r++) {
              const start = performance.now();
              await trainer.evaluate();
              if (r > 0) times.push(performance.now() - start);
            }
            const ms = median(times);
            const evaluated = digits.train.count + digits.test.count;
            yield {
              name: "lecun",
              label: `evaluation of train + test (${evaluated} examples), 1 run`,
              ms,
              rate: { value: evaluated / (ms / 1000), unit: "examples/s" },
              fields: { mode: "eval", runs: 1, examples: evaluated },
            };
          }
        } finally {
          trainer.dispose();
        }
      }
    } finally {
      data.dispose();
    }
  },
};
