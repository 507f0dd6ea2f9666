import assert from "node:assert/strict";
import { defineSweep, planTrials } from "../../lib/sweep/mod.ts";
import {
  copyTrials,
  notebookScale,
  readPlotSpec,
  repoPath,
  sweepVariant,
} from "../../lib/notebook/mod.ts";

Deno.test("notebookScale reads SCALELAB_NOTEBOOK_SCALE", () => {
  const before = Deno.env.get("SCALELAB_NOTEBOOK_SCALE");
  try {
    Deno.env.set("SCALELAB_NOTEBOOK_SCALE", "small");
    assert.equal(notebookScale(), "small");
    Deno.env.delete("SCALELAB_NOTEBOOK_SCALE");
    assert.equal(notebookScale(), "full");
    Deno.env.set("SCALELAB_NOTEBOOK_SCALE", "tiny");
    assert.throws(() => notebookScale(), /must be "small" or "full", got "tiny"/);
  } finally {
    if (before === undefined) Deno.env.delete("SCALELAB_NOTEBOOK_SCALE");
    else Deno.env.set("SCALELAB_NOTEBOOK_SCALE", before);
  }
});

Deno.test("readPlotSpec inlines a relative CSV data url", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp" });
  try {
    await Deno.writeTextFile(`${dir}/rows.csv`, "pass,error\n1,0.5\n2,0.25\n");
    await Deno.writeTextFile(
      `${dir}/p.vl.json`,
      JSON.stringify({ layer: [{ data: { url: "rows.csv" }, mark: "line" }] }),
    );
    const spec = await readPlotSpec(`${dir}/p.vl.json`) as unknown as {
      layer: { data: { values: unknown[] } }[];
    };
    assert.deepEqual(spec.layer[0].data.values, [{ pass: 1, error: 0.5 }, {
      pass: 2,
      error: 0.25,
    }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.ok(repoPath("results").endsWith("/results"));
  assert.equal(repoPath("/abs"), "/abs");
});

Deno.test("sweepVariant: a preset's axes, changed and cut, same trial identity", async () => {
  const sweep = defineSweep({
    name: "v",
    version: 1,
    axes: { x: [1, 2, 3], steps: [100] },
    presets: { cpu: { x: [4, 5, 6] } },
    run: () => ({ loss: 1 }),
  });
  const small = sweepVariant(sweep, "cpu", { steps: [10] }, { x: 2 });
  assert.deepEqual((await planTrials(small)).map((t) => t.config), [
    { x: 4, steps: 10 },
    { x: 5, steps: 10 },
  ]);
  const same = sweepVariant(sweep, undefined);
  const ids = async (s: typeof sweep) => (await planTrials(s)).map((t) => t.id);
  assert.deepEqual(await ids(same), await ids(sweep));
  assert.throws(() => sweepVariant(sweep, "gpu"), /has no preset "gpu"; presets: cpu/);
  assert.throws(() => sweepVariant(sweep, "cpu", { y: [1] }), /has no axis "y"/);
});

Deno.test("copyTrials replaces the trial files an earlier copy left behind", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp" });
  try {
    await Deno.mkdir(`${dir}/published/trials`, { recursive: true });
    await Deno.writeTextFile(`${dir}/published/trials/new.json`, "{}");
    await Deno.mkdir(`${dir}/copy/trials`, { recursive: true });
    await Deno.writeTextFile(`${dir}/copy/trials/stale.json`, "{}");
    const target = await copyTrials(`${dir}/published`, `${dir}/copy`);
    const names = [...Deno.readDirSync(`${target}/trials`)].map((e) => e.name);
    assert.deepEqual(names, ["new.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
