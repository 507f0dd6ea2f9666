import assert from "node:assert/strict";
import { parseShard, selectShard } from "../../lib/sweep/mod.ts";
import { trialId } from "../../lib/sweep/identity.ts";

Deno.test("parseShard accepts I/N with 0 <= I < N", () => {
  assert.deepEqual(parseShard("0/1"), { index: 0, count: 1 });
  assert.deepEqual(parseShard("7/8"), { index: 7, count: 8 });
});

Deno.test("bad --shard values are one-line errors", () => {
  for (const bad of ["3/3", "a/b", "-1/3", "1/0", "0/0", "1.5/3", "1/", "/3", "", "2", "1/3/4"]) {
    assert.throws(() => parseShard(bad), (error: Error) => {
      assert.ok(error.message.startsWith(`bad --shard "${bad}"`), error.message);
      assert.ok(error.message.includes("0 <= I < N"));
      assert.ok(!error.message.includes("\n"));
      return true;
    });
  }
});

Deno.test("shards partition the trials exactly, differ by at most one, and keep list order", async () => {
  const trials = await Promise.all(
    Array.from({ length: 97 }, async (_, i) => ({ id: await trialId("s", "1", { i }), i })),
  );
  for (const count of [1, 2, 3, 7, 97, 120]) {
    const shards = Array.from(
      { length: count },
      (_, index) => selectShard(trials, { index, count }),
    );
    const seen = shards.flat().map((t) => t.id).sort();
    assert.deepEqual(seen, trials.map((t) => t.id).sort(), `count ${count}: union is everything`);
    assert.equal(new Set(seen).size, trials.length, `count ${count}: no trial twice`);
    const sizes = shards.map((s) => s.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `count ${count}: sizes ${sizes}`);
    for (const shard of shards) {
      const order = shard.map((t) => t.i);
      assert.deepEqual(order, [...order].sort((a, b) => a - b));
    }
  }
});

Deno.test("shard membership does not depend on the order trials are listed in", async () => {
  const trials = await Promise.all(
    Array.from({ length: 20 }, async (_, i) => ({ id: await trialId("s", "1", { i }) })),
  );
  const forward = selectShard(trials, { index: 1, count: 3 }).map((t) => t.id).sort();
  const backward = selectShard([...trials].reverse(), { index: 1, count: 3 }).map((t) => t.id)
    .sort();
  assert.deepEqual(forward, backward);
});
