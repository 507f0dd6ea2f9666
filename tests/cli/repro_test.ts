import assert from "node:assert/strict";
import { UsageError } from "../../lib/cli/args.ts";
import { parseReproArgs, reproConfigs } from "../../lib/cli/repro.ts";

Deno.test("repro args: defaults run the ladder, flags override, mistakes are usage errors", () => {
  const defaults = parseReproArgs([]);
  assert.deepEqual(defaults.variants, ["baseline", "ce", "adamw", "augment", "modern"]);
  assert.equal(defaults.seeds, 1);
  const args = parseReproArgs([
    "--variant=modern",
    "--seeds",
    "3",
    "--passes",
    "2",
    "--train-size",
    "500",
  ]);
  const configs = reproConfigs(args);
  assert.deepEqual(configs.map((c) => [c.variant, c.seed, c.passes, c.trainSize]), [
    ["modern", 1337, 2, 500],
    ["modern", 1338, 2, 500],
    ["modern", 1339, 2, 500],
  ]);
  assert.deepEqual(parseReproArgs(["--variant", "all"]).variants, defaults.variants);
  assert.deepEqual(parseReproArgs(["--variant", "modern-50k"]).variants, ["modern-50k"]);
  const bad: [string[], RegExp][] = [
    [["--variant", "newest"], /unknown --variant "newest"; expected one of baseline, ce, adamw/],
    [["--seeds", "0"], /--seeds must be an integer from 1 to 1000, got "0"/],
    [["--train-size", "60001"], /--train-size must be an integer from 1 to 60000, got "60001"/],
    [["--passes", "1.5"], /--passes must be an integer/],
    [["--out"], /--out needs a value/],
    [["--bogus"], /unknown flag --bogus; usage: deno task repro/],
    [["extra"], /unexpected argument "extra"; usage: deno task repro/],
  ];
  for (const [argv, pattern] of bad) {
    assert.throws(() => parseReproArgs(argv), (e: Error) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, pattern);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  }
});

async function repro(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const command = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-read",
      "--allow-write=results,out",
      "--allow-env",
      "lib/cli/repro.ts",
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stdout, stderr } = await command.output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** stderr lines other than the environment's own warnings. */
function ownLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l !== "" && !l.includes("XDG_RUNTIME_DIR"));
}

Deno.test("repro: bad input is one error line and a non-zero exit", async () => {
  const cases: [string[], RegExp][] = [
    [["--variant", "newest"], /^error: unknown --variant "newest"/],
    [["--seeds", "0"], /^error: --seeds must be an integer from 1 to 1000, got "0"$/],
    [["--train-size", "60001"], /^error: --train-size must be an integer from 1 to 60000/],
  ];
  for (const [args, pattern] of cases) {
    const { code, stdout, stderr } = await repro(args);
    assert.equal(code, 2, `${args}: exit ${code}`);
    assert.equal(stdout, "");
    const lines = ownLines(stderr);
    assert.equal(lines.length, 1, `${args}: ${stderr}`);
    assert.match(lines[0], pattern);
  }
  const missing = await repro([
    "--variant",
    "baseline",
    "--passes",
    "1",
    "--mnist-dir",
    "out/no-such-mnist",
  ]);
  assert.equal(missing.code, 1);
  const last = ownLines(missing.stderr).at(-1)!;
  assert.match(last, /^error: out\/no-such-mnist\/train-images-idx3-ubyte: MNIST file not found/);
  assert.ok(!ownLines(missing.stderr).some((l) => /^\s+at /.test(l)), "no stack trace");
});

Deno.test("repro: a short run prints one JSON document and writes result files", async () => {
  const out = `out/repro-test-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const { code, stdout, stderr } = await repro([
      "--variant",
      "baseline",
      "--passes",
      "1",
      "--train-size",
      "1000",
      "--json",
      "--out",
      out,
    ]);
    assert.equal(code, 0, stderr);
    const doc = JSON.parse(stdout);
    assert.match(doc.adapter, /\S/);
    assert.equal(doc.runs.length, 1);
    const run = doc.runs[0];
    assert.deepEqual(
      Object.keys(run).sort(),
      [
        "passes",
        "seed",
        "testError",
        "testMisses",
        "trainError",
        "trainMisses",
        "trainSize",
        "variant",
        "wallSeconds",
      ],
    );
    assert.equal(run.trainSize, 1000);
    assert.ok(run.testError > 0 && run.testError < 40, `test error ${run.testError}`);
    assert.equal(Math.round(run.testError * 2007 / 100), run.testMisses);
    const names = [...Deno.readDirSync(`${out}/runs`)].map((e) => e.name);
    assert.equal(names.length, 1);
    assert.match(names[0], /^baseline-seed1337-[0-9a-f]{16}\.json$/, "named by its whole recipe");
    const file = JSON.parse(await Deno.readTextFile(`${out}/runs/${names[0]}`));
    assert.equal(file.history.length, 2, "pass 0 and pass 1");
    assert.equal(file.config.passes, 1);
    const history = await Deno.readTextFile(`${out}/history.csv`);
    assert.equal(history.trim().split("\n").length, 3);
    assert.match(
      await Deno.readTextFile(`${out}/summary.md`),
      /baseline \(passes 1, trainSize 1000\) \| 1 /,
    );
    assert.ok((await Deno.stat(`${out}/error-curves.png`)).size > 1000, "the plot is rendered");
    assert.match(await Deno.readTextFile(`${out}/error-curves.svg`), /<svg/);
  } finally {
    await Deno.remove(out, { recursive: true }).catch(() => {});
  }
});
