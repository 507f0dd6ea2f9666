/**
 * The cases issue 13's fault-injection pass found solid, kept as tests beside the defects: a bad
 * flag to any command is one line and exit 2 before any work; a truncated checkpoint is one
 * line. (kill -9, SIGINT and SIGTERM resume and failed-trial recording are pinned in
 * tests/sweep/cli_test.ts.)
 *
 * @module
 */
import assert from "node:assert/strict";
import { errorLines, ROOT } from "./helpers.ts";

async function cli(module: string, args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-read", "--allow-env", `lib/cli/${module}.ts`, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

Deno.test("a bad flag to any command is one line and exit 2", async () => {
  const cases: [string, string[], RegExp][] = [
    [
      "sweep",
      ["example-quadratic", "--wrokers", "2"],
      /^error: unknown flag --wrokers; usage: deno task sweep/,
    ],
    ["repro", ["--seeds", "-1"], /^error: --seeds must be an integer from 1 to 1000, got "-1"$/],
    ["fit", ["t.csv", "--law", "power", "--x"], /^error: --x needs a value$/],
    [
      "gpt",
      ["train", "--corpus", "sotu", "--lr", "fast"],
      /^error: --lr must be a number > 0, got "fast"$/,
    ],
    ["bench", ["--only"], /^error: --only needs a comma-separated list of suites/],
    ["plots", ["a", "b"], /^error: expected one results directory, got 2/],
    [
      "notebooks",
      ["--in-place=yes"],
      /^error: --in-place takes no value$/,
    ],
  ];
  for (const [module, args, pattern] of cases) {
    const { code, stderr } = await cli(module, args);
    assert.equal(code, 2, `${module}: ${stderr}`);
    const lines = errorLines(stderr);
    assert.equal(lines.length, 1, `${module}: ${stderr}`);
    assert.match(lines[0], pattern);
  }
});

Deno.test("a truncated checkpoint is one line naming the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "faults-baseline-" });
  try {
    await Deno.writeFile(`${dir}/cut.safetensors`, new Uint8Array([200, 0, 0, 0, 0, 0, 0, 0, 123]));
    const { code, stderr } = await cli("gpt", [
      "eval",
      `${dir}/cut.safetensors`,
      "--text",
      "README.md",
    ]);
    assert.equal(code, 1);
    const lines = errorLines(stderr);
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0], new RegExp(`^error: ${dir}/cut\\.safetensors: `));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
