/**
 * Scale-out on a real Slurm (`deno task test:slurm`, which first brings up a single-node
 * cluster with scale-out/slurm-local.sh): a job array of four shards of example-quadratic and
 * of lecun1989-scaling's `slurm` preset, every trial run exactly once; one LeCun array task
 * cancelled midway (`scancel`), the array resubmitted, and only that task's unfinished trials
 * run again. Skipped unless SCALELAB_SLURM=1 (the task sets it).
 *
 * @module
 */
import assert from "node:assert/strict";
import { loadExperiment } from "../../lib/sweep/experiment.ts";
import { planTrials } from "../../lib/sweep/plan.ts";
import { selectShard } from "../../lib/sweep/shard.ts";
import { readTrialRecords } from "../../lib/sweep/store.ts";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const DENO = `${ROOT}/node_modules/deno/deno`;
const enabled = Deno.env.get("SCALELAB_SLURM") === "1";

async function run(command: string, args: string[]): Promise<string> {
  const output = await new Deno.Command(command, { args, cwd: ROOT, stdin: "null" }).output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(`${command} ${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`);
  }
  return text;
}

/** Submits the array (exactly as the README says, plus where its logs go); returns the job id. */
async function submit(logs: string, tag: string, sweepArgs: string[]): Promise<string> {
  const id = (await run("sbatch", [
    "--parsable",
    "--array=0-3",
    `--output=${logs}/${tag}-%A_%a.out`,
    "scale-out/slurm-sweep.sh",
    ...sweepArgs,
  ])).trim().split(";")[0];
  assert.match(id, /^\d+$/);
  return id;
}

async function waitForJob(id: string, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await run("squeue", ["-h", "-j", id, "-o", "%i"])).trim() !== "") {
    if (Date.now() > deadline) throw new Error(`job ${id} still queued or running`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The trial-start events of the job's task logs, by task index. */
async function startsOf(logs: string, tag: string, id: string): Promise<Map<number, string[]>> {
  const starts = new Map<number, string[]>();
  for (let task = 0; task < 4; task++) {
    const text = await Deno.readTextFile(`${logs}/${tag}-${id}_${task}.out`).catch(() => "");
    starts.set(
      task,
      text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
        .filter((e) => e.event === "trial-start").map((e) => e.id),
    );
  }
  return starts;
}

Deno.test({
  name: "slurm: a 4-task array covers example-quadratic, each trial exactly once",
  ignore: !enabled,
  async fn() {
    const work = `out/slurm-test-${crypto.randomUUID().slice(0, 8)}`;
    await Deno.mkdir(`${ROOT}/${work}`, { recursive: true });
    const out = `${work}/quadratic`;
    const job = await submit(work, "quadratic", ["example-quadratic", "--out", out]);
    console.log(
      `submitted job ${job}: sbatch --array=0-3 scale-out/slurm-sweep.sh example-quadratic`,
    );
    await waitForJob(job);
    const planned = (await planTrials(await loadExperiment("example-quadratic", ROOT))).map((t) =>
      t.id
    );
    const starts = [...(await startsOf(`${ROOT}/${work}`, "quadratic", job)).values()].flat();
    assert.deepEqual([...starts].sort(), [...planned].sort(), "every trial started exactly once");
    console.log(`job ${job} done: ${starts.length} trial starts for ${planned.length} trials`);
    const { records } = await readTrialRecords(`${ROOT}/${out}`);
    assert.equal(records.size, planned.length);
    assert.ok([...records.values()].every((r) => r.status === "ok"));
    const last = await run(DENO, [
      "run",
      "--no-prompt",
      "--allow-read",
      "--allow-write=results,out",
      "--allow-env",
      "--allow-run=node_modules/deno/deno",
      "lib/cli/sweep.ts",
      "example-quadratic",
      "--out",
      out,
    ]);
    assert.match(
      last,
      /"event":"sweep-start".*"pending":0/,
      "nothing left for a last unsharded run",
    );
    await Deno.remove(`${ROOT}/${work}`, { recursive: true });
  },
});

Deno.test({
  name: "slurm: a LeCun array task cancelled midway reruns only its unfinished trials",
  ignore: !enabled,
  async fn() {
    const work = `out/slurm-test-${crypto.randomUUID().slice(0, 8)}`;
    await Deno.mkdir(`${ROOT}/${work}`, { recursive: true });
    const out = `${ROOT}/${work}/lecun`;
    const args = ["lecun1989-scaling", "--preset", "slurm", "--out", `${work}/lecun`];
    const planned = await planTrials(await loadExperiment("lecun1989-scaling", ROOT), {
      preset: "slurm",
    });
    const victim = selectShard(planned, { index: 1, count: 4 }).map((t) => t.id);
    assert.equal(victim.length, 3);

    const first = await submit(`${ROOT}/${work}`, "lecun", args);
    console.log(
      `submitted job ${first}: ${planned.length} trials of lecun1989-scaling --preset slurm`,
    );
    const deadline = Date.now() + 600_000;
    for (;;) {
      const done = [...(await readTrialRecords(out)).records.keys()].filter((id) =>
        victim.includes(id)
      );
      if (done.length >= 1) {
        assert.ok(done.length < victim.length, "cancelled midway, before its last trial");
        break;
      }
      if (Date.now() > deadline) throw new Error("task 1 recorded no trial");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await run("scancel", [`${first}_1`]);
    console.log(`scancel ${first}_1 (task 1 of 4, its trials ${victim.join(", ")})`);
    await waitForJob(first);
    const before = (await readTrialRecords(out)).records;
    const finishedVictims = victim.filter((id) => before.has(id));
    assert.ok(finishedVictims.length >= 1 && finishedVictims.length < 3, `${finishedVictims}`);
    assert.equal(before.size, planned.length - (victim.length - finishedVictims.length));
    const log1 = await Deno.readTextFile(`${out}/../lecun-${first}_1.out`);
    assert.match(log1, /interrupted: \d+ trials not run; rerun to resume/, "SIGTERM handled");

    console.log(
      `job ${first} done: ${before.size} of ${planned.length} trials recorded; task 1 finished ` +
        `${finishedVictims.length} of 3 before it was cancelled`,
    );
    const second = await submit(`${ROOT}/${work}`, "lecun", args);
    console.log(`resubmitted as job ${second}`);
    await waitForJob(second);
    const after = (await readTrialRecords(out)).records;
    assert.equal(after.size, planned.length, "every trial recorded");
    for (const [id, record] of before) {
      assert.equal(after.get(id)?.endedAt, record.endedAt, `finished trial ${id} was not rerun`);
    }
    const reran = [...(await startsOf(`${ROOT}/${work}`, "lecun", second)).values()].flat();
    assert.deepEqual(
      [...reran].sort(),
      victim.filter((id) => !finishedVictims.includes(id)).sort(),
      "the resubmission ran exactly the cancelled task's unfinished trials",
    );
    console.log(
      `job ${second} done: ${after.size} trials recorded; it ran ${reran.length} (${
        reran.join(", ")
      }), the ${before.size} recorded before were not rerun`,
    );
    const firstStarts = [...(await startsOf(`${ROOT}/${work}`, "lecun", first)).values()].flat();
    assert.equal(new Set(firstStarts).size, firstStarts.length, "no trial started twice");
    await Deno.remove(`${ROOT}/${work}`, { recursive: true });
  },
});
