import assert from "node:assert/strict";
import { planTrials } from "../../lib/sweep/plan.ts";
import { loadExperiment } from "../../lib/sweep/experiment.ts";
import { nonEmbeddingParams } from "../../lib/train/gpt_trial.ts";

/** Trials each experiment's presets plan (the cpu preset must fit 15 minutes on lavapipe). */
const EXPECTED: Record<string, { cpu: number; gpu: number }> = {
  "gpt-model-size": { cpu: 6, gpu: 6 },
  "gpt-data-size": { cpu: 15, gpu: 18 },
  "gpt-isoflop": { cpu: 20, gpu: 28 },
  "gpt-ablations": { cpu: 45, gpu: 45 },
  "lecun1989-scaling": { cpu: 54, gpu: 288 },
};

for (const [name, counts] of Object.entries(EXPECTED)) {
  Deno.test(`${name}: presets plan the expected trials`, async () => {
    const sweep = await loadExperiment(name);
    assert.equal((await planTrials(sweep, { preset: "cpu" })).length, counts.cpu);
    assert.equal((await planTrials(sweep, { preset: "gpu" })).length, counts.gpu);
  });
}

Deno.test("gpt-isoflop: ≥ 4 budgets with ≥ 5 model sizes each, cpu and gpu", async () => {
  const sweep = await loadExperiment("gpt-isoflop");
  for (const preset of ["cpu", "gpu"]) {
    const trials = await planTrials(sweep, { preset });
    const sizes = new Map<number, Set<number>>();
    for (const { config } of trials) {
      const budget = config.budget as number;
      sizes.set(budget, (sizes.get(budget) ?? new Set()).add(nonEmbeddingParams(config as never)));
    }
    assert.ok(sizes.size >= 4, `${preset}: ${sizes.size} budgets`);
    for (const [budget, models] of sizes) {
      assert.ok(models.size >= 5, `${preset}: budget ${budget} has ${models.size} sizes`);
    }
    for (const { config } of trials) {
      const n = nonEmbeddingParams(config as never);
      const tokens = (config.steps as number) * (config.batch as number) *
        (config.context as number);
      assert.ok(Math.abs(6 * n * tokens / (config.budget as number) - 1) < 0.1);
    }
  }
});

Deno.test("gpt-model-size: non-embedding N spans ≥ 1.5 decades in both presets", async () => {
  const sweep = await loadExperiment("gpt-model-size");
  for (const preset of ["cpu", "gpu"]) {
    const n = (await planTrials(sweep, { preset })).map(({ config }) =>
      nonEmbeddingParams(config as never)
    );
    assert.ok(Math.log10(Math.max(...n) / Math.min(...n)) >= 1.5, `${preset}: N ${n}`);
  }
});

Deno.test("gpt-ablations: ≥ 4 changes, each at ≥ 3 budgets and ≥ 3 seeds", async () => {
  const sweep = await loadExperiment("gpt-ablations");
  const trials = await planTrials(sweep, { preset: "cpu" });
  const cells = new Map<string, Set<number>>();
  for (const { config } of trials) {
    const key = `${config.variant}|${config.budget}`;
    cells.set(key, (cells.get(key) ?? new Set()).add(config.seed as number));
  }
  const variants = new Set(trials.map(({ config }) => config.variant));
  assert.ok(variants.has("baseline") && variants.size >= 5, `${variants.size} variants`);
  for (const seeds of cells.values()) assert.ok(seeds.size >= 3);
  assert.equal(cells.size, variants.size * 3);
});

Deno.test("every cpu preset passes `deno task sweep --dry-run` with its trial count", async () => {
  for (const [name, counts] of Object.entries(EXPECTED)) {
    const out = await Deno.makeTempDir({ dir: "/tmp" });
    const command = new Deno.Command(Deno.execPath(), {
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
    });
    const { code, stdout, stderr } = await command.output();
    await Deno.remove(out, { recursive: true });
    const text = new TextDecoder().decode(stdout);
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.match(
      text,
      new RegExp(`${counts.cpu} trials: 0 done, 0 failed, 0 diverged, ${counts.cpu} pending`),
    );
  }
});
