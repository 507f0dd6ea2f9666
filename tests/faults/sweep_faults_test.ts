/**
 * Fault injection on `deno task sweep` (issue 13, item 5): hung, crashing and heap-exhausting
 * trials, signals while a trial hangs, timeouts past what a timer can hold, two processes on
 * one directory, a closed stdout, and a pack killed midway. Every command runs as the task
 * does (its permission flags), writing to a temp directory.
 *
 * @module
 */
import assert from "node:assert/strict";
import { readTrialRecords, type TrialRecord } from "../../lib/sweep/mod.ts";
import { errorLines, runTask, spawnTask, startedLog, waitFor } from "./helpers.ts";

const FAULTY = "tests/faults/fixtures/faulty.ts";
const SLEEPY = "tests/sweep/fixtures/sleepy.ts";

async function workspace() {
  const dir = await Deno.makeTempDir({ prefix: "faults-sweep-" });
  const out = `${dir}/results`;
  return { dir, out, log: `${out}/started.log` };
}

function byKind(records: Map<string, TrialRecord>): Record<string, TrialRecord> {
  return Object.fromEntries([...records.values()].map((r) => [r.config.kind, r]));
}

Deno.test("a timeout past what setTimeout holds is one line before any trial runs", async () => {
  const { dir, out } = await workspace();
  const result = await runTask("sweep", [FAULTY, "--out", out, "--timeout", "3000000"], {
    writeDir: dir,
  });
  assert.equal(result.code, 2);
  assert.deepEqual(errorLines(result.stderr), [
    'error: --timeout must be a number > 0 and ≤ 2147483, got "3000000"',
  ]);
  await assert.rejects(Deno.stat(`${out}/trials`), Deno.errors.NotFound);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("hung, crashing and heap-exhausting trials are killed and recorded; the sweep goes on", async () => {
  const { dir, out, log } = await workspace();
  const env = { SWEEP_TEST_LOG: log };
  const args = [FAULTY, "--out", out, "--timeout", "3", "--heap", "96"];
  const result = await runTask("sweep", args, { writeDir: dir, env, timeoutMs: 90_000 });
  assert.equal(result.signal, null, "the sweep was not killed by the harness");
  assert.equal(result.code, 1, result.stderr);
  const kinds = byKind((await readTrialRecords(out)).records);
  assert.deepEqual(Object.keys(kinds).sort(), ["also-ok", "crash", "hang", "ok", "oom", "throws"]);
  assert.equal(kinds.ok.status, "ok", "the trial before the out-of-memory one is on disk");
  assert.equal(kinds["also-ok"].status, "ok", "trials after the bad ones ran");
  assert.equal(kinds.hang.error?.message, "timed out after 3 s");
  assert.match(kinds.oom.error?.message ?? "", /ran out of JavaScript heap \(limit 96 MB\)/);
  assert.match(kinds.crash.error?.message ?? "", /process died \(exit code 3\)/);
  assert.equal(kinds.throws.error?.message, "RangeError: boom");
  for (const kind of ["hang", "oom", "crash"]) {
    assert.equal(kinds[kind].status, "failed");
    assert.deepEqual(kinds[kind].history.map((p) => p.metrics.loss), [1], `${kind}: reports kept`);
  }
  assert.ok(!result.stderr.includes("C stack trace"), "V8's crash dump is summarized, not shown");

  const rerun = await runTask("sweep", [...args, "--retry-failed"], {
    writeDir: dir,
    env: { ...env, SWEEP_TEST_RUN: "rerun" },
    timeoutMs: 90_000,
  });
  assert.equal(rerun.code, 1, rerun.stderr);
  const rerunKinds = (await startedLog(log)).filter(([run]) => run === "rerun").map(([, , k]) => k);
  assert.deepEqual(rerunKinds.sort(), ["crash", "hang", "oom", "throws"], "reruns only the failed");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("Ctrl-C twice or SIGTERM ends a sweep whose trial never yields", async () => {
  for (const [signals, exitCode] of [[["SIGINT", "SIGINT"], 130], [["SIGTERM"], 143]] as const) {
    const { dir, out, log } = await workspace();
    const child = spawnTask("sweep", [FAULTY, "--preset", "hang", "--out", out], {
      writeDir: dir,
      env: { SWEEP_TEST_LOG: log },
    });
    await waitFor("the hung trial to start", async () => (await startedLog(log)).length >= 1);
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    for (const signal of signals) {
      child.kill(signal);
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    const output = await child.output();
    clearTimeout(timer);
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.signal, null, `${signals}: the sweep exited by itself`);
    assert.equal(output.code, exitCode, stderr);
    assert.match(stderr, /interrupted: 2 trials not run; rerun to resume/);
    assert.equal((await readTrialRecords(out)).records.size, 0, "the hung trial is not recorded");
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("two unsharded processes on one directory run every trial exactly once", async () => {
  const { dir, out, log } = await workspace();
  const env = { SWEEP_TEST_LOG: log, SWEEP_TEST_SLEEP_MS: "100" };
  const results = await Promise.all(
    ["a", "b"].map((run) =>
      runTask("sweep", [SLEEPY, "--out", out], {
        writeDir: dir,
        env: { ...env, SWEEP_TEST_RUN: run },
      })
    ),
  );
  for (const result of results) assert.equal(result.code, 0, result.stderr);
  const ids = (await startedLog(log)).map(([, id]) => id);
  assert.equal(ids.length, 12, `12 trial starts, got ${ids.length}`);
  assert.equal(new Set(ids).size, 12, "no trial ran twice");
  assert.equal((await readTrialRecords(out)).records.size, 12);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a closed stdout (sweep ... | head -1) ends the progress, not the sweep", async () => {
  const { dir, out } = await workspace();
  const child = spawnTask("sweep", [SLEEPY, "--out", out], {
    writeDir: dir,
    env: { SWEEP_TEST_SLEEP_MS: "50" },
  });
  const reader = child.stdout.getReader();
  await reader.read(); // the first line, as `head -1` does
  await reader.cancel();
  const status = await child.status;
  const stderr = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
  assert.equal(status.code, 0, stderr);
  assert.equal((await readTrialRecords(out)).records.size, 12, "every trial recorded");
  assert.match(stderr, /sweep sleepy: 12 trials: 12 ok/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a pack killed midway loses only its unfinished trials", async () => {
  const { dir, out } = await workspace();
  const log = `${out}/packs.log`;
  const packed = "tests/faults/fixtures/packed.ts";
  const timedOut = await runTask("sweep", [packed, "--out", out, "--timeout", "3"], {
    writeDir: dir,
    env: { SWEEP_TEST_PACK_LOG: log },
    timeoutMs: 60_000,
  });
  assert.equal(timedOut.code, 1, timedOut.stderr);
  const records = [...(await readTrialRecords(out)).records.values()];
  const of = (group: string) => records.filter((r) => r.config.group === group);
  assert.deepEqual(of("fine").map((r) => r.status), ["ok", "ok", "ok"]);
  const hangs = of("hangs").sort((a, b) => (a.config.seed as number) - (b.config.seed as number));
  assert.deepEqual(hangs.map((r) => r.status), ["ok", "failed", "failed"], "finish() kept");
  assert.equal(hangs[0].metrics.early, 1);
  assert.ok(hangs.slice(1).every((r) => r.error?.message === "timed out after 3 s"));
  const packs = (await Deno.readTextFile(log)).trim().split("\n").map((l) => l.split(" ").length);
  assert.deepEqual(packs, [3, 3], "each group trained as one pack of 3");

  await Deno.remove(`${out}/trials`, { recursive: true });
  const child = spawnTask("sweep", [packed, "--out", out, "--axis", "group=hangs"], {
    writeDir: dir,
    env: { SWEEP_TEST_PACK_LOG: log },
  });
  await waitFor(
    "the early trial's file",
    async () => (await readTrialRecords(out)).records.size === 1,
  );
  child.kill("SIGTERM");
  const output = await child.output();
  assert.equal(output.code, 143, new TextDecoder().decode(output.stderr));
  const left = [...(await readTrialRecords(out)).records.values()];
  assert.deepEqual(
    left.map((r) => [r.config.seed, r.status]),
    [[0, "ok"]],
    "only the finished one",
  );
  await Deno.remove(dir, { recursive: true });
});
