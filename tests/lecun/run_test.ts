import assert from "node:assert/strict";
import { gpu } from "../helpers/check.ts";
import { lecunConfig } from "../../lib/lecun/config.ts";
import { groupKey, type PassRecord, trainLecun } from "../../lib/lecun/run.ts";

const device = await gpu();

Deno.test("runs group by kernel, data and passes; groups on two devices give the same results", async () => {
  const configs = [
    lecunConfig("baseline", { seed: 1, passes: 2, trainSize: 400 }),
    lecunConfig("baseline", { seed: 2, passes: 1, trainSize: 400 }),
    lecunConfig("baseline", { seed: 3, passes: 2, trainSize: 400 }),
  ];
  assert.equal(groupKey(configs[0]), groupKey(configs[2]));
  assert.notEqual(groupKey(configs[0]), groupKey(configs[1]));
  const seen: PassRecord[] = [];
  const one = await trainLecun(device, configs, { onPass: (_, r) => seen.push(r) });
  const two = await trainLecun(device, configs, { devices: 2 });
  assert.equal(seen.length, 3 + 2 + 3, "pass 0 and every pass of every run");
  assert.deepEqual(one.map((r) => r.config.seed), [1, 2, 3]);
  assert.deepEqual(one.map((r) => r.groupSize), [2, 1, 2]);
  assert.deepEqual(one.map((r) => r.history.length), [3, 2, 3]);
  assert.deepEqual(
    two.map((r) => [r.final.train.misses, r.final.test.misses, r.final.test.loss]),
    one.map((r) => [r.final.train.misses, r.final.test.misses, r.final.test.loss]),
  );
  assert.ok(one[0].final.test.error < one[0].history[0].test.error);
});

Deno.test("evaluateEvery evaluates every k passes and the last; the training is the same", async () => {
  const config = lecunConfig("baseline", { seed: 1, passes: 3, trainSize: 300 });
  const [every] = await trainLecun(device, [config]);
  const [sparse] = await trainLecun(device, [config], { evaluateEvery: 2 });
  assert.deepEqual(every.history.map((h) => h.pass), [0, 1, 2, 3]);
  assert.deepEqual(sparse.history.map((h) => h.pass), [0, 2, 3]);
  for (const h of sparse.history) {
    const same = every.history[h.pass];
    assert.deepEqual([h.train, h.test], [same.train, same.test], `pass ${h.pass}`);
  }
  await assert.rejects(
    () => trainLecun(device, [config], { evaluateEvery: 0 }),
    /evaluateEvery must be an integer >= 1, got 0/,
  );
});

Deno.test("an aborted signal stops the training between passes", async () => {
  const config = lecunConfig("baseline", { seed: 1, passes: 50, trainSize: 100 });
  const controller = new AbortController();
  const passes: number[] = [];
  await assert.rejects(
    () =>
      trainLecun(device, [config], {
        signal: controller.signal,
        onPass: (_, record) => {
          passes.push(record.pass);
          if (record.pass === 2) controller.abort(new Error("stopped at pass 2"));
        },
      }),
    /stopped at pass 2/,
  );
  assert.ok(passes.length < 6, `passes heard: ${passes.join(", ")}`);
});
