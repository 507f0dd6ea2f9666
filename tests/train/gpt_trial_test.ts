/**
 * GPT trials as packs: which trials share a pack, how many fit the adapter, and that a pack of
 * trials records for each what it records alone.
 */
import assert from "node:assert/strict";
import { gpu } from "../helpers/check.ts";
import {
  GPT_PACK_MAX,
  gptPack,
  gptPackCapacity,
  gptPackKey,
  type GptTrialConfig,
  runGptTrials,
} from "../../lib/train/gpt_trial.ts";
import { loadExperiment } from "../../lib/sweep/experiment.ts";

const TINY: GptTrialConfig = {
  layers: 1,
  heads: 2,
  width: 8,
  context: 16,
  batch: 4,
  steps: 12,
  lr: 1e-2,
  seed: 0,
  eval_windows: 8,
  evals: 2,
};

Deno.test("trials differing in seed, lr, data, schedule or dropout share a pack key", () => {
  const key = gptPackKey(TINY);
  for (
    const other of [
      { seed: 3 },
      { lr: 3e-3 },
      { tokens: 20_000 },
      { schedule: "constant" as const },
      { dropout: 0.1 },
      { evals: 5 },
    ]
  ) {
    assert.equal(gptPackKey({ ...TINY, ...other }), key, JSON.stringify(other));
  }
  // Defaults are filled in: an explicit default is the same pack.
  assert.equal(gptPackKey({ ...TINY, tied_head: true, norm: "pre", optimizer: "adamw" }), key);
  for (
    const other of [
      { width: 16 },
      { layers: 2 },
      { batch: 8 },
      { steps: 13 },
      { optimizer: "sgd" as const },
      { activation: "relu" as const },
      { eval_windows: 16 },
      { corpus: "other" },
    ]
  ) {
    assert.notEqual(gptPackKey({ ...TINY, ...other }), key, JSON.stringify(other));
  }
});

Deno.test("a pack holds as many runs as the adapter's buffers allow, at most 64", () => {
  const limits = {
    maxBufferSize: 2 ** 28,
    maxStorageBufferBindingSize: 2 ** 27,
    maxComputeWorkgroupsPerDimension: 65535,
  };
  assert.equal(gptPackCapacity(TINY, limits), GPT_PACK_MAX);
  assert.equal(gptPackCapacity(TINY, null), GPT_PACK_MAX);
  // 2 layers of width 512: 6.4M parameters (25.7 MB a run): 5 runs fit a 128 MiB binding, 41
  // a 1 GiB one.
  const wide = { ...TINY, layers: 2, width: 512, heads: 8 };
  assert.equal(gptPackCapacity(wide, limits), 5);
  const gib = { ...limits, maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 };
  assert.equal(gptPackCapacity(wide, gib), 41);
});

Deno.test("every GPT experiment packs its trials", async () => {
  for (const name of ["gpt-model-size", "gpt-data-size", "gpt-isoflop", "gpt-ablations"]) {
    const sweep = await loadExperiment(name);
    assert.ok(sweep.pack, `${name} declares a pack`);
  }
  assert.equal(gptPack.key, gptPackKey);
});

Deno.test("a pack of trials records for each what it records alone", async () => {
  const device = gpu();
  const trials: GptTrialConfig[] = [
    { ...TINY, seed: 1 },
    { ...TINY, seed: 2, lr: 3e-3, tokens: 30_000 },
  ];
  const context = (reports: number[]) => ({
    report: (step: number) => reports.push(step),
    signal: new AbortController().signal,
    device: device as Promise<never>,
  });
  const alone: Record<string, number | string>[] = [];
  for (const trial of trials) alone.push((await runGptTrials([trial], [context([])]))[0]);
  const reports: number[][] = [[], []];
  const finished: string[] = [];
  const together = await runGptTrials(
    trials,
    trials.map((_, i) => ({
      ...context(reports[i]),
      finish: () => finished.push(`trial ${i}`),
    })),
  );
  assert.deepEqual(finished.sort(), ["trial 0", "trial 1"]);
  assert.deepEqual(reports[0], reports[1], "both runs log at the same steps");
  assert.equal(reports[0].at(-1), 12);
  together.forEach((metrics, i) => {
    assert.equal(metrics.pack_size, 2);
    assert.equal(alone[i].pack_size, 1);
    for (const name of ["loss", "train_loss", "best_loss"]) {
      const [a, b] = [metrics[name] as number, alone[i][name] as number];
      assert.ok(Math.abs(a - b) < 1e-4 * Math.abs(b), `trial ${i} ${name}: ${a} vs ${b}`);
    }
    assert.equal(metrics.d, alone[i].d);
    assert.equal(metrics.train_tokens, alone[i].train_tokens);
  });
  assert.notEqual(together[0].train_tokens, together[1].train_tokens, "each run has its own data");
});
