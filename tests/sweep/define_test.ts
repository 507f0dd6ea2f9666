import assert from "node:assert/strict";
import { defineSweep, isSweep, SweepDefinitionError } from "../../lib/sweep/mod.ts";
import type { AxisMap, SweepSpec } from "../../lib/sweep/mod.ts";

const run = () => ({});

/** Asserts that defining `spec` fails with a one-line error containing `fragment`. */
function assertOneLineError(spec: SweepSpec<AxisMap, object>, fragment: string) {
  assert.throws(
    () => defineSweep(spec),
    (error: unknown) => {
      assert.ok(error instanceof SweepDefinitionError, `not a SweepDefinitionError: ${error}`);
      assert.ok(!error.message.includes("\n"), `multi-line message: ${error.message}`);
      assert.ok(error.message.includes(fragment), `"${error.message}" lacks "${fragment}"`);
      return true;
    },
  );
}

Deno.test("defineSweep returns a frozen, recognizable sweep with a string version", () => {
  const sweep = defineSweep({ name: "ok", version: 3, axes: { a: [1, 2] }, run });
  assert.ok(isSweep(sweep));
  assert.ok(!isSweep({ name: "ok" }));
  assert.equal(sweep.version, "3");
  assert.ok(Object.isFrozen(sweep));
  assert.deepEqual(sweep.objective, { metric: "loss", goal: "min" });
});

Deno.test("axis lists are copied, so later edits to the caller's arrays change nothing", () => {
  const lr = [0.1, 0.2];
  const sweep = defineSweep({ name: "copy", version: 1, axes: { lr }, run });
  lr.push(0.3);
  assert.deepEqual(sweep.axes.lr, [0.1, 0.2]);
});

Deno.test("an empty axis is a one-line error", () => {
  assertOneLineError({ name: "e", version: 1, axes: { lr: [] }, run }, `axis "lr" is empty`);
});

Deno.test("non-serializable axis values are one-line errors naming the value", () => {
  const cases: [unknown, string][] = [
    [(x: number) => x, "value #1 is a function"],
    [NaN, "value #1 is NaN"],
    [Infinity, "value #1 is Infinity"],
    [undefined, "value #1 is undefined"],
    [new Date(0), "value #1 is a Date, not a plain object"],
    [new Map(), "value #1 is a Map, not a plain object"],
    [{ width: 4, act: Math.tanh }, "value #1.act is a function"],
    [10n, "value #1 is a bigint"],
  ];
  for (const [bad, fragment] of cases) {
    assertOneLineError({ name: "s", version: 1, axes: { x: [1, bad] }, run }, fragment);
  }
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  assertOneLineError(
    { name: "s", version: 1, axes: { x: [circular] }, run },
    "circular reference",
  );
});

Deno.test("repeated axis values (also objects with reordered keys) are rejected", () => {
  assertOneLineError(
    { name: "s", version: 1, axes: { m: [{ a: 1, b: 2 }, { b: 2, a: 1 }] }, run },
    "value #1 repeats value #0",
  );
});

Deno.test("other definition mistakes are one-line errors", () => {
  const cases: [SweepSpec<AxisMap, object>, string][] = [
    [{ name: "has space", version: 1, axes: { a: [1] }, run }, "sweep name"],
    [{ name: "s", version: 1, axes: {}, run }, "axes is empty"],
    [{ name: "s", version: 1, axes: { a: 1 as never }, run }, `axis "a" must be a list`],
    [{ name: "s", version: 1, axes: { a: [1] } } as never, "run must be a function"],
    [
      { name: "s", version: 1, axes: { a: [1], b: [2] }, zip: [["a", "c"]], run },
      `unknown axis "c"`,
    ],
    [{ name: "s", version: 1, axes: { a: [1, 2], b: [1] }, zip: [["a", "b"]], run }, "a: 2, b: 1"],
    [{ name: "s", version: 1, axes: { a: [1], b: [2] }, zip: [["a"]], run }, "at least two"],
    [
      {
        name: "s",
        version: 1,
        axes: { a: [1], b: [2], c: [3] },
        zip: [["a", "b"], ["b", "c"]],
        run,
      },
      "more than one zip group",
    ],
    [
      { name: "s", version: 1, axes: { a: [1] }, presets: { cpu: { z: [1] } } as never, run },
      `preset "cpu" sets unknown axis "z"`,
    ],
    [{ name: "s", version: 1, axes: { a: [1] }, presets: { cpu: { a: [] } }, run }, "is empty"],
    [{ name: "s", version: 1, axes: { a: [1] }, random: { n: 0, seed: 1 }, run }, "random.n"],
    [{ name: "s", version: 1, axes: { a: [1] }, random: { n: 2, seed: 0.5 }, run }, "random.seed"],
    [{ name: "s", version: 1, axes: { a: [1] }, timeout: -1, run }, "timeout"],
    [
      {
        name: "s",
        version: 1,
        axes: { a: [1] },
        objective: { metric: "acc", goal: "up" as never },
        run,
      },
      "objective",
    ],
  ];
  for (const [spec, fragment] of cases) assertOneLineError(spec, fragment);
});
