import assert from "node:assert/strict";
import { parseSweepArgs } from "../../lib/cli/sweep_args.ts";

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
    "--axis",
    'model={"width":8,"depth":2},{"width":16,"depth":2}',
    "--axis=seed=0",
    "--heap",
    "512",
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
    axes: { model: ['{"width":8,"depth":2}', '{"width":16,"depth":2}'], seed: ["0"] },
    heapMb: 512,
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
    [["a", "--workers", "0"], /^--workers must be an integer from 1 to 1024, got "0"$/],
    [["a", "--workers", "two"], /^--workers must be an integer from 1 to 1024, got "two"$/],
    [["a", "--timeout", "-3"], /^--timeout must be a number > 0 and ≤ 2147483, got "-3"$/],
    [["a", "--shard", "3/3"], /^bad --shard "3\/3"/],
    [["a", "--shard", "a/b"], /^bad --shard "a\/b"/],
    [["a", "--dry-run=yes"], /^--dry-run takes no value/],
    [["a", "--preset", "x", "--preset", "y"], /^--preset given more than once/],
    [["a", "--timeout", "3000000"], /^--timeout must be a number > 0 and ≤ 2147483, got "3000000"/],
    [["a", "--axis", "lr"], /^bad --axis "lr": expected NAME=V1,V2/],
    [["a", "--axis", "lr=0.1,"], /^bad --axis "lr=0.1,"/],
    [["a", "--axis", "lr=1", "--axis", "lr=2"], /^--axis lr given more than once/],
    [["a", "--heap", "1"], /^--heap must be an integer from 64 to 1048576, got "1"$/],
  ];
  for (const [args, pattern] of cases) {
    assert.throws(() => parseSweepArgs(args), (error: Error) => {
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes("\n"));
      return true;
    });
  }
});
