import assert from "node:assert/strict";
import {
  defineSweep,
  type PackContext,
  type ProgressEvent,
  readTrialRecords,
  runSweep,
} from "../../lib/sweep/mod.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A toy experiment: trials of one `width` train together; each reports and returns its loss. */
function toy(log: { sizes: number[]; limits: unknown[] }, behaviour: {
  early?: boolean;
  throwAfterFirst?: boolean;
  capacity?: number;
} = {}) {
  return defineSweep({
    name: "toy-pack",
    version: 1,
    axes: { width: [8, 16], seed: [0, 1, 2, 3, 4], solo: [false] },
    presets: { mixed: { solo: [false, true], seed: [0, 1] } },
    run: (config) => ({ loss: config.seed, alone: true }),
    pack: {
      key: (config) => config.solo ? null : `w${config.width}`,
      capacity: (_config, limits) => {
        log.limits.push(limits);
        return behaviour.capacity ?? 3;
      },
      async run(configs, contexts: readonly PackContext[]) {
        log.sizes.push(configs.length);
        for (const [i, ctx] of contexts.entries()) ctx.report(0, { loss: 10 + configs[i].seed });
        if (behaviour.early) contexts[0].finish({ loss: -1, early: true });
        await sleep(5);
        if (behaviour.throwAfterFirst) throw new Error("pack blew up");
        return configs.map((config) => ({ loss: config.seed, packed: configs.length }));
      },
    },
  });
}

Deno.test("packs: compatible trials train together up to capacity, each gets its own file", async () => {
  const out = await Deno.makeTempDir({ prefix: "sweep-pack-" });
  const log = { sizes: [] as number[], limits: [] as unknown[] };
  const events: ProgressEvent[] = [];
  const outcome = await runSweep(toy(log), {
    out,
    progress: { handle: (e) => events.push(e) },
    adapterLimits: () => Promise.resolve({ maxBufferSize: 1024 }),
  });
  assert.equal(outcome.ok, 10);
  assert.deepEqual(log.sizes, [3, 2, 3, 2], "width 8: 3 + 2, width 16: 3 + 2");
  assert.deepEqual(log.limits[0], { maxBufferSize: 1024 });
  const { records } = await readTrialRecords(out);
  assert.equal(records.size, 10);
  for (const record of records.values()) {
    assert.equal(record.metrics.loss, record.config.seed);
    assert.deepEqual(record.history.map((p) => p.metrics.loss), [
      10 + (record.config.seed as number),
    ]);
  }
  const starts = events.filter((e) => e.type === "trial-start");
  assert.deepEqual(starts.map((e) => e.type === "trial-start" && e.pack), [
    3,
    3,
    3,
    2,
    2,
    3,
    3,
    3,
    2,
    2,
  ]);
  const again = await runSweep(toy(log), { out, progress: "none" });
  assert.deepEqual([again.ran, again.skipped], [0, 10], "resume semantics unchanged");
  await Deno.remove(out, { recursive: true });
});

Deno.test("packs: null keys run alone through run; finish() records early; a throw fails the rest", async () => {
  const out = await Deno.makeTempDir({ prefix: "sweep-pack-" });
  const log = { sizes: [] as number[], limits: [] as unknown[] };
  const outcome = await runSweep(toy(log, { early: true, throwAfterFirst: true }), {
    out,
    preset: "mixed",
    progress: "none",
  });
  const records = [...(await readTrialRecords(out)).records.values()];
  const solo = records.filter((r) => r.config.solo);
  assert.deepEqual(solo.map((r) => r.metrics.alone), [true, true, true, true], "null key: run");
  const early = records.filter((r) => r.metrics.early === true);
  assert.equal(early.length, 2, "the first of each pack was recorded by finish()");
  assert.ok(early.every((r) => r.status === "ok" && r.metrics.loss === -1));
  const failed = records.filter((r) => r.status === "failed");
  assert.equal(failed.length, 2);
  assert.ok(failed.every((r) => r.error?.message === "Error: pack blew up"));
  assert.deepEqual(log.limits, [null, null], "no adapter limits known");
  assert.deepEqual([outcome.ok, outcome.failed], [6, 2]);
  await Deno.remove(out, { recursive: true });
});

Deno.test("packs: a bad key or capacity is a one-line definition error", async () => {
  const out = await Deno.makeTempDir({ prefix: "sweep-pack-" });
  const bad = defineSweep({
    name: "bad-pack",
    version: 1,
    axes: { x: [1, 2] },
    run: () => ({}),
    pack: { key: () => "k", capacity: () => 0, run: (c) => Promise.resolve(c.map(() => ({}))) },
  });
  await assert.rejects(
    runSweep(bad, { out, progress: "none" }),
    /pack\.capacity must return a positive integer, got 0/,
  );
  await Deno.remove(out, { recursive: true });
});
