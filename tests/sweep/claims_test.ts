import assert from "node:assert/strict";
import { defineSweep, planTrials, runSweep } from "../../lib/sweep/mod.ts";
import { ClaimBook } from "../../lib/sweep/claims.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function counted(runs: Map<string, number>) {
  return defineSweep({
    name: "claimed",
    version: 1,
    axes: { i: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
    async run(config, ctx) {
      runs.set(ctx.id, (runs.get(ctx.id) ?? 0) + 1);
      await sleep(10 + 5 * config.i);
      return { loss: config.i };
    },
  });
}

Deno.test("two unsharded runs on one directory run every trial exactly once", async () => {
  const out = await Deno.makeTempDir({ prefix: "sweep-claims-" });
  const runs = new Map<string, number>();
  const sweep = counted(runs);
  const [a, b] = await Promise.all([
    runSweep(sweep, { out, progress: "none", workers: 2 }),
    runSweep(sweep, { out, progress: "none", workers: 2 }),
  ]);
  assert.equal(runs.size, 10);
  assert.ok([...runs.values()].every((n) => n === 1), JSON.stringify([...runs]));
  assert.equal(a.ran + b.ran, 10);
  assert.deepEqual([a.ok, b.ok], [10, 10], "each sees the other's records");
  assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name).sort(), [
    "history.csv",
    "summary.arrow",
    "summary.csv",
    "trials",
  ], "no claim left behind");
  await Deno.remove(out, { recursive: true });
});

Deno.test("a stale claim (its process died) is taken over; a live one is waited for", async () => {
  const out = await Deno.makeTempDir({ prefix: "sweep-claims-" });
  const runs = new Map<string, number>();
  const sweep = counted(runs);
  const [first, second] = await planTrials(sweep);
  await Deno.mkdir(`${out}/claims`, { recursive: true });
  await Deno.writeTextFile(`${out}/claims/${first.id}.0`, "{}");
  const old = new Date(Date.now() - 3600_000);
  await Deno.utime(`${out}/claims/${first.id}.0`, old, old);
  const live = new ClaimBook(out, { staleMs: 400, heartbeatMs: 50 });
  assert.equal(await live.take(second.id), "mine");
  const other = new ClaimBook(out);
  assert.equal(await other.take(second.id), "busy");
  other.close();
  setTimeout(() => live.close(), 300); // the holder dies: its claim goes stale 400 ms later
  const outcome = await runSweep(sweep, { out, progress: "none", claims: { staleMs: 400 } });
  assert.equal(outcome.ok, 10);
  assert.equal(runs.get(first.id), 1, "the dead process's trial ran here");
  assert.equal(runs.get(second.id), 1, "the held trial ran once its claim went stale");
  await Deno.remove(out, { recursive: true });
});
