import assert from "node:assert/strict";
import {
  LiveDisplay,
  livePlot,
  nextDisplayId,
  progressBundle,
  progressLine,
} from "../../lib/notebook/mod.ts";

Deno.test("progressBundle: text line and HTML bar", () => {
  const bundle = progressBundle({
    label: "baseline",
    done: 3,
    total: 23,
    unit: "pass",
    seconds: 4.25,
    info: { test_error: 4.123456 },
  });
  assert.equal(bundle["text/plain"], "baseline: pass 3/23 (13%) · test_error 4.123 · 4.3 s");
  assert.match(bundle["text/html"] as string, /<progress value="3" max="23"/);
});

Deno.test("progressLine: first, throttled and last updates through one display id", async () => {
  let clock = 0;
  const shown: { text: string; id?: string; update?: boolean }[] = [];
  const progress = progressLine("run", {
    total: 3,
    now: () => clock,
    display: (bundle, o) => {
      shown.push({ text: String(bundle["text/plain"]), id: o.display_id, update: o.update });
    },
  });
  progress.update(1);
  clock += 10;
  progress.update(2); // within 250 ms: skipped
  clock += 300;
  progress.update(3, { loss: 1.5 }); // the last unit: always shown
  await progress.end();
  assert.deepEqual(shown.map((s) => s.text), [
    "run: step 1/3 (33%) · 0.0 s",
    "run: step 3/3 (100%) · loss 1.5 · 0.3 s",
    // The final line keeps no time, so a rerun saves the same output.
    "run: step 3/3 (100%) · loss 1.5",
  ]);
  assert.deepEqual(shown.map((s) => s.update), [false, true, true]);
  assert.equal(new Set(shown.map((s) => s.id)).size, 1);
  assert.throws(() => progressLine("x", { total: -1 }), /total must be a number/);
});

Deno.test("livePlot: shown on first push, then updated with all rows", async () => {
  const shown: { rows: number; update?: boolean }[] = [];
  const plot = livePlot((rows: number[]) => `${rows.length} rows`, {
    id: "p",
    display: (bundle, o) => {
      shown.push({ rows: parseInt(String(bundle["text/plain"])), update: o.update });
    },
  });
  plot.push(1);
  await plot.flush();
  plot.push(2);
  plot.push(3, 4); // pushed before the redraw ran: drawn together
  await plot.flush();
  assert.deepEqual(shown, [{ rows: 1, update: false }, { rows: 4, update: true }]);
});

Deno.test("LiveDisplay: shown once, replaced in order, throttled unless forced, errors kept", async () => {
  let clock = 0;
  const shown: { text: unknown; update?: boolean; id?: string }[] = [];
  const out = new LiveDisplay({
    id: "x",
    intervalMs: 100,
    now: () => clock,
    display: async (bundle, o) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      shown.push({ text: bundle["text/plain"], update: o.update, id: o.display_id });
    },
  });
  out.put({ "text/plain": "a" });
  out.put({ "text/plain": "b" }); // within 100 ms: skipped
  out.put(() => ({ "text/plain": "c" }), { force: true });
  clock = 150;
  out.put({ "text/plain": "d" });
  out.put(() => undefined, { force: true }); // nothing new: skipped
  await out.flush();
  assert.deepEqual(shown, [
    { text: "a", update: false, id: "x" },
    { text: "c", update: true, id: "x" },
    { text: "d", update: true, id: "x" },
  ]);
  out.put(() => {
    throw new Error("draw failed");
  }, { force: true });
  await assert.rejects(() => out.flush(), /draw failed/);
  assert.equal(new LiveDisplay({}).active, false, "no notebook, no display given");
  assert.match(nextDisplayId("plot"), /^scalelab-plot-\d+$/);
});
