import assert from "node:assert/strict";
import * as aq from "arquero";
import {
  defineSweep,
  loadHistory,
  loadResults,
  resultsTable,
  runSweep,
  type TrialRecord,
} from "../../lib/sweep/mod.ts";

function record(id: string, config: TrialRecord["config"], metrics: TrialRecord["metrics"]) {
  return {
    id,
    experiment: "r",
    version: "1",
    config,
    status: "ok",
    metrics,
    history: [],
    adapter: "none",
    wallSeconds: 0.5,
    gitCommit: null,
    startedAt: "2025-01-01T00:00:00.000Z",
    endedAt: "2025-01-01T00:00:00.500Z",
    error: null,
  } satisfies TrialRecord;
}

Deno.test("summary.csv has one row per trial with config and metric columns", async () => {
  const out = await Deno.makeTempDir({ prefix: "sweep-results-" });
  const sweep = defineSweep({
    name: "summary",
    version: 1,
    axes: { lr: [0.1, 0.01], model: [{ width: 8, depth: 2 }] },
    run(config, ctx) {
      if (config.lr === 0.1) throw new Error("too hot, with a comma");
      ctx.report(0, { loss: 1 });
      return { loss: 0.25, acc: 0.9 };
    },
  });
  await runSweep(sweep, { out, progress: "none" });
  const lines = (await Deno.readTextFile(`${out}/summary.csv`)).trim().split("\n");
  assert.equal(
    lines[0],
    "id,status,version,lr,model.width,model.depth,loss,acc,wall_seconds,adapter,git_commit,started_at,error",
  );
  assert.equal(lines.length, 3);
  assert.match(lines[1], /^[0-9a-f]{16},ok,1,0\.01,8,2,0\.25,0\.9,/);
  assert.match(lines[2], /^[0-9a-f]{16},failed,1,0\.1,8,2,,,.*,"Error: too hot, with a comma"$/);
  await Deno.remove(out, { recursive: true });
});

Deno.test("loadResults gives an arquero table; loadHistory one row per reported point", async () => {
  const out = await Deno.makeTempDir({ prefix: "sweep-results-" });
  const sweep = defineSweep({
    name: "tables",
    version: 1,
    axes: { n: [10, 20, 30] },
    run(config, ctx) {
      for (let step = 0; step < 3; step++) ctx.report(step, { loss: config.n / (step + 1) });
      return { loss: config.n / 3 };
    },
  });
  await runSweep(sweep, { out, progress: "none" });
  const table = await loadResults(out);
  assert.equal(table.numRows(), 3);
  assert.deepEqual(table.array("n"), [10, 20, 30]);
  assert.deepEqual(table.array("loss"), [10 / 3, 20 / 3, 10]);
  const history = await loadHistory(out);
  assert.equal(history.numRows(), 9);
  assert.deepEqual(history.columnNames(), ["id", "status", "n", "step", "seconds", "loss"]);
  const ofTwenty = history.params({ n: 20 }).filter((d: { n: number }, $: { n: number }) =>
    d.n === $.n
  );
  assert.deepEqual(ofTwenty.array("loss"), [20, 10, 20 / 3]);
  await Deno.remove(out, { recursive: true });
});

Deno.test("clashing names get config. and metrics. prefixes; rows sort by config", () => {
  const table = resultsTable([
    record("b", { status: "warm", lr: 0.2 }, { lr: 1, loss: 2 }),
    record("a", { status: "cold", lr: 0.1 }, { loss: 3, extra: [1, 2] }),
  ]);
  assert.deepEqual(table.columnNames(), [
    "id",
    "status",
    "version",
    "config.status",
    "lr",
    "metrics.lr",
    "loss",
    "extra",
    "wall_seconds",
    "adapter",
    "git_commit",
    "started_at",
    "error",
  ]);
  assert.deepEqual(table.array("id"), ["a", "b"]);
  assert.deepEqual(table.array("extra"), ["[1,2]", null]);
  assert.deepEqual(table.array("metrics.lr"), [null, 1]);
});

Deno.test("summary.arrow holds summary.csv's table; history.csv is tidy (id, step, metric, value)", async () => {
  const out = await Deno.makeTempDir({ prefix: "sweep-results-" });
  const sweep = defineSweep({
    name: "interop",
    version: 1,
    axes: { n: [10, 20], tag: ["a", "b"] },
    run(config, ctx) {
      ctx.report(0, { loss: config.n, acc: 0.5 });
      ctx.report(5, { loss: config.n / 2 });
      return { loss: config.n / 2, note: config.n === 10 ? "x" : 3 };
    },
  });
  await runSweep(sweep, { out, progress: "none" });
  const csv = aq.fromCSV(await Deno.readTextFile(`${out}/summary.csv`));
  const arrow = aq.fromArrow(await Deno.readFile(`${out}/summary.arrow`));
  assert.deepEqual(arrow.columnNames(), csv.columnNames());
  assert.equal(arrow.numRows(), 4);
  assert.deepEqual(arrow.array("n"), csv.array("n"));
  assert.deepEqual(arrow.array("loss"), csv.array("loss"));
  assert.deepEqual(arrow.array("note"), ["x", "x", "3", "3"], "a mixed column is text");
  const history = (await Deno.readTextFile(`${out}/history.csv`)).trimEnd().split("\n");
  assert.equal(history[0], "id,step,metric,value");
  assert.equal(history.length, 1 + 4 * 3, "three reported values per trial");
  assert.match(history[1], /^[0-9a-f]{16},0,loss,(10|20)$/);
  await Deno.remove(out, { recursive: true });
});
