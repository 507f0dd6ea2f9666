import assert from "node:assert/strict";
import { defineSweep, planTrials, SweepDefinitionError, trialId } from "../../lib/sweep/mod.ts";

const run = () => ({});

async function assertPlanError(promise: Promise<unknown>, fragment: string) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SweepDefinitionError, `not a SweepDefinitionError: ${error}`);
    assert.ok(!error.message.includes("\n"), `multi-line message: ${error.message}`);
    assert.ok(error.message.includes(fragment), `"${error.message}" lacks "${fragment}"`);
    return true;
  });
}

Deno.test("the grid is the full product with the first axis varying slowest", async () => {
  const sweep = defineSweep({
    name: "g",
    version: 1,
    axes: { a: [1, 2], b: ["x", "y", "z"] },
    run,
  });
  const configs = (await planTrials(sweep)).map((t) => t.config);
  assert.deepEqual(configs, [
    { a: 1, b: "x" },
    { a: 1, b: "y" },
    { a: 1, b: "z" },
    { a: 2, b: "x" },
    { a: 2, b: "y" },
    { a: 2, b: "z" },
  ]);
});

Deno.test("zip groups vary together and are crossed with the other axes", async () => {
  const sweep = defineSweep({
    name: "z",
    version: 1,
    axes: { width: [8, 16, 32], seed: [0, 1], depth: [2, 4, 8] },
    zip: [["width", "depth"]],
    run,
  });
  const configs = (await planTrials(sweep)).map((t) => t.config);
  assert.equal(configs.length, 6);
  assert.deepEqual(configs.map((c) => [c.width, c.depth, c.seed]), [
    [8, 2, 0],
    [8, 2, 1],
    [16, 4, 0],
    [16, 4, 1],
    [32, 8, 0],
    [32, 8, 1],
  ]);
  assert.deepEqual(Object.keys(configs[0]), ["width", "seed", "depth"]);
});

Deno.test("derive adds computed values that filter can use", async () => {
  const sweep = defineSweep({
    name: "d",
    version: 1,
    axes: { params: [1e6, 1e7], tokensPerParam: [10, 20] },
    derive: ({ params, tokensPerParam }) => ({ tokens: params * tokensPerParam }),
    filter: ({ tokens }) => tokens < 1.5e8,
    run,
  });
  const configs = (await planTrials(sweep)).map((t) => t.config);
  assert.deepEqual(configs, [
    { params: 1e6, tokensPerParam: 10, tokens: 1e7 },
    { params: 1e6, tokensPerParam: 20, tokens: 2e7 },
    { params: 1e7, tokensPerParam: 10, tokens: 1e8 },
  ]);
});

Deno.test("derive may not overwrite an axis or return non-JSON values", async () => {
  const clash = defineSweep({
    name: "c",
    version: 1,
    axes: { a: [1] },
    derive: () => ({ a: 2 }),
    run,
  });
  await assertPlanError(planTrials(clash), `derive returns "a", which is already an axis`);
  const nan = defineSweep({
    name: "n",
    version: 1,
    axes: { a: [0] },
    derive: ({ a }) => ({ b: a / 0 - a / 0 }),
    run,
  });
  await assertPlanError(planTrials(nan), `derived "b" is NaN`);
  const throws = defineSweep({
    name: "t",
    version: 1,
    axes: { a: [1] },
    derive: () => {
      throw new Error("no derivation\nsecond line");
    },
    run,
  });
  await assertPlanError(planTrials(throws), 'derive threw for {"a":1}: no derivation');
});

Deno.test("a filter that removes everything is a one-line error", async () => {
  const sweep = defineSweep({
    name: "f",
    version: 1,
    axes: { a: [1, 2, 3] },
    filter: () => false,
    run,
  });
  await assertPlanError(planTrials(sweep), "filter removed all 3 combinations");
});

Deno.test("random draws n distinct combinations, the same ones for the same seed", async () => {
  const axes = { a: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], b: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] };
  const sample = async (seed: number, n = 12) =>
    (await planTrials(defineSweep({ name: "r", version: 1, axes, random: { n, seed }, run })))
      .map((t) => t.id);
  const first = await sample(7);
  assert.equal(first.length, 12);
  assert.equal(new Set(first).size, 12);
  assert.deepEqual(await sample(7), first);
  assert.notDeepEqual(await sample(8), first);
  const all = (await planTrials(defineSweep({ name: "r", version: 1, axes, run }))).map((t) =>
    t.id
  );
  assert.ok(first.every((id) => all.includes(id)));
  const positions = first.map((id) => all.indexOf(id));
  assert.deepEqual(positions, [...positions].sort((x, y) => x - y), "kept in grid order");
  assert.equal((await sample(7, 500)).length, 100, "n beyond the grid takes the whole grid");
});

Deno.test("random samples after filtering", async () => {
  const sweep = defineSweep({
    name: "rf",
    version: 1,
    axes: { a: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
    filter: ({ a }) => a % 2 === 0,
    random: { n: 3, seed: 1 },
    run,
  });
  const configs = (await planTrials(sweep)).map((t) => t.config.a as number);
  assert.equal(configs.length, 3);
  assert.ok(configs.every((a) => a % 2 === 0));
});

Deno.test("presets swap axis lists; an unknown preset lists the known ones", async () => {
  const sweep = defineSweep({
    name: "p",
    version: 1,
    axes: { size: [1, 2, 3], seed: [0, 1, 2] },
    presets: { cpu: { size: [1] }, gpu: { size: [4, 5] } },
    run,
  });
  assert.equal((await planTrials(sweep)).length, 9);
  const cpu = await planTrials(sweep, { preset: "cpu" });
  assert.deepEqual(cpu.map((t) => t.config), [{ size: 1, seed: 0 }, { size: 1, seed: 1 }, {
    size: 1,
    seed: 2,
  }]);
  const full = await planTrials(sweep);
  assert.equal(cpu[0].id, full[0].id, "the same config has the same id under any preset");
  await assertPlanError(
    planTrials(sweep, { preset: "tpu" }),
    `unknown preset "tpu"; known presets: cpu, gpu`,
  );
  const none = defineSweep({ name: "q", version: 1, axes: { a: [1] }, run });
  await assertPlanError(planTrials(none, { preset: "cpu" }), "this sweep defines no presets");
});

Deno.test("a preset that breaks a zip group's equal lengths is a one-line error", async () => {
  const sweep = defineSweep({
    name: "pz",
    version: 1,
    axes: { w: [1, 2], d: [3, 4] },
    zip: [["w", "d"]],
    presets: { small: { w: [1] } },
    run,
  });
  await assertPlanError(planTrials(sweep, { preset: "small" }), `in preset "small" (w: 1, d: 2)`);
});

Deno.test("trial ids hash name, version and the canonical config", async () => {
  const id = await trialId("exp", "1", { lr: 0.1, model: { depth: 2, width: 8 } });
  assert.match(id, /^[0-9a-f]{16}$/);
  assert.equal(id, await trialId("exp", "1", { model: { width: 8, depth: 2 }, lr: 0.1 }));
  assert.notEqual(id, await trialId("exp", "2", { lr: 0.1, model: { depth: 2, width: 8 } }));
  assert.notEqual(id, await trialId("exp2", "1", { lr: 0.1, model: { depth: 2, width: 8 } }));
  assert.notEqual(id, await trialId("exp", "1", { lr: 0.1, model: { depth: 2, width: 9 } }));
  const sweep = defineSweep({
    name: "exp",
    version: 1,
    axes: { lr: [0.1], model: [{ width: 8, depth: 2 }] },
    run,
  });
  assert.equal((await planTrials(sweep))[0].id, id);
});

Deno.test("huge grids are refused before they are built", async () => {
  const axis = Array.from({ length: 1000 }, (_, i) => i);
  const sweep = defineSweep({ name: "h", version: 1, axes: { a: axis, b: axis, c: [1, 2] }, run });
  await assertPlanError(planTrials(sweep), "the grid has 2000000 combinations");
});
