import assert from "node:assert/strict";
import { readTrialRecords, type TrialRecord } from "../../lib/sweep/mod.ts";
import { removeStaleTempFiles, writeFileAtomic } from "../../lib/io/atomic.ts";
import { writeTrialRecord } from "../../lib/sweep/store.ts";

function record(id: string, overrides: Partial<TrialRecord> = {}): TrialRecord {
  return {
    id,
    experiment: "store",
    version: "1",
    config: { lr: 0.1 },
    status: "ok",
    metrics: { loss: 0.5 },
    history: [{ step: 0, seconds: 0.01, metrics: { loss: 1 } }],
    adapter: "none",
    wallSeconds: 0.02,
    gitCommit: null,
    startedAt: "2025-01-01T00:00:00.000Z",
    endedAt: "2025-01-01T00:00:00.020Z",
    error: null,
    ...overrides,
  };
}

Deno.test("writeFileAtomic replaces the file whole and leaves no temp file behind", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sweep-store-" });
  const path = `${dir}/a.json`;
  await writeFileAtomic(path, "first");
  await writeFileAtomic(path, "second, longer content");
  assert.equal(await Deno.readTextFile(path), "second, longer content");
  const names = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  assert.deepEqual(names, ["a.json"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("trial records round-trip, NaN and Infinity included", async () => {
  const out = await Deno.makeTempDir({ prefix: "sweep-store-" });
  await Deno.mkdir(`${out}/trials`);
  const diverged = record("00000000000000aa", {
    status: "diverged",
    metrics: { loss: NaN, best: -Infinity },
    history: [{ step: 3, seconds: 0.1, metrics: { loss: Infinity } }],
    error: { message: "loss became Infinity at step 3", stack: null },
  });
  await writeTrialRecord(out, diverged);
  assert.match(await Deno.readTextFile(`${out}/trials/00000000000000aa.json`), /"loss": "NaN"/);
  const { records, unreadable } = await readTrialRecords(out);
  assert.deepEqual(unreadable, []);
  assert.deepEqual(records.get(diverged.id), diverged);
  await Deno.remove(out, { recursive: true });
});

Deno.test("temp files are skipped; invalid trial files are reported, not fatal", async () => {
  const out = await Deno.makeTempDir({ prefix: "sweep-store-" });
  await Deno.mkdir(`${out}/trials`);
  await writeTrialRecord(out, record("00000000000000aa"));
  await Deno.writeTextFile(`${out}/trials/.00000000000000bb.json.123-abcd.tmp`, '{"id":');
  await Deno.writeTextFile(
    `${out}/trials/00000000000000cc.json`,
    '{"id": "00000000000000cc", "sta',
  );
  await Deno.writeTextFile(
    `${out}/trials/00000000000000dd.json`,
    JSON.stringify(record("00000000000000ee")),
  );
  const { records, unreadable } = await readTrialRecords(out);
  assert.deepEqual([...records.keys()], ["00000000000000aa"]);
  assert.deepEqual(unreadable.map((u) => u.file.split("/").pop()), [
    "00000000000000cc.json",
    "00000000000000dd.json",
  ]);
  assert.match(unreadable[0].reason, /not valid JSON/);
  assert.match(unreadable[1].reason, /does not match/);
  await Deno.remove(out, { recursive: true });
});

Deno.test("a missing results directory reads as empty", async () => {
  const { records, unreadable } = await readTrialRecords("/tmp/sweep-store-does-not-exist");
  assert.equal(records.size, 0);
  assert.equal(unreadable.length, 0);
});

Deno.test("stale temp files are removed, recent ones (maybe another writer's) are kept", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sweep-store-" });
  const stale = `${dir}/.x.json.1-aaaa.tmp`;
  const fresh = `${dir}/.y.json.2-bbbb.tmp`;
  await Deno.writeTextFile(stale, "partial");
  await Deno.writeTextFile(fresh, "partial");
  await Deno.writeTextFile(`${dir}/z.json`, "{}");
  const hourAgo = new Date(Date.now() - 3600_000);
  await Deno.utime(stale, hourAgo, hourAgo);
  assert.equal(await removeStaleTempFiles(dir), 1);
  const names = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  assert.deepEqual(names.sort(), [".y.json.2-bbbb.tmp", "z.json"]);
  await Deno.remove(dir, { recursive: true });
});
