import assert from "node:assert/strict";
import { parseBenchArgs } from "../../lib/cli/bench_args.ts";
import { formatNumber, jsonLine, tableHeader, tableRow } from "../../lib/bench/report.ts";
import { shapeKey } from "../../lib/bench/reference.ts";
import { matmulProblems } from "../../lib/bench/matmul_bench.ts";
import { median } from "../../lib/bench/timing.ts";
import type { BenchResult } from "../../lib/bench/suite.ts";

const SUITES = ["matmul", "dispatch", "layernorm"];
const BENCH_CLI = new URL("../../lib/cli/bench.ts", import.meta.url).pathname;

Deno.test("bench flags parse, and bad ones are one clear line", () => {
  assert.deepEqual(parseBenchArgs([], SUITES), { help: false, json: false, reference: true });
  const parsed = parseBenchArgs(["--json", "--only=matmul,dispatch", "--no-reference"], SUITES);
  assert.deepEqual(parsed, {
    help: false,
    json: true,
    reference: false,
    only: ["matmul", "dispatch"],
  });
  assert.deepEqual(parseBenchArgs(["--only", "layernorm"], SUITES).only, ["layernorm"]);
  const bad: [string[], RegExp][] = [
    [["--fast"], /^unknown flag --fast \(/],
    [["--only"], /^--only needs a comma-separated list/],
    [["--only", "conv"], /^--only: unknown suite "conv", expected some of matmul/],
    [["--json=yes"], /^--json takes no value$/],
    [["extra"], /^unexpected argument "extra"/],
  ];
  for (const [args, pattern] of bad) {
    assert.throws(() => parseBenchArgs(args, SUITES), (e: Error) => {
      assert.match(e.message, pattern);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  }
});

Deno.test("median, number formatting, table rows and JSON lines", () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), /at least one value/);
  assert.equal(formatNumber(17.234), "17.2");
  assert.equal(formatNumber(0.012345), "0.0123");
  assert.equal(formatNumber(11803.2), "11803");
  const row: BenchResult = {
    name: "matmul",
    label: "1024x1024x1024 nn",
    ms: 120.4,
    rate: { value: 17.84, unit: "GFLOP/s" },
    ratio: 0.21,
    note: "lanes 32x16",
    fields: { m: 1024, n: 1024, k: 1024, gflops: 17.84 },
  };
  const line = tableRow(row);
  for (
    const part of ["matmul", "1024x1024x1024 nn", "120", "17.8 GFLOP/s", "0.21x", "lanes 32x16"]
  ) {
    assert.ok(line.includes(part), `table row lacks ${part}: ${line}`);
  }
  assert.equal(tableHeader().length, 2);
  const json = JSON.parse(jsonLine(row, "llvmpipe"));
  assert.deepEqual(Object.keys(json).slice(0, 3), ["name", "ms", "adapter"]);
  assert.equal(json.gflops, 17.84);
  assert.equal(json.m, 1024);
});

Deno.test("matmul problems: square sizes by adapter, transformer products in three layouts", () => {
  const cpu = matmulProblems(true), gpu = matmulProblems(false);
  const squares = (ps: typeof cpu) => ps.filter((p) => p.family === "square").map((p) => p.m);
  assert.deepEqual(squares(cpu), [256, 512, 1024, 2048]);
  assert.deepEqual(squares(gpu), [256, 512, 1024, 2048, 4096]);
  const mlp = gpu.filter((p) => p.family === "transformer");
  assert.deepEqual(mlp.map((p) => p.layout), ["nt", "nn", "tn"]);
  assert.deepEqual(mlp.map((p) => [p.m, p.n, p.k]), [[8192, 1536, 384], [8192, 384, 1536], [
    1536,
    384,
    8192,
  ]]);
  assert.equal(shapeKey(mlp[0]), "8192x1536x384:nt");
});

Deno.test("deno task bench --json prints one object per line; bad flags exit 2", async () => {
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-env", BENCH_CLI, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
  const ok = await run(["--json", "--only", "dispatch"]);
  assert.equal(ok.code, 0, new TextDecoder().decode(ok.stderr));
  const lines = new TextDecoder().decode(ok.stdout).trim().split("\n");
  assert.equal(lines.length, 3);
  for (const line of lines) {
    const row = JSON.parse(line);
    assert.equal(row.name, "dispatch");
    assert.ok(row.ms > 0 && typeof row.adapter === "string" && row.adapter.length > 0);
  }
  const bad = await run(["--speed"]);
  assert.equal(bad.code, 2);
  const stderr = new TextDecoder().decode(bad.stderr).trim();
  assert.match(stderr, /^error: unknown flag --speed/);
  assert.equal(stderr.split("\n").length, 1);
});
