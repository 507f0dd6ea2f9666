/**
 * The GPT bench suite on a tiny model: its rows and their fields (shape only, no timing
 * asserted); the suite list holds it and the LeCun suite.
 */
import assert from "node:assert/strict";
import { gpu } from "../helpers/check.ts";
import { type GptBenchShape, makeGptSuite, torchStepTiming } from "../../lib/bench/gpt_bench.ts";
import { BENCH_SUITES } from "../../lib/bench/suites.ts";
import type { BenchResult } from "../../lib/bench/suite.ts";
import { gptConfig, gptStepDispatches } from "../../lib/nn/mod.ts";

const device = await gpu();
const tiny = (): GptBenchShape => ({ layers: 1, width: 8, heads: 2, context: 8, batch: 2 });
const TINY_CONFIG = gptConfig({ nLayer: 1, nEmbd: 8, nHead: 2, blockSize: 8, vocabSize: 256 });

Deno.test("the GPT suite reports a training step and R runs of a sweep shape", async () => {
  const suite = makeGptSuite({
    step: tiny,
    shapes: () => [tiny()],
    runs: [1, 3],
    reference: false,
    targetMs: 20,
  });
  const rows: BenchResult[] = [];
  for await (const row of suite.run({ gpu: device, cpu: true, reference: null })) rows.push(row);
  assert.deepEqual(rows.map((r) => r.name), ["gpt_step", "gpt_runs", "gpt_runs"]);
  const [step, one, three] = rows;
  assert.deepEqual([one.fields.runs, three.fields.runs], [1, 3]);
  assert.equal(three.label, "3 runs of 1L 8w 2h, 2x8 tokens");
  for (const row of [one, three]) {
    assert.equal(row.fields.dispatches_per_step, gptStepDispatches(TINY_CONFIG));
    assert.ok((row.fields.host_ms_per_step as number) > 0);
    assert.ok(
      Math.abs(
        (row.fields.tokens_per_second as number) -
          (row.fields.runs as number) * 16 / (row.ms / 1000),
      ) < 1e-6 * (row.fields.tokens_per_second as number),
    );
    assert.equal(row.fields.torch_tokens_per_second, undefined);
  }
  assert.equal(step.label, "AdamW step 1L 8w 2h, 2x8 tokens");
  assert.equal(step.rate?.unit, "tokens/s");
  assert.ok(step.ms > 0 && step.rate!.value > 0);
  assert.ok((step.fields.gflops as number) > 0);
  assert.equal(step.ratio, undefined, "no reference asked, no ratio");
  const flops = step.fields.flops_per_step as number;
  assert.ok(Math.abs((step.fields.gflops as number) * step.ms * 1e6 - flops) < 1e-6 * flops);
});

Deno.test("PyTorch's step is timed when python3 has torch, else there is none", async () => {
  const torch = await torchStepTiming(tiny(), false, 5);
  if (torch === null) return;
  assert.match(torch.library, /^torch /);
  assert.ok(torch.ms > 0);
  assert.ok(["sdpa", "manual"].includes(torch.attention));
});

Deno.test("deno task bench runs the GPT and LeCun suites", () => {
  const names = BENCH_SUITES.map((s) => s.name);
  assert.ok(names.includes("gpt") && names.includes("lecun"), names.join(","));
});
