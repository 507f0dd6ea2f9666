import assert from "node:assert/strict";
import { planTrials } from "../../lib/sweep/plan.ts";
import { loadExperiment } from "../../lib/sweep/experiment.ts";
import { resultsTable } from "../../lib/sweep/results.ts";
import type { PackContext } from "../../lib/sweep/define.ts";
import type { TrialRecord } from "../../lib/sweep/store.ts";
import { lecunConfig } from "../../lib/lecun/config.ts";
import { acquireGpu } from "../../lib/gpu/device.ts";
import { FACTORIAL_FACTORS } from "../../lib/analysis/factorial.ts";
import * as factorial from "../../experiments/lecun1989-factorial.ts";
import * as isoError from "../../experiments/lecun1989-iso-error.ts";

const cell = (on: string[], more: Record<string, unknown> = {}) => ({
  ...Object.fromEntries(FACTORIAL_FACTORS.map((f) => [f, on.includes(f) ? 1 : 0])),
  seed: 1337,
  data_levels: [7291, 50000],
  pass_levels: [23, 92],
  ...more,
});

Deno.test("lecun1989-factorial plans 64 cells × 3 seeds, 1 seed in cpu, 6 in seeds6", async () => {
  for (const [preset, seeds] of [[undefined, 3], ["cpu", 1], ["seeds6", 6]] as const) {
    const trials = await planTrials(factorial.sweep, { preset });
    assert.equal(trials.length, 64 * seeds, `${preset}`);
    const cells = new Set(
      trials.map(({ config }) => FACTORIAL_FACTORS.map((f) => config[f]).join("")),
    );
    assert.equal(cells.size, 64);
  }
  const published = await planTrials(factorial.sweep);
  const more = await planTrials(factorial.sweep, { preset: "seeds6" });
  const ids = new Set(more.map((t) => t.id));
  assert.ok(published.every((t) => ids.has(t.id)), "seeds6 extends the published trials");
  const cpu = await planTrials(factorial.sweep, { preset: "cpu" });
  const budgets = new Set(cpu.map(({ config }) => `${config.train_size}/${config.passes}`));
  assert.deepEqual([...budgets].sort(), ["2000/12", "2000/3", "500/12", "500/3"]);
});

Deno.test("every factor switches the ladder's own fields", () => {
  const recipe = (on: string[], passes = 23) =>
    factorial.factorialRecipe(cell(on, { pass_levels: [passes, 92] }));
  const strip = ({ variant: _, ...rest }: ReturnType<typeof lecunConfig>) => rest;
  assert.deepEqual(strip(recipe([])), strip(lecunConfig("baseline")));
  assert.deepEqual(strip(recipe(["ce"])), strip(lecunConfig("ce")));
  assert.deepEqual(strip(recipe(["ce", "adamw"], 46)), strip(lecunConfig("adamw")));
  assert.deepEqual(strip(recipe(["ce", "adamw", "augment"], 60)), strip(lecunConfig("augment")));
  const modern = ["ce", "adamw", "augment", "relu_dropout"];
  assert.deepEqual(strip(recipe(modern, 80)), strip(lecunConfig("modern")));
  const mseAdamw = recipe(["adamw"]);
  assert.deepEqual(
    [mseAdamw.loss, mseAdamw.optimizer, mseAdamw.lr, mseAdamw.lrEnd, mseAdamw.weightDecay],
    ["mse", "adamw", 3e-4, 1e-4, 0.01],
  );
  const mseRelu = recipe(["relu_dropout"]);
  assert.deepEqual([mseRelu.loss, mseRelu.activation, mseRelu.dropout, mseRelu.lr], [
    "mse",
    "relu",
    0.25,
    0.03,
  ]);
  const all = factorial.factorialRecipe(cell([...FACTORIAL_FACTORS]));
  assert.deepEqual([all.trainSize, all.passes, all.variant], [50000, 92, modern.join("+")]);
});

Deno.test("trials that differ in augment or seed share a pack key; others do not", () => {
  const { key } = factorial.pack;
  assert.equal(key(cell(["ce"])), key(cell(["ce", "augment"], { seed: 1338 })));
  assert.notEqual(key(cell(["ce"])), key(cell(["ce", "adamw"])));
  assert.notEqual(key(cell(["ce"])), key(cell(["ce", "more_passes"])));
  assert.notEqual(key(cell(["ce"])), key(cell(["ce", "more_data"])));
  assert.ok(factorial.pack.capacity!(cell([]), null) >= 6, "a key's 2 × 3 trials fit one pack");
});

Deno.test("the factorial's summary has the factor columns, seed, test_error and train_error", async () => {
  const trials = await planTrials(factorial.sweep, { preset: "cpu" });
  const records = trials.slice(0, 2).map(({ id, config }) =>
    ({
      id,
      experiment: "lecun1989-factorial",
      version: "1",
      config,
      status: "ok",
      metrics: { test_error: 5, train_error: 1 },
      history: [],
      adapter: "none",
      wallSeconds: 1,
      gitCommit: null,
      startedAt: "",
      endedAt: "",
      error: null,
    }) as TrialRecord
  );
  const columns = resultsTable(records).columnNames();
  for (const name of [...FACTORIAL_FACTORS, "seed", "test_error", "train_error"]) {
    assert.ok(columns.includes(name), `summary has ${name}: ${columns}`);
  }
});

Deno.test("lecun1989-iso-error plans 2 recipes × 5 sizes × 5 passes × 4 seeds", async () => {
  const trials = await planTrials(isoError.sweep);
  assert.equal(trials.length, 200);
  const sizes = new Set(trials.map(({ config }) => config.train_size));
  const passes = new Set(trials.map(({ config }) => config.passes));
  assert.ok(sizes.size >= 5 && Math.min(...sizes as Set<number>) === 1000);
  assert.equal(Math.max(...sizes as Set<number>), 50000);
  assert.ok(passes.size >= 5 && Math.min(...passes as Set<number>) === 6);
  assert.equal(Math.max(...passes as Set<number>), 92);
  assert.equal((await planTrials(isoError.sweep, { preset: "cpu" })).length, 50);
  const modern = trials.find(({ config }) => config.recipe === "modern")!.config;
  assert.deepEqual([modern.ce, modern.adamw, modern.augment, modern.relu_dropout], [1, 1, 1, 1]);
  assert.equal(
    isoError.pack.key(modern),
    factorial.pack.key(cell(
      ["ce", "adamw", "augment", "relu_dropout"],
      { data_levels: [1000, 50000], pass_levels: [6, 92] },
    )),
  );
});

Deno.test("bad experiment inputs are refused in one line before anything runs", async () => {
  const refuses = async (sweep: typeof factorial.sweep, axes: object, pattern: RegExp) => {
    const bad = { ...sweep, axes: { ...sweep.axes, ...axes } };
    await assert.rejects(() => planTrials(bad), (error: Error) => {
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes("\n"), error.message);
      return true;
    });
  };
  await refuses(factorial.sweep, { ce: [2] }, /ce must be 0 \(off\) or 1 \(on\), got 2$/);
  await refuses(
    factorial.sweep,
    { data_levels: [[7291, 70000]] },
    /train size must be an integer from 1 to 60000, got 70000$/,
  );
  await refuses(
    factorial.sweep,
    { pass_levels: [[23, 23]] },
    /pass_levels must be two increasing positive integers \[off, on\], got \[23,23\]$/,
  );
  await refuses(factorial.sweep, { seed: [1.5] }, /seed must be an integer, got 1.5$/);
  await refuses(
    isoError.sweep,
    { recipe: ["2022"] },
    /recipe must be one of 1989, modern, got "2022"$/,
  );
  await refuses(
    isoError.sweep,
    { passes: [0] },
    /passes must be an integer from 1 to 100000, got 0$/,
  );
});

Deno.test("cpu presets pass `deno task sweep --dry-run`", async () => {
  for (const [name, count] of [["lecun1989-factorial", 64], ["lecun1989-iso-error", 50]] as const) {
    const out = await Deno.makeTempDir({ dir: "/tmp" });
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write=/tmp",
        "--allow-env",
        "--allow-run=git",
        "lib/cli/sweep.ts",
        name,
        "--preset",
        "cpu",
        "--dry-run",
        "--out",
        out,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    await Deno.remove(out, { recursive: true });
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.match(
      new TextDecoder().decode(stdout),
      new RegExp(`${count} trials: 0 done, 0 failed, 0 diverged, ${count} pending`),
    );
    await loadExperiment(name);
  }
});

Deno.test("pack.run trains a pack in one call and reports each trial to its own context", async () => {
  const gpu = await acquireGpu();
  const tiny = { data_levels: [50, 100], pass_levels: [1, 2] };
  const configs = [
    cell([], tiny),
    cell(["augment"], { ...tiny, seed: 7 }),
    cell(["more_passes"], tiny),
  ];
  const reports: number[][] = configs.map(() => []);
  const contexts: PackContext[] = configs.map((_, i) => ({
    id: `trial${i}`,
    signal: new AbortController().signal,
    report: (step) => reports[i].push(step),
    device: Promise.resolve(gpu),
    finish: () => {},
  }));
  const results = await factorial.pack.run(configs, contexts);
  assert.equal(results.length, 3);
  assert.deepEqual(results.map((r) => r!.pack_size), [2, 2, 1]);
  assert.deepEqual(reports, [[0, 1], [0, 1], [0, 1, 2]]);
  for (const r of results) {
    const error = r!.test_error as number;
    assert.ok(error > 0 && error < 100, `test error ${error}`);
    assert.equal(typeof r!.train_error, "number");
  }
  const stopped = new AbortController();
  stopped.abort(new Error("stopped before the start"));
  await assert.rejects(
    () => factorial.pack.run([configs[0]], [{ ...contexts[0], signal: stopped.signal }]),
    /stopped before the start/,
  );
});
