/**
 * Fault injection on the sandbox (issue 13, items 4 and 7): a trial that tries to spawn a
 * shell through git, outputs outside what a task may write (checked before any work, with one
 * line saying how to allow a directory), a symlink out of the checkout, and a missing output
 * directory. The commands run as `deno task NAME` does, with deno.json's own flags.
 *
 * @module
 */
import assert from "node:assert/strict";
import { readTrialRecords } from "../../lib/sweep/mod.ts";
import { errorLines, ROOT, runTask } from "./helpers.ts";

/** `deno task NAME ARGS` from the checkout, as a user types it. */
async function task(name: string, args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", name, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test("a trial cannot spawn processes: the git-alias escape fails and writes nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "faults-sandbox-" });
  const pwned = `${dir}/pwned`;
  const result = await runTask("sweep", ["tests/faults/fixtures/escape.ts", "--out", `${dir}/r`], {
    writeDir: dir,
    env: { SWEEP_TEST_PWNED: pwned },
  });
  assert.equal(result.code, 1, result.stderr);
  const [record] = (await readTrialRecords(`${dir}/r`)).records.values();
  assert.equal(record.status, "failed");
  assert.match(record.error?.message ?? "", /NotCapable: Requires run access to "git"/);
  await assert.rejects(Deno.stat(pwned), Deno.errors.NotFound);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("outputs outside the task's directories are refused before any work, with how to allow them", async () => {
  const table = `${ROOT}/results/gpt-model-size/summary.csv`;
  const cases: [string, string[], string, string][] = [
    [
      "sweep",
      ["example-quadratic", "--out", "/tmp/scalelab-x"],
      "--out /tmp/scalelab-x",
      "/tmp/scalelab-x",
    ],
    [
      "repro",
      ["--variant", "baseline", "--out", "/tmp/scalelab-x"],
      "--out /tmp/scalelab-x",
      "/tmp/scalelab-x",
    ],
    [
      "gpt",
      ["train", "--corpus", "sotu", "--save", "/tmp/scalelab-m.safetensors"],
      "--save /tmp/scalelab-m.safetensors",
      "/tmp",
    ],
    [
      "fit",
      [table, "--law", "kaplan", "--n", "n", "--plot", "/tmp/scalelab-x.vl.json"],
      "--plot /tmp/scalelab-x.vl.json",
      "/tmp",
    ],
  ];
  for (const [name, args, what, allowed] of cases) {
    const started = performance.now();
    const result = await task(name, args);
    assert.equal(result.code, 2, `${name}: ${result.stderr}`);
    const lines = errorLines(result.stderr);
    assert.equal(lines.length, 1, `${name}: ${result.stderr}`);
    assert.equal(
      lines[0],
      `error: ${what} is outside what deno task ${name} may write (results/ and out/ of the ` +
        `checkout); to write there, run node_modules/deno/deno run ` +
        `${lines[0].match(/deno run (.*) lib\/cli/)![1]} lib/cli/${name}.ts ...`,
    );
    assert.match(lines[0], new RegExp(`--allow-write=results,out,${allowed}( |$)`));
    assert.equal(result.stdout, "", `${name}: nothing computed`);
    assert.ok(performance.now() - started < 30_000);
  }
  await assert.rejects(Deno.stat("/tmp/scalelab-x"), Deno.errors.NotFound);
});

Deno.test("the command the refusal names does write there", async () => {
  const dir = await Deno.makeTempDir({ prefix: "faults-sandbox-" });
  const refused = await task("sweep", ["example-quadratic", "--out", dir]);
  const command =
    errorLines(refused.stderr)[0].match(/run (node_modules\/deno\/deno run .*) \.\.\.$/)![1];
  const [, , ...flagsAndModule] = command.split(" ");
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      ...flagsAndModule.map((f) =>
        f.replace("--allow-run=node_modules/deno/deno", `--allow-run=${Deno.execPath()}`)
      ),
      "example-quadratic",
      "--out",
      dir,
    ],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.equal((await readTrialRecords(dir)).records.size, 24);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a symlink out of the checkout is followed to its real location and refused", async () => {
  const outside = await Deno.makeTempDir({ prefix: "faults-sandbox-" });
  const link = `out/faults-link-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(`${ROOT}/out`, { recursive: true });
  // Deno.symlink needs unscoped write permission: the test makes the link as a user would.
  const ln = await new Deno.Command("ln", { args: ["-s", outside, `${ROOT}/${link}`] }).output();
  assert.ok(ln.success);
  try {
    const result = await task("sweep", ["example-quadratic", "--out", `${link}/results`]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      errorLines(result.stderr)[0],
      new RegExp(`^error: --out ${link}/results \\(really ${outside}/results\\) is outside what`),
    );
    assert.deepEqual([...Deno.readDirSync(outside)], [], "nothing written through the link");
  } finally {
    await Deno.remove(`${ROOT}/${link}`);
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("gpt train --save into a directory that does not exist yet saves at the end", async () => {
  const dir = `out/faults-save-${crypto.randomUUID().slice(0, 8)}`;
  const text = `${ROOT}/README.md`;
  try {
    const result = await task("gpt", [
      "train",
      "--layers",
      "1",
      "--heads",
      "1",
      "--width",
      "16",
      "--context",
      "16",
      "--batch",
      "4",
      "--steps",
      "4",
      "--eval-windows",
      "4",
      "--text",
      text,
      "--save",
      `${dir}/new/m.safetensors`,
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok((await Deno.stat(`${ROOT}/${dir}/new/m.safetensors`)).size > 0);
  } finally {
    await Deno.remove(`${ROOT}/${dir}`, { recursive: true }).catch(() => {});
  }
});
