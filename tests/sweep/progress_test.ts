import assert from "node:assert/strict";
import {
  type DisplayFunction,
  JsonLinesProgress,
  NotebookProgress,
  type ProgressEvent,
  TtyProgress,
} from "../../lib/sweep/mod.ts";
import { ProgressTracker, statusLine } from "../../lib/sweep/progress.ts";

const objective = { metric: "loss", goal: "min" as const };

function start(total: number, done = 0): ProgressEvent {
  return {
    type: "sweep-start",
    experiment: "demo",
    version: "1",
    out: "out/demo",
    shard: null,
    total,
    done,
    pending: total - done,
    workers: 1,
    objective,
    best: null,
  };
}

function end(id: string, loss: number, status: "ok" | "failed" = "ok"): ProgressEvent {
  return { type: "trial-end", id, status, metrics: { loss }, wallSeconds: 1, error: null };
}

/** A clock the test moves by hand. */
function manualClock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => now += ms };
}

Deno.test("the tracker counts, keeps the best ok metric and estimates the ETA", () => {
  const clock = manualClock();
  const tracker = new ProgressTracker(clock.now);
  tracker.handle(start(10, 2));
  tracker.handle({ type: "trial-start", id: "aaaaaaaa11", config: { lr: 0.1 } });
  clock.advance(2000);
  tracker.handle(end("aaaaaaaa11", 0.5));
  tracker.handle({ type: "trial-start", id: "bbbbbbbb22", config: { lr: 1 } });
  clock.advance(2000);
  tracker.handle(end("bbbbbbbb22", 0.1, "failed"));
  tracker.handle({ type: "trial-start", id: "cccccccc33", config: { lr: 0.01 } });
  tracker.handle({ type: "trial-report", id: "cccccccc33", step: 7, metrics: { loss: 0.25 } });
  assert.deepEqual([tracker.done, tracker.ok, tracker.failed], [4, 1, 1]);
  assert.deepEqual(tracker.best, { id: "aaaaaaaa11", value: 0.5 }, "failed trials never count");
  assert.equal(tracker.etaSeconds(), 12, "6 left at 2 s each");
  assert.equal(
    statusLine(tracker),
    "demo 4/10 (ok 1, failed 1) | ETA 12s | best loss 0.5 | 1 running: cccccccc step 7 loss=0.25",
  );
});

Deno.test("JSON lines: one parseable object per event, NaN kept, reports thinned", () => {
  const clock = manualClock();
  const lines: string[] = [];
  const sink = new JsonLinesProgress((line) => lines.push(line), clock.now);
  sink.handle(start(1));
  sink.handle({ type: "trial-start", id: "aa", config: { lr: 0.1 } });
  for (let step = 0; step < 5; step++) {
    sink.handle({ type: "trial-report", id: "aa", step, metrics: { loss: step === 4 ? NaN : 1 } });
    clock.advance(300);
  }
  sink.handle(end("aa", NaN));
  const events = lines.map((line) => JSON.parse(line));
  assert.deepEqual(events.map((e) => e.event), [
    "sweep-start",
    "trial-start",
    "trial-report",
    "trial-report",
    "trial-end",
  ]);
  assert.deepEqual(events.filter((e) => e.event === "trial-report").map((e) => e.step), [0, 4]);
  assert.equal(events[3].metrics.loss, "NaN");
  assert.equal(events[4].metrics.loss, "NaN");
  assert.ok(events.every((e) => !Number.isNaN(Date.parse(e.time))));
});

Deno.test("notebook: one output created, then updated in place with the same display_id", async () => {
  const clock = manualClock();
  const calls: { bundle: Record<string, string>; options: Parameters<DisplayFunction>[1] }[] = [];
  const display: DisplayFunction = async (bundle, options) => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    calls.push({ bundle, options });
  };
  const sink = new NotebookProgress(display, clock.now);
  sink.handle(start(3));
  for (const id of ["aa", "bb", "cc"]) {
    sink.handle({ type: "trial-start", id, config: { lr: 0.1 } });
    clock.advance(100);
    sink.handle(end(id, 0.5));
    clock.advance(100);
  }
  sink.handle({
    type: "sweep-end",
    ok: 3,
    failed: 0,
    diverged: 0,
    pending: 0,
    interrupted: false,
    wallSeconds: 0.6,
  });
  await sink.flush();
  assert.ok(calls.length >= 2 && calls.length < 8, `throttled: ${calls.length} updates`);
  assert.equal(calls[0].options.update, false);
  assert.ok(calls.slice(1).every((c) => c.options.update === true));
  assert.ok(calls.every((c) => c.options.display_id === sink.displayId && c.options.raw));
  const last = calls[calls.length - 1].bundle;
  // The finished line keeps no duration: a notebook rerun saves the same output.
  assert.match(last["text/plain"], /^demo 3\/3 \(ok 3\) \| best loss 0\.5$/);
  assert.match(last["text/html"], /<progress value="3" max="3"/);
});

Deno.test("terminal: the line is redrawn in place, fits the width, and ends with a newline", () => {
  const clock = manualClock();
  const written: string[] = [];
  const bar = new TtyProgress({ write: (t) => written.push(t), columns: () => 60 }, clock.now);
  bar.handle(start(2));
  bar.handle({ type: "trial-start", id: "aa", config: { lr: 0.1, note: "x".repeat(200) } });
  bar.handle(end("aa", 0.5));
  bar.handle({ type: "interrupt", mode: "stop", running: 1 });
  bar.handle({
    type: "sweep-end",
    ok: 1,
    failed: 0,
    diverged: 0,
    pending: 1,
    interrupted: true,
    wallSeconds: 1,
  });
  const redraws = written.filter((t) => t.startsWith("\r\x1b[2K["));
  assert.ok(redraws.length >= 3);
  assert.ok(redraws.every((t) => t.length - 5 <= 59), "fits in 59 columns");
  assert.ok(redraws.some((t) => t.includes("[##########..........] demo 1/2")));
  assert.ok(written.some((t) => t.includes("interrupt: finishing 1 running trial(s)")));
  assert.equal(written[written.length - 1], "\n");
});

Deno.test("the status line keeps counts, ETA and best within 100 columns; packs are named", () => {
  const clock = manualClock();
  const tracker = new ProgressTracker(clock.now);
  tracker.handle(start(40));
  tracker.handle({ type: "trial-start", id: "0000000000000000", config: { lr: 0.1 } });
  clock.advance(5000);
  tracker.handle(end("0000000000000000", 0.25));
  for (let i = 1; i <= 12; i++) {
    const id = `${i}`.padStart(16, "a");
    tracker.handle({ type: "trial-start", id, config: { lr: i, note: "x".repeat(300) }, pack: 4 });
    tracker.handle({ type: "trial-report", id, step: 100 * i, metrics: { acc: 0.5, loss: i } });
  }
  const line = statusLine(tracker);
  assert.ok(line.length <= 100, `${line.length} columns: ${line}`);
  assert.match(
    line,
    /^demo 1\/40 \(ok 1\) \| ETA 3m15s \| best loss 0\.25 \| 12 running in packs of 4: /,
  );
  assert.match(line, /: aaaaaaaa step 1200 loss=12$/, "the latest first, with its objective");
  assert.match(statusLine(tracker, 200), /loss=12; aaaaaaaa step 100 loss=1; /, "more when wider");
  assert.ok(!line.includes("xxx"), "configs are not repeated in the line");
  assert.ok(statusLine(tracker, 50).length <= 50);
});
