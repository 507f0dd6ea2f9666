import assert from "node:assert/strict";
import { parseSweepArgs } from "../../lib/sweep/args.ts";

Deno.test("sweep flags parse in both --flag value and --flag=value forms", () => {
  const args = parseSweepArgs([
    "quadratic",
    "--out",
    "out/q",
    "--shard=1/4",
    "--workers",
    "3",
    "--dry-run",
    "--retry-failed",
    "--preset=cpu",
    "--timeout",
    "2.5",
  ]);
  assert.deepEqual(args, {
    help: false,
    experiment: "quadratic",
    out: "out/q",
    shard: { index: 1, count: 4 },
    workers: 3,
    dryRun: true,
    retryFailed: true,
    preset: "cpu",
    timeout: 2.5,
  });
  assert.equal(parseSweepArgs(["q"]).workers, 1);
  assert.equal(parseSweepArgs(["--help"]).help, true);
});

Deno.test("bad sweep flags are one-line errors", () => {
  const cases: [string[], RegExp][] = [
    [[], /^missing EXPERIMENT/],
    [["a", "b"], /^expected one EXPERIMENT, got 2/],
    [["a", "--frobnicate"], /^unknown flag --frobnicate/],
    [["a", "--out"], /^--out needs a value/],
    [["a", "--out", "--dry-run"], /^--out needs a value/],
    [["a", "--workers", "0"], /^bad --workers "0"/],
    [["a", "--workers", "two"], /^bad --workers "two"/],
    [["a", "--timeout", "-3"], /^bad --timeout "-3"/],
    [["a", "--shard", "3/3"], /^bad --shard "3\/3"/],
    [["a", "--shard", "a/b"], /^bad --shard "a\/b"/],
    [["a", "--dry-run=yes"], /^--dry-run takes no value/],
    [["a", "--preset", "x", "--preset", "y"], /^--preset given more than once/],
  ];
  for (const [args, pattern] of cases) {
    assert.throws(() => parseSweepArgs(args), (error: Error) => {
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes("\n"));
      return true;
    });
  }
});
