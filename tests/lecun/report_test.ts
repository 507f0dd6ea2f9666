import assert from "node:assert/strict";
import { lecunConfig } from "../../lib/lecun/config.ts";
import {
  formatTable,
  meanStd,
  readRunFiles,
  reproJson,
  summarizeVariants,
  writeRunFile,
  writeSummaryFiles,
} from "../../lib/lecun/report.ts";
import type { RunResult } from "../../lib/lecun/run.ts";

function fakeRun(variant: string, seed: number, testMisses: number): RunResult {
  const split = (misses: number, count: number) => ({
    loss: 0.01,
    misses,
    count,
    error: (100 * misses) / count,
  });
  const record = {
    pass: 23,
    lr: 0.03,
    train: split(60, 7291),
    test: split(testMisses, 2007),
    seconds: 9,
  };
  return {
    config: lecunConfig(variant, { seed }),
    parameters: 9760,
    history: [{ ...record, pass: 0, seconds: 0 }, record],
    final: record,
    groupSize: 2,
    compileSeconds: 3,
    wallSeconds: 9,
    adapter: "test adapter",
  };
}

Deno.test("summaries give mean ± sample std per variant beside the published numbers", () => {
  assert.deepEqual(meanStd([1, 2, 3]), { mean: 2, std: 1 });
  assert.deepEqual(meanStd([4]), { mean: 4, std: 0 });
  const runs = [fakeRun("baseline", 1, 80), fakeRun("baseline", 2, 90), fakeRun("modern", 1, 30)];
  const [base, modern] = summarizeVariants(runs);
  assert.equal(base.seeds.length, 2);
  assert.ok(Math.abs(base.testError.mean - 100 * 85 / 2007) < 1e-9);
  assert.equal(modern.published.reproTest, 1.59);
  const cells = formatTable([base, modern]).split("\n").map((l) =>
    l.split("|").map((c) => c.trim())
  );
  assert.deepEqual(cells[0], [
    "variant",
    "passes",
    "train err",
    "test err (misses)",
    "published repro",
    "paper",
    "wall time",
  ]);
  assert.deepEqual(cells[2], [
    "baseline (2 seeds)",
    "23",
    "0.82% ± 0.00",
    "4.24% ± 0.35 (85.0)",
    "0.62% / 4.09%",
    "0.14% / 5.00%",
    "9.0 s",
  ]);
  assert.deepEqual(cells[3].slice(0, 5), ["modern", "80", "0.82%", "1.49% (30)", "1.47% / 1.59%"]);
  const doc = reproJson("test adapter", runs);
  assert.equal(doc.runs[2].testMisses, 30);
  assert.equal(doc.runs[0].variant, "baseline");
});

Deno.test("result files round-trip and summaries cover every run in the directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeRunFile(dir, fakeRun("modern", 2, 31));
    await writeRunFile(dir, fakeRun("baseline", 1, 80));
    const runs = await readRunFiles(dir);
    assert.deepEqual(runs.map((r) => [r.config.variant, r.config.seed]), [["baseline", 1], [
      "modern",
      2,
    ]]);
    await writeSummaryFiles(dir, runs);
    const history = (await Deno.readTextFile(`${dir}/history.csv`)).trim().split("\n");
    assert.equal(history.length, 5);
    assert.match(history[0], /^variant,seed,pass,lr,train_loss,train_error/);
    const summary = (await Deno.readTextFile(`${dir}/summary.csv`)).trim().split("\n");
    assert.equal(summary.length, 3);
    assert.match(await Deno.readTextFile(`${dir}/summary.md`), /Adapter: test adapter/);
    assert.deepEqual(await readRunFiles(`${dir}/nothing`), []);
    await Deno.writeTextFile(`${dir}/runs/broken.json`, "{");
    await assert.rejects(() => readRunFiles(dir), /broken\.json: not a run result file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
