import assert from "node:assert/strict";
import {
  defineSweep,
  type ProgressEvent,
  readTrialRecords,
  runSweep,
  type SweepDevice,
  type TrialContext,
  type TrialRecord,
} from "../../lib/sweep/mod.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function tempOut(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "sweep-runner-" });
}

async function recordsOf(out: string): Promise<Map<string, TrialRecord>> {
  return (await readTrialRecords(out)).records;
}

function byConfig(records: Map<string, TrialRecord>, key: string, value: unknown): TrialRecord {
  const found = [...records.values()].find((r) => r.config[key] === value);
  assert.ok(found, `no record with ${key}=${value}`);
  return found;
}

Deno.test("every trial gets a complete record; a rerun skips them all", async () => {
  const out = await tempOut();
  let calls = 0;
  const sweep = defineSweep({
    name: "square",
    version: 2,
    axes: { x: [1, 2, 3] },
    run(config, ctx) {
      calls++;
      ctx.report(0, { loss: config.x ** 2 + 1 });
      ctx.report(1, { loss: config.x ** 2 });
      return { loss: config.x ** 2, note: "fine" };
    },
  });
  const first = await runSweep(sweep, { out, progress: "none" });
  assert.deepEqual(
    [first.total, first.ran, first.skipped, first.ok, first.problems.length],
    [3, 3, 0, 3, 0],
  );
  const records = await recordsOf(out);
  const two = byConfig(records, "x", 2);
  assert.equal(two.experiment, "square");
  assert.equal(two.version, "2");
  assert.equal(two.status, "ok");
  assert.deepEqual(two.metrics, { loss: 4, note: "fine" });
  assert.deepEqual(two.history.map((p) => [p.step, p.metrics.loss]), [[0, 5], [1, 4]]);
  assert.equal(two.adapter, "none");
  assert.ok(two.gitCommit === null || /^[0-9a-f]{40}$/.test(two.gitCommit));
  assert.ok(two.wallSeconds >= 0);
  assert.ok(Date.parse(two.endedAt) >= Date.parse(two.startedAt));
  assert.equal(two.error, null);

  const second = await runSweep(sweep, { out, progress: "none" });
  assert.deepEqual([second.ran, second.skipped, second.ok], [0, 3, 3]);
  assert.equal(calls, 3, "finished trials are not rerun");
  const summary = await Deno.readTextFile(`${out}/summary.csv`);
  assert.equal(summary.trim().split("\n").length, 4);
  await Deno.remove(out, { recursive: true });
});

Deno.test("exceptions mark a trial failed with message and stack; the sweep goes on", async () => {
  const out = await tempOut();
  let fixed = false;
  const sweep = defineSweep({
    name: "flaky",
    version: 1,
    axes: { x: [1, 2, 3] },
    run(config) {
      if (config.x === 2 && !fixed) throw new TypeError("bad batch");
      return { loss: config.x };
    },
  });
  const outcome = await runSweep(sweep, { out, progress: "none" });
  assert.deepEqual([outcome.ok, outcome.failed, outcome.ran], [2, 1, 3]);
  const failed = byConfig(await recordsOf(out), "x", 2);
  assert.equal(failed.status, "failed");
  assert.equal(failed.error?.message, "TypeError: bad batch");
  assert.match(failed.error?.stack ?? "", /runner_test\.ts/);
  assert.deepEqual(outcome.problems.map((r) => r.id), [failed.id]);

  const again = await runSweep(sweep, { out, progress: "none" });
  assert.equal(again.ran, 0, "failed trials are kept without --retry-failed");
  assert.equal(again.failed, 1, "earlier failures still count in the outcome");
  fixed = true;
  const retried = await runSweep(sweep, { out, progress: "none", retryFailed: true });
  assert.deepEqual([retried.ran, retried.ok, retried.failed], [1, 3, 0]);
  await Deno.remove(out, { recursive: true });
});

Deno.test("a NaN or infinite reported loss aborts the trial and marks it diverged", async () => {
  const out = await tempOut();
  const seen: Record<string, { aborted: boolean; reason?: string; lastStep: number }> = {};
  const sweep = defineSweep({
    name: "diverge",
    version: 1,
    axes: { kind: ["stops", "ignores", "returns-inf", "val-nan", "accuracy-nan", "ok"] },
    run(config, ctx) {
      let step = 0;
      const note = () =>
        seen[config.kind] = {
          aborted: ctx.signal.aborted,
          reason: (ctx.signal.reason as Error | undefined)?.name,
          lastStep: step,
        };
      switch (config.kind) {
        case "stops":
          for (; step < 50; step++) {
            ctx.report(step, { loss: step === 5 ? NaN : 1 });
            if (ctx.signal.aborted) break;
          }
          note();
          return;
        case "ignores":
          for (; step < 50; step++) ctx.report(step, { train_loss: step > 10 ? Infinity : 1 });
          note();
          return { loss: 0.1 };
        case "returns-inf":
          return { loss: Infinity };
        case "val-nan":
          ctx.report(0, { valLoss: NaN });
          ctx.signal.throwIfAborted();
          return { loss: 1 };
        case "accuracy-nan":
          ctx.report(0, { accuracy: NaN, loss: 2 });
          return { loss: 2 };
        default:
          return { loss: 0.5 };
      }
    },
  });
  const outcome = await runSweep(sweep, { out, progress: "none" });
  const records = await recordsOf(out);
  const status = (kind: string) => byConfig(records, "kind", kind);
  assert.equal(status("stops").status, "diverged");
  assert.equal(status("stops").error?.message, "loss became NaN at step 5");
  assert.deepEqual(seen.stops, { aborted: true, reason: "DivergedError", lastStep: 5 });
  assert.ok(Number.isNaN(status("stops").metrics.loss), "metrics are the last reported ones");
  assert.equal(status("ignores").status, "diverged", "ignoring the signal does not hide it");
  assert.equal(seen.ignores.lastStep, 50);
  assert.deepEqual(status("ignores").metrics, { loss: 0.1 });
  assert.equal(status("ignores").error?.message, "train_loss became Infinity at step 11");
  assert.equal(status("returns-inf").status, "diverged");
  assert.equal(status("returns-inf").error?.message, "returned loss is Infinity");
  assert.equal(status("val-nan").status, "diverged", "throwing the abort reason stays diverged");
  assert.equal(status("accuracy-nan").status, "ok", "only loss-like metrics are watched");
  assert.equal(status("ok").status, "ok");
  assert.deepEqual([outcome.ok, outcome.diverged, outcome.failed], [2, 4, 0]);
  await Deno.remove(out, { recursive: true });
});

Deno.test("divergeOn chooses the watched metrics", async () => {
  const out = await tempOut();
  const sweep = defineSweep({
    name: "watch",
    version: 1,
    axes: { x: [1] },
    divergeOn: ["perplexity"],
    run(_config, ctx) {
      ctx.report(0, { loss: NaN });
      ctx.report(1, { perplexity: Infinity });
      return { loss: NaN };
    },
  });
  await runSweep(sweep, { out, progress: "none" });
  const [record] = (await recordsOf(out)).values();
  assert.equal(record.status, "diverged");
  assert.equal(record.error?.message, "perplexity became Infinity at step 1");
  await Deno.remove(out, { recursive: true });
});

Deno.test("a trial past its timeout is aborted and recorded failed; the next one runs", async () => {
  const out = await tempOut();
  let abortedWith: string | undefined;
  const sweep = defineSweep({
    name: "slow",
    version: 1,
    axes: { ms: [5000, 1] },
    async run(config, ctx) {
      if (config.ms > 1) {
        ctx.signal.addEventListener("abort", () => abortedWith = ctx.signal.reason.name);
        await new Promise(() => {}); // never settles
      }
      return { loss: 0 };
    },
  });
  const started = performance.now();
  const outcome = await runSweep(sweep, { out, progress: "none", timeout: 0.2 });
  assert.ok(performance.now() - started < 4000, "did not wait for the stuck trial");
  const stuck = byConfig(await recordsOf(out), "ms", 5000);
  assert.equal(stuck.status, "failed");
  assert.equal(stuck.error?.message, "timed out after 0.2 s");
  assert.equal(abortedWith, "TimeoutError");
  assert.deepEqual([outcome.ok, outcome.failed], [1, 1]);
  await Deno.remove(out, { recursive: true });
});

Deno.test("--workers K runs up to K trials at once", async () => {
  const out = await tempOut();
  let running = 0;
  let peak = 0;
  const sweep = defineSweep({
    name: "parallel",
    version: 1,
    axes: { i: [0, 1, 2, 3, 4, 5, 6, 7] },
    async run() {
      peak = Math.max(peak, ++running);
      await sleep(30);
      running--;
      return { loss: 0 };
    },
  });
  const outcome = await runSweep(sweep, { out, progress: "none", workers: 3 });
  assert.equal(outcome.ok, 8);
  assert.equal(peak, 3);
  await Deno.remove(out, { recursive: true });
});

Deno.test("the device is acquired lazily, once, and shared by concurrent trials", async () => {
  const out = await tempOut();
  let acquisitions = 0;
  // A stand-in for the GPU runtime: the engine only passes it through.
  const device = { label: "fake device" } as unknown as SweepDevice;
  const sweep = defineSweep({
    name: "gpu",
    version: 1,
    axes: { i: [0, 1, 2, 3] },
    async run(config, ctx: TrialContext) {
      if (config.i === 1) return { loss: 0 };
      assert.equal(await ctx.device, device);
      await sleep(10);
      return { loss: 1 };
    },
  });
  const options = {
    out,
    progress: "none" as const,
    workers: 3,
    acquireDevice: async () => {
      acquisitions++;
      await sleep(20);
      return device;
    },
    describeAdapter: () => "Fake Adapter (test)",
  };
  await runSweep(sweep, options);
  assert.equal(acquisitions, 1);
  const records = [...(await recordsOf(out)).values()];
  for (const record of records) {
    assert.equal(record.adapter, record.config.i !== 1 ? "Fake Adapter (test)" : "none");
  }
  const cpuOnly = defineSweep({ name: "cpu", version: 1, axes: { x: [1, 2] }, run: () => ({}) });
  acquisitions = 0;
  await runSweep(cpuOnly, { ...options, out: `${out}/cpu` });
  assert.equal(acquisitions, 0, "CPU-only trials never acquire the device");
  await Deno.remove(out, { recursive: true });
});

Deno.test("without acquireDevice, a trial that asks for the device fails clearly", async () => {
  const out = await tempOut();
  const sweep = defineSweep({
    name: "nodevice",
    version: 1,
    axes: { x: [1] },
    run: async (_config, ctx) => {
      await ctx.device;
    },
  });
  const outcome = await runSweep(sweep, { out, progress: "none" });
  assert.match(outcome.problems[0].error?.message ?? "", /no GPU device/);
  await Deno.remove(out, { recursive: true });
});

Deno.test("stop: running trials finish and are recorded, no new ones start", async () => {
  const out = await tempOut();
  const stop = new AbortController();
  const started: number[] = [];
  const sweep = defineSweep({
    name: "stoppable",
    version: 1,
    axes: { i: [0, 1, 2, 3, 4, 5] },
    async run(config) {
      started.push(config.i);
      if (started.length === 2) stop.abort();
      await sleep(40);
      return { loss: config.i };
    },
  });
  const events: ProgressEvent[] = [];
  const outcome = await runSweep(sweep, {
    out,
    workers: 2,
    stop: stop.signal,
    progress: { handle: (event) => events.push(event) },
  });
  assert.deepEqual(started, [0, 1]);
  assert.deepEqual([outcome.ok, outcome.pending, outcome.interrupted], [2, 4, true]);
  assert.equal((await recordsOf(out)).size, 2);
  assert.ok(events.some((e) => e.type === "interrupt" && e.mode === "stop" && e.running === 2));
  const resumed = await runSweep(sweep, { out, progress: "none" });
  assert.deepEqual([resumed.ran, resumed.ok, resumed.interrupted], [4, 6, false]);
  await Deno.remove(out, { recursive: true });
});

Deno.test("abandon: running trials are left unrecorded so they rerun", async () => {
  const out = await tempOut();
  const abandon = new AbortController();
  let sawAbort = false;
  const sweep = defineSweep({
    name: "abandonable",
    version: 1,
    axes: { i: [0, 1, 2] },
    async run(config, ctx) {
      if (config.i === 1) {
        abandon.abort();
        await sleep(20);
        sawAbort = ctx.signal.aborted;
      }
      return { loss: config.i };
    },
  });
  const outcome = await runSweep(sweep, { out, progress: "none", abandon: abandon.signal });
  assert.deepEqual([outcome.ok, outcome.pending, outcome.interrupted], [1, 2, true]);
  assert.deepEqual([...(await recordsOf(out)).values()].map((r) => r.config.i), [0]);
  await sleep(30);
  assert.ok(sawAbort, "the abandoned trial's signal was aborted");
  await Deno.remove(out, { recursive: true });
});

Deno.test("an unreadable trial file is reported and its trial runs again", async () => {
  const out = await tempOut();
  const sweep = defineSweep({
    name: "corrupt",
    version: 1,
    axes: { x: [1] },
    run: () => ({ loss: 1 }),
  });
  await runSweep(sweep, { out, progress: "none" });
  const [id] = (await recordsOf(out)).keys();
  await Deno.writeTextFile(`${out}/trials/${id}.json`, "{ truncated");
  const warnings: string[] = [];
  const outcome = await runSweep(sweep, {
    out,
    progress: "none",
    onWarning: (w) => warnings.push(w),
  });
  assert.equal(outcome.ran, 1);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], new RegExp(`${id}\\.json: not valid JSON`));
  assert.equal((await recordsOf(out)).get(id)?.status, "ok");
  await Deno.remove(out, { recursive: true });
});

Deno.test("configs are frozen: a trial cannot change its own identity", async () => {
  const out = await tempOut();
  const sweep = defineSweep({
    name: "frozen",
    version: 1,
    axes: { x: [{ depth: 1 }] },
    run(config) {
      (config.x as { depth: number }).depth = 2;
    },
  });
  const outcome = await runSweep(sweep, { out, progress: "none" });
  assert.equal(outcome.failed, 1);
  assert.match(outcome.problems[0].error?.message ?? "", /TypeError/);
  assert.deepEqual(outcome.problems[0].config, { x: { depth: 1 } });
  await Deno.remove(out, { recursive: true });
});

Deno.test("progress events arrive in order with consistent counts", async () => {
  const out = await tempOut();
  const sweep = defineSweep({
    name: "events",
    version: 1,
    axes: { x: [3, 1, 2] },
    run(config, ctx) {
      ctx.report(0, { loss: config.x });
      return { loss: config.x };
    },
  });
  const events: ProgressEvent[] = [];
  await runSweep(sweep, { out, progress: { handle: (e) => events.push(e) } });
  assert.equal(events[0].type, "sweep-start");
  assert.equal(events.at(-1)?.type, "sweep-end");
  const ids = new Set(events.flatMap((e) => "id" in e ? [e.id] : []));
  assert.equal(ids.size, 3);
  for (const id of ids) {
    const ofTrial = events.filter((e) => "id" in e && e.id === id).map((e) => e.type);
    assert.deepEqual(ofTrial, ["trial-start", "trial-report", "trial-end"]);
  }
  const start = events[0];
  assert.ok(start.type === "sweep-start");
  assert.deepEqual([start.total, start.done, start.pending, start.best], [3, 0, 3, null]);
  const events2: ProgressEvent[] = [];
  await runSweep(sweep, { out, progress: { handle: (e) => events2.push(e) } });
  const restart = events2[0];
  assert.ok(restart.type === "sweep-start");
  assert.equal(restart.best?.value, 1, "best so far includes earlier runs");
  await Deno.remove(out, { recursive: true });
});
