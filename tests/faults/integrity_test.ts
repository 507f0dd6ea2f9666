/**
 * Fault injection on results integrity (issue 13, items 1–3): foreign records in a results
 * directory, repro runs of different recipes in one directory or over published ones, and
 * the project's own CSVs read back by `fit`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { lecunConfig } from "../../lib/lecun/config.ts";
import {
  readRunFiles,
  recipeId,
  summarizeVariants,
  writeRunFile,
  writeSummaryFiles,
} from "../../lib/lecun/report.ts";
import type { RunResult } from "../../lib/lecun/run.ts";
import { readTrialRecords } from "../../lib/sweep/mod.ts";
import { errorLines, ROOT, runTask } from "./helpers.ts";

const VERSIONED = "tests/faults/fixtures/versioned.ts";

Deno.test("records of an older version are never mixed into summary.csv or the analysis", async () => {
  const dir = await Deno.makeTempDir({ prefix: "faults-integrity-" });
  const out = `${dir}/results`;
  const v1 = await runTask("sweep", [VERSIONED, "--out", out], {
    writeDir: dir,
    env: { SWEEP_TEST_VERSION: "1" },
  });
  assert.equal(v1.code, 0, v1.stderr);
  const v2 = await runTask("sweep", [VERSIONED, "--out", out], { writeDir: dir });
  assert.equal(v2.code, 0, v2.stderr);
  assert.match(
    v2.stderr,
    /3 trial files of another experiment or version \(3 version 1, not 2\) moved to .*\/set-aside; not used/,
  );
  const rows = (await Deno.readTextFile(`${out}/summary.csv`)).trim().split("\n").slice(1);
  assert.equal(rows.length, 3);
  assert.ok(rows.every((row) => row.split(",")[2] === "2"), "only version-2 rows");
  const analyzed = JSON.parse(await Deno.readTextFile(`${out}/analyzed.json`));
  assert.deepEqual(analyzed.versions, ["2", "2", "2"], "the analysis saw only the plan's records");
  assert.equal([...Deno.readDirSync(`${out}/set-aside`)].length, 3, "set aside, not deleted");
  assert.equal((await readTrialRecords(out)).records.size, 3);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("fit reads the project's own summaries (a final newline is not a row)", async () => {
  const cases = [
    ["results/gpt-model-size/summary.csv", "--law", "kaplan", "--n", "n"],
    ["results/lecun1989/summary.csv", "--law", "power", "--x", "train_size", "--y", "test_error"],
  ];
  for (const args of cases) {
    const result = await runTask("fit", args);
    assert.equal(result.code, 0, `${args[0]}: ${result.stderr}`);
    assert.match(result.stdout, /fit: /);
  }
  const dir = await Deno.makeTempDir({ prefix: "faults-integrity-" });
  const sweep = await runTask("sweep", ["example-quadratic", "--out", `${dir}/q`], {
    writeDir: dir,
  });
  assert.equal(sweep.code, 0, sweep.stderr);
  const summary = await Deno.readTextFile(`${dir}/q/summary.csv`);
  assert.ok(summary.endsWith("\n") && !summary.endsWith("\n\n"), "one final newline");
  const fitted = await runTask("fit", [
    `${dir}/q/summary.csv`,
    "--law",
    "power",
    "--x",
    "lr",
    "--y",
    "loss",
  ]);
  assert.equal(fitted.code, 0, fitted.stderr);
  const history = (await Deno.readTextFile(`${dir}/q/history.csv`)).split("\n");
  assert.equal(history[0], "id,step,metric,value");
  await Deno.remove(dir, { recursive: true });
});

function fakeRun(overrides: Parameters<typeof lecunConfig>[1], testMisses: number): RunResult {
  const config = lecunConfig("baseline", overrides);
  const split = (misses: number, count: number) => ({
    loss: 0.1,
    misses,
    count,
    error: (100 * misses) / count,
  });
  const record = {
    pass: config.passes,
    lr: 0.03,
    train: split(5, 200),
    test: split(testMisses, 2007),
    seconds: 1,
  };
  return {
    config,
    parameters: 9760,
    history: [{ ...record, pass: 0 }, record],
    final: record,
    groupSize: 1,
    compileSeconds: 1,
    wallSeconds: 1,
    adapter: "test adapter",
  };
}

Deno.test("repro: different recipes get files of their own and separate summary rows", async () => {
  const dir = await Deno.makeTempDir({ prefix: "faults-repro-" });
  try {
    const long = fakeRun({ passes: 3, trainSize: 200 }, 100);
    const short = fakeRun({ passes: 1, trainSize: 10 }, 1800);
    await writeRunFile(dir, long);
    await writeRunFile(dir, short);
    const runs = await readRunFiles(dir);
    assert.equal(runs.length, 2, "the second recipe did not overwrite the first");
    const names = [...Deno.readDirSync(`${dir}/runs`)].map((e) => e.name).sort();
    assert.deepEqual(
      names,
      [
        `baseline-seed1337-${await recipeId(short.config)}.json`,
        `baseline-seed1337-${await recipeId(long.config)}.json`,
      ].sort(),
    );
    const summaries = summarizeVariants(runs);
    assert.deepEqual(summaries.map((s) => [s.recipe, s.seeds.length]).sort(), [
      ["baseline (passes 1, trainSize 10)", 1],
      ["baseline (passes 3, trainSize 200)", 1],
    ], "never averaged together");
    assert.ok(summaries.every((s) => s.published.reproTest === undefined), "not beside published");
    await writeSummaryFiles(dir, runs);
    const md = await Deno.readTextFile(`${dir}/summary.md`);
    assert.match(md, /baseline \(passes 1, trainSize 10\) +\| 1 /);
    assert.match(md, /baseline \(passes 3, trainSize 200\) +\| 3 /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("repro: published runs keep their names; a file that is not the run it names is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "faults-repro-" });
  try {
    const published = fakeRun({}, 90);
    await Deno.mkdir(`${dir}/runs`);
    await Deno.writeTextFile(`${dir}/runs/baseline-seed1337.json`, JSON.stringify(published));
    assert.equal((await readRunFiles(dir)).length, 1, "the older name is read");
    await writeRunFile(dir, { ...published, wallSeconds: 2 });
    assert.deepEqual([...Deno.readDirSync(`${dir}/runs`)].map((e) => e.name), [
      "baseline-seed1337.json",
    ], "the same recipe is rewritten in place, not duplicated");
    const other = fakeRun({ seed: 1338 }, 95);
    await Deno.writeTextFile(`${dir}/runs/baseline-seed1337.json`, JSON.stringify(other));
    await assert.rejects(readRunFiles(dir), /holds baseline seed 1338 .*not the run its name says/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("repro refuses, before any work, to write another recipe into published results", async () => {
  const before = [...Deno.readDirSync(`${ROOT}/results/lecun1989/runs`)].map((e) => e.name).sort();
  const result = await runTask("repro", [
    "--variant",
    "baseline",
    "--passes",
    "1",
    "--train-size",
    "10",
    "--out",
    "results/lecun1989",
  ]);
  assert.equal(result.code, 2);
  assert.deepEqual(errorLines(result.stderr), [
    "error: --out results/lecun1989 holds published runs (under results/), which take only the " +
    "named recipes; baseline (passes 1, trainSize 10) is another recipe: write it elsewhere, " +
    "e.g. --out out/lecun1989",
  ]);
  const after = [...Deno.readDirSync(`${ROOT}/results/lecun1989/runs`)].map((e) => e.name).sort();
  assert.deepEqual(after, before);
});
