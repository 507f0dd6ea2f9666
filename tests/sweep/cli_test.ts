/**
 * The sweep command as a user runs it: real subprocesses, real signals, a shared directory.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  planTrials,
  readTrialRecords,
  selectShard,
  type TrialRecord,
} from "../../lib/sweep/mod.ts";
import { sweep as sleepy } from "./fixtures/sleepy.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const FIXTURES = "tests/sweep/fixtures";

/** The sweep CLI with the permissions of the `sweep` task, writing under /tmp instead. */
function sweepProcess(args: string[], env: Record<string, string> = {}): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-read",
      "--allow-write=/tmp",
      "--allow-env",
      `--allow-run=${Deno.execPath()}`,
      "lib/cli/sweep.ts",
      ...args,
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function runToEnd(args: string[], env: Record<string, string> = {}) {
  const output = await sweepProcess(args, env).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function trialFileNames(out: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(`${out}/trials`)) names.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names;
}

/** Log lines "<run tag> <trial id>" written by the sleepy fixture when a trial starts. */
async function logLines(log: string): Promise<[string, string][]> {
  try {
    const text = await Deno.readTextFile(log);
    return text.trim().split("\n").filter((l) => l).map((l) => l.split(" ") as [string, string]);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** A results directory; trials may write only there, so the fixtures' start log lies in it. */
async function workspace() {
  const dir = await Deno.makeTempDir({ prefix: "sweep-cli-" });
  return { dir, out: `${dir}/results`, log: `${dir}/results/started.log` };
}

Deno.test("kill -9 mid-sweep loses only in-flight trials; a rerun finishes each exactly once", async () => {
  const { dir, out, log } = await workspace();
  const allIds = (await planTrials(sleepy)).map((t) => t.id).sort();
  const env = { SWEEP_TEST_LOG: log, SWEEP_TEST_SLEEP_MS: "300" };
  const child = sweepProcess([`${FIXTURES}/sleepy.ts`, "--out", out, "--workers", "2"], {
    ...env,
    SWEEP_TEST_RUN: "first",
  });
  await waitFor(
    "3 finished trials",
    async () => (await trialFileNames(out)).filter((n) => n.endsWith(".json")).length >= 3,
  );
  child.kill("SIGKILL");
  const status = await child.status;
  assert.equal(status.signal, "SIGKILL");
  await child.stdout.cancel();
  await child.stderr.cancel();

  const afterKill = await readTrialRecords(out);
  assert.deepEqual(afterKill.unreadable, [], "no partial or corrupt trial file");
  const done = [...afterKill.records.keys()];
  assert.ok(done.length >= 3 && done.length < 12, `killed mid-sweep (${done.length} done)`);
  const firstRun = (await logLines(log)).map(([, id]) => id);
  assert.ok(done.every((id) => firstRun.includes(id)));

  const rerun = await runToEnd([`${FIXTURES}/sleepy.ts`, "--out", out, "--workers", "2"], {
    ...env,
    SWEEP_TEST_RUN: "second",
  });
  assert.equal(rerun.code, 0, rerun.stderr);
  const final = await readTrialRecords(out);
  assert.deepEqual([...final.records.keys()].sort(), allIds, "every trial recorded");
  assert.ok([...final.records.values()].every((r) => r.status === "ok"));
  const secondRun = (await logLines(log)).filter(([run]) => run === "second").map(([, id]) => id);
  assert.deepEqual(
    [...secondRun].sort(),
    allIds.filter((id) => !done.includes(id)),
    "the rerun ran exactly the unfinished trials, each once",
  );
  const leftovers = (await trialFileNames(out)).filter((n) => !n.endsWith(".json"));
  assert.ok(leftovers.every((n) => n.startsWith(".") && n.endsWith(".tmp")), `${leftovers}`);
  const summary = (await Deno.readTextFile(`${out}/summary.csv`)).trim().split("\n");
  assert.equal(summary.length, 13);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("three shard processes in parallel on one directory cover the grid exactly once", async () => {
  const { dir, out, log } = await workspace();
  const planned = await planTrials(sleepy);
  const env = { SWEEP_TEST_LOG: log, SWEEP_TEST_SLEEP_MS: "100" };
  const results = await Promise.all(
    [0, 1, 2].map((index) =>
      runToEnd([`${FIXTURES}/sleepy.ts`, "--out", out, "--shard", `${index}/3`], {
        ...env,
        SWEEP_TEST_RUN: `shard${index}`,
      })
    ),
  );
  for (const result of results) assert.equal(result.code, 0, result.stderr);
  const lines = await logLines(log);
  assert.equal(lines.length, 12, "12 trial starts in total");
  assert.deepEqual(lines.map(([, id]) => id).sort(), planned.map((t) => t.id).sort());
  for (const index of [0, 1, 2]) {
    const expected = selectShard(planned, { index, count: 3 }).map((t) => t.id).sort();
    const ran = lines.filter(([run]) => run === `shard${index}`).map(([, id]) => id).sort();
    assert.deepEqual(ran, expected, `shard ${index} ran its own share`);
    assert.equal(ran.length, 4);
  }
  assert.equal((await readTrialRecords(out)).records.size, 12);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("failing and diverging trials are recorded, the sweep goes on, the exit code is 1", async () => {
  const { dir, out } = await workspace();
  const result = await runToEnd([`${FIXTURES}/troubled.ts`, "--out", out]);
  assert.equal(result.code, 1);
  const { records } = await readTrialRecords(out);
  const byKind: Record<string, TrialRecord> = Object.fromEntries(
    [...records.values()].map((r) => [r.config.kind, r]),
  );
  assert.deepEqual(
    Object.fromEntries(Object.entries(byKind).map(([kind, r]) => [kind, r.status])),
    {
      "ok": "ok",
      "throws": "failed",
      "nan-stops": "diverged",
      "nan-ignored": "diverged",
      "inf-returned": "diverged",
      "also-ok": "ok",
    },
  );
  assert.equal(byKind["throws"].error?.message, "RangeError: boom at step 3");
  assert.match(byKind["throws"].error?.stack ?? "", /troubled\.ts/);
  assert.equal(byKind["nan-stops"].metrics.stopped_at, 3, "the trial saw its signal aborted");
  const stderr = result.stderr.trim().split("\n");
  assert.match(stderr[0], /^sweep troubled: 6 trials: 2 ok, 1 failed, 3 diverged, 0 not run/);
  assert.ok(
    stderr.some((l) => /^ {2}failed {3}[0-9a-f]{16} kind=throws: RangeError: boom/.test(l)),
  );
  assert.ok(
    stderr.some((l) =>
      /^ {2}diverged [0-9a-f]{16} kind=nan-stops: loss became NaN at step 3/.test(l)
    ),
  );
  const events = result.stdout.trim().split("\n").map((line) => JSON.parse(line));
  assert.equal(events[0].event, "sweep-start");
  assert.equal(events.at(-1).event, "sweep-end");
  assert.equal(events.filter((e) => e.event === "trial-end").length, 6);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--dry-run lists trials with ids and status and writes nothing", async () => {
  const { dir, out } = await workspace();
  const fresh = await runToEnd([
    `${FIXTURES}/sleepy.ts`,
    "--out",
    out,
    "--dry-run",
    "--shard",
    "0/3",
  ]);
  assert.equal(fresh.code, 0, fresh.stderr);
  const lines = fresh.stdout.trim().split("\n");
  assert.equal(
    lines[0],
    `sleepy v1 -> ${out}: 4 of 12 trials in shard 0/3: 0 done, 0 failed, 0 diverged, 4 pending`,
  );
  assert.equal(lines[1], "id                status    config");
  assert.equal(lines.length, 6);
  assert.ok(lines.slice(2).every((l) => /^[0-9a-f]{16} {2}pending {3}\{"i":\d+\}$/.test(l)));
  await assert.rejects(Deno.stat(out), Deno.errors.NotFound);

  await runToEnd([`${FIXTURES}/troubled.ts`, "--out", out]);
  const after = await runToEnd([`${FIXTURES}/troubled.ts`, "--out", out, "--dry-run"]);
  const listed = after.stdout.trim().split("\n");
  assert.equal(
    listed[0],
    `troubled v1 -> ${out}: 6 trials: 2 done, 1 failed, 3 diverged, 0 pending`,
  );
  assert.match(listed.find((l) => l.includes('"throws"')) ?? "", /^[0-9a-f]{16} {2}failed {3}/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bad input is a one-line error on stderr and exit code 2", async () => {
  const { dir, out } = await workspace();
  const cases: [string[], RegExp][] = [
    [[`${FIXTURES}/sleepy.ts`, "--shard", "3/3"], /^error: bad --shard "3\/3": expected I\/N/],
    [[`${FIXTURES}/sleepy.ts`, "--shard", "a/b"], /^error: bad --shard "a\/b"/],
    [
      [`${FIXTURES}/sleepy.ts`, "--preset", "tpu"],
      /^error: sweep "sleepy": unknown preset "tpu"; known presets: small$/,
    ],
    [
      [`${FIXTURES}/empty_axis.ts`],
      /^error: tests\/sweep\/fixtures\/empty_axis\.ts: sweep "empty-axis": axis "lr" is empty/,
    ],
    [[`${FIXTURES}/function_axis.ts`], /axis "activation": value #1 is a function/],
    [
      [`${FIXTURES}/filter_all.ts`],
      /^error: sweep "filter-all": filter removed all 4 combinations/,
    ],
    [[`${FIXTURES}/no_export.ts`], /has no sweep export/],
    [
      ["no-such-experiment"],
      /^error: experiment "no-such-experiment" not found: no file experiments\/no-such-experiment\.ts$/,
    ],
    [[`${FIXTURES}/sleepy.ts`, "--workers", "0"], /^error: --workers must be an integer/],
    [[`${FIXTURES}/sleepy.ts`, "--bogus"], /^error: unknown flag --bogus/],
  ];
  const results = await Promise.all(cases.map(([args]) => runToEnd([...args, "--out", out])));
  results.forEach((result, i) => {
    const [args, pattern] = cases[i];
    const stderr = result.stderr.trimEnd();
    assert.equal(result.code, 2, `${args.join(" ")}: exit ${result.code}`);
    assert.ok(!stderr.includes("\n"), `${args.join(" ")}: more than one line:\n${stderr}`);
    assert.match(stderr, pattern);
  });
  await assert.rejects(Deno.stat(`${out}/trials`), Deno.errors.NotFound);
  await Deno.remove(dir, { recursive: true });
});

/** Starts the sleepy sweep with 2 workers and long trials; resolves once 2 trials started. */
async function startInterruptible(out: string, log: string) {
  const child = sweepProcess([`${FIXTURES}/sleepy.ts`, "--out", out, "--workers", "2"], {
    SWEEP_TEST_LOG: log,
    SWEEP_TEST_SLEEP_MS: "800",
  });
  await waitFor("2 started trials", async () => (await logLines(log)).length >= 2);
  return child;
}

async function finish(child: Deno.ChildProcess) {
  const output = await child.output();
  assert.equal(output.signal, null, "the sweep handled the signal and exited by itself");
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

Deno.test("first Ctrl-C: running trials finish and are recorded, no new trial starts, exit 130", async () => {
  const { dir, out, log } = await workspace();
  const child = await startInterruptible(out, log);
  // Twice at once, as one Ctrl-C arrives under `deno task` (terminal + task runner).
  child.kill("SIGINT");
  child.kill("SIGINT");
  const { code, stderr } = await finish(child);
  assert.equal(code, 130, stderr);
  const started = (await logLines(log)).map(([, id]) => id).sort();
  const recorded = [...(await readTrialRecords(out)).records.keys()].sort();
  assert.ok(started.length < 12);
  assert.deepEqual(recorded, started, "every started trial finished and was recorded");
  assert.match(stderr, /interrupted: \d+ trials not run; rerun to resume/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("second Ctrl-C (or SIGTERM): running trials are abandoned unrecorded", async () => {
  for (const [signals, exitCode] of [[["SIGINT", "SIGINT"], 130], [["SIGTERM"], 143]] as const) {
    const { dir, out, log } = await workspace();
    const child = await startInterruptible(out, log);
    for (const signal of signals) {
      child.kill(signal);
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    const { code, stderr } = await finish(child);
    assert.equal(code, exitCode, stderr);
    const started = (await logLines(log)).length;
    const recorded = (await readTrialRecords(out)).records.size;
    assert.ok(recorded < started, `${signals}: ${recorded} recorded of ${started} started`);
    assert.match(stderr, /interrupted: \d+ trials not run; rerun to resume/);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--help lists every option and the experiments found with their presets", async () => {
  const { code, stdout } = await runToEnd(["--help"]);
  assert.equal(code, 0);
  for (
    const flag of [
      "--preset",
      "--axis",
      "--out",
      "--shard",
      "--workers",
      "--timeout",
      "--heap",
      "--retry-failed",
      "--dry-run",
    ]
  ) {
    assert.ok(stdout.includes(`  ${flag}`), `${flag} is explained`);
  }
  assert.match(stdout, /\n {2}example-quadratic +v1, 24 trials; presets: quick \(2\)\n/);
  assert.match(
    stdout,
    /\n {2}lecun1989-scaling +v2, 54 trials; presets: cpu \(54\), gpu \(288\), slurm \(12\)/,
  );
});
