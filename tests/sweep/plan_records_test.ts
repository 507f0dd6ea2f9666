import assert from "node:assert/strict";
import {
  defineSweep,
  loadPlanRecords,
  loadResults,
  readTrialRecords,
  runSweep,
  sweepStatus,
} from "../../lib/sweep/mod.ts";

function quad(version: number) {
  return defineSweep({
    name: "plan-quad",
    version,
    axes: { x: [1, 2, 3] },
    presets: { small: { x: [1] }, other: { x: [7, 8] } },
    run: (config) => ({ loss: config.x * version }),
  });
}

Deno.test("records of another version are set aside, never summarized, and come back when asked for", async () => {
  const out = await Deno.makeTempDir({ prefix: "sweep-plan-" });
  await runSweep(quad(1), { out, progress: "none" });
  const warnings: string[] = [];
  const v2 = await runSweep(quad(2), { out, progress: "none", onWarning: (w) => warnings.push(w) });
  assert.equal(v2.ran, 3);
  assert.match(
    warnings.join("\n"),
    /3 trial files of another experiment or version \(3 version 1, not 2\) moved to .*set-aside; not used/,
  );
  assert.match(v2.others ?? "", /set-aside/);
  const summary = (await Deno.readTextFile(`${out}/summary.csv`)).trim().split("\n");
  assert.equal(summary.length, 4, "header + the 3 version-2 trials");
  assert.ok(summary.slice(1).every((line) => line.split(",")[2] === "2"));
  assert.equal((await readTrialRecords(out)).records.size, 3);

  const v1 = await runSweep(quad(1), { out, progress: "none", onWarning: () => {} });
  assert.deepEqual([v1.ran, v1.skipped], [0, 3], "the set-aside version-1 records were restored");
  await Deno.remove(out, { recursive: true });
});

Deno.test("records outside the plan stay in place, unused; a record whose id is not its hash is foreign", async () => {
  const out = await Deno.makeTempDir({ prefix: "sweep-plan-" });
  await runSweep(quad(1), { out, preset: "other", progress: "none" });
  const small = await runSweep(quad(1), {
    out,
    preset: "small",
    progress: "none",
    onWarning: () => {},
  });
  assert.match(
    small.others ?? "",
    /2 records of this experiment outside the plan \(another preset or grid\) left in/,
  );
  assert.equal((await loadResults(out, { sweep: quad(1), preset: "small" })).numRows(), 1);
  assert.equal((await loadResults(out)).numRows(), 3, "without a plan: every file");

  const [id] = [...(await loadPlanRecords(quad(1), out, { preset: "small" })).records.keys()];
  const path = `${out}/trials/${id}.json`;
  const tampered = JSON.parse(await Deno.readTextFile(path));
  tampered.config.x = 3;
  await Deno.writeTextFile(path, JSON.stringify(tampered));
  const found = await loadPlanRecords(quad(1), out, { preset: "small" });
  assert.equal(found.records.size, 0);
  assert.deepEqual(found.foreign.map((f) => f.reason), ["its id is not the hash of its config"]);
  const status = await sweepStatus(quad(1), { out, preset: "small" });
  assert.deepEqual(status.trials.map((t) => t.state), ["pending"]);
  assert.match(status.others ?? "", /1 trial file of another experiment or version/);
  await Deno.remove(out, { recursive: true });
});

Deno.test("--axis narrowing keeps the full grid's ids and notes the narrowing in the record", async () => {
  const out = await Deno.makeTempDir({ prefix: "sweep-plan-" });
  const narrowed = await runSweep(quad(1), { out, axes: { x: ["2"] }, progress: "none" });
  assert.deepEqual([narrowed.ran, narrowed.planComplete], [1, false]);
  const [record] = (await readTrialRecords(out)).records.values();
  assert.deepEqual(record.plan, { preset: null, axes: { x: ["2"] } });
  const full = await runSweep(quad(1), { out, progress: "none" });
  assert.deepEqual([full.ran, full.skipped, full.planComplete], [2, 1, true]);
  await assert.rejects(
    runSweep(quad(1), { out, axes: { x: [5] }, progress: "none" }),
    /--axis x=5: not a value of axis "x"; its values are 1, 2, 3/,
  );
  await assert.rejects(
    runSweep(quad(1), { out, axes: { y: [1] }, progress: "none" }),
    /--axis names unknown axis "y"; axes are x/,
  );
  await Deno.remove(out, { recursive: true });
});
