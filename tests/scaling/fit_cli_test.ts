import assert from "node:assert/strict";

const FIT = new URL("../../lib/cli/fit.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;
const FIGURE4 = new URL("./fixtures/chinchilla-figure4.csv", import.meta.url).pathname;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno task fit` as the task line does, with writes allowed only in `writeDir`. */
async function fit(args: string[], writeDir = "/tmp"): Promise<Outcome> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", `--allow-write=${writeDir}`, FIT, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/** Asserts a failure with exit status 2 and exactly one stderr line matching `pattern`. */
function assertOneLineError(outcome: Outcome, pattern: RegExp) {
  assert.equal(outcome.code, 2, `exit status ${outcome.code}; stderr: ${outcome.stderr}`);
  const lines = outcome.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one line, got:\n${outcome.stderr}`);
  assert.match(lines[0], pattern);
  assert.equal(outcome.stdout, "");
}

async function csvFile(dir: string, name: string, rows: string[]): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, rows.join("\n") + "\n");
  return path;
}

Deno.test("fit --law chinchilla --json on the Figure 4 table: Epoch's row, intervals, plot spec", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const plot = `${dir}/fit.vl.json`;
    const outcome = await fit([
      FIGURE4,
      "--law=chinchilla",
      "--n",
      "Model Size",
      "--c",
      "Training FLOP",
      "--loss",
      "loss",
      "--exclude-top",
      "5",
      "--bootstrap",
      "20",
      "--seed",
      "1",
      "--plot",
      plot,
      "--json",
    ], dir);
    assert.equal(outcome.code, 0, outcome.stderr);
    const result = JSON.parse(outcome.stdout);
    for (const key of ["E", "A", "B", "alpha", "beta", "a", "b"]) {
      assert.equal(typeof result[key], "number", `top-level ${key}`);
    }
    assert.equal(result.law, "chinchilla");
    assert.equal(result.points, 240);
    assert.equal(result.excluded, 5);
    assert.ok(Math.abs(result.alpha - 0.3473) < 0.005 && Math.abs(result.beta - 0.3671) < 0.005);
    assert.ok(Math.abs(result.E - 1.817) < 0.01 && Math.abs(result.a - 0.514) < 0.01);
    assert.deepEqual(result.bootstrap, { resamples: 20, seed: 1, level: 0.95, failed: 0 });
    const alpha = result.intervals.alpha;
    assert.ok(alpha.lower < result.alpha && result.alpha < alpha.upper);
    const spec = JSON.parse(await Deno.readTextFile(plot));
    assert.equal(spec.$schema, "https://vega.github.io/schema/vega-lite/v5.json");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fit --law power and --law kaplan print parameters by name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const xs = [1e15, 1e16, 1e17, 1e18, 1e19];
    const table = await csvFile(dir, "runs.csv", [
      "flops,params,val_loss",
      ...xs.map((x, i) => `${x},${1e6 * 10 ** i},${(20 * x ** -0.05).toFixed(8)}`),
    ]);
    const power = await fit([table, "--law", "power", "--x", "flops", "--y", "val_loss", "--json"]);
    assert.equal(power.code, 0, power.stderr);
    const fitted = JSON.parse(power.stdout);
    assert.ok(Math.abs(fitted.b - 0.05) < 1e-6 && Math.abs(fitted.a - 20) < 1e-3, power.stdout);
    const kaplan = await fit([table, "--law", "kaplan", "--n", "params", "--loss", "val_loss"]);
    assert.equal(kaplan.code, 0, kaplan.stderr);
    assert.match(kaplan.stdout, /^kaplan-n fit: L = \(.+\/N\)\^0\.0/);
    assert.match(kaplan.stdout, /\nalphaN +0\.\d+/);
    assert.match(kaplan.stdout, /\nlog residuals: rmse /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Approach 2 on the Figure 4 table, with Chinchilla's nine budgets. */
const FIGURE4_ISOFLOP = [
  FIGURE4,
  "--law",
  "isoflop",
  "--n",
  "Model Size",
  "--c",
  "Training FLOP",
  "--exclude-top",
  "5",
  "--budgets",
  "6e18,1e19,3e19,6e19,1e20,3e20,6e20,1e21,3e21",
  "--tolerance",
  "0.06",
];

Deno.test("fit --law isoflop finds the Figure 4 IsoFLOP minima", async () => {
  const outcome = await fit([...FIGURE4_ISOFLOP, "--json"]);
  assert.equal(outcome.code, 0, outcome.stderr);
  const result = JSON.parse(outcome.stdout);
  assert.equal(result.profiles.length, 9);
  assert.ok(result.a > 0.45 && result.a < 0.55, `a = ${result.a}`);
  assert.ok(Math.abs(result.a + result.b - 1) < 1e-9);
});

Deno.test("fit --law isoflop --bootstrap: intervals from runs resampled within budgets", async () => {
  const args = [...FIGURE4_ISOFLOP, "--bootstrap", "200"];
  const json = await fit([...args, "--json"]);
  assert.equal(json.code, 0, json.stderr);
  const result = JSON.parse(json.stdout);
  assert.deepEqual(
    { ...result.bootstrap, failed: 0 },
    { resamples: 200, seed: 0, level: 0.95, failed: 0 },
  );
  for (const name of ["a", "b", "tokensPerParameter"]) {
    const { lower, upper } = result.intervals[name];
    assert.ok(lower < result[name] && result[name] < upper, `${name} outside [${lower}, ${upper}]`);
  }
  const text = await fit(args);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /\na +0\.5\d+ +\[0\.\d+, 0\.\d+\]/);
  assert.match(text.stdout, /95% interval \(200 resamples, seed 0/);
});

Deno.test("fit: bad tables and flags are one-line errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const table = await csvFile(dir, "runs.csv", [
      "N,D,loss",
      "1e6,1e9,3.2",
      "2e6,0,3.0",
      "4e6,4e9,2.9",
    ]);
    assertOneLineError(
      await fit([table, "--law", "chinchilla", "--n", "params", "--d", "D"]),
      /^error: column "params" not found; available columns: "N", "D", "loss"$/,
    );
    assertOneLineError(
      await fit([table, "--law", "chinchilla", "--n", "N", "--d", "D"]),
      /^error: column "D" row 2 is 0; it is log-transformed/,
    );
    const small = await csvFile(dir, "small.csv", ["N,D,loss", "1e6,1e9,3.2", "2e6,2e9,3.0"]);
    assertOneLineError(
      await fit([small, "--law", "chinchilla", "--n", "N", "--d", "D"]),
      /^error: the chinchilla law has 5 parameters but only 2 points were given/,
    );
    assertOneLineError(await fit([table, "--law", "cubic"]), /^error: unknown --law "cubic"/);
    assertOneLineError(
      await fit([table, "--law", "power", "--x", "N"]),
      /needs --x COL and --y COL/,
    );
    assertOneLineError(await fit([table, "--lw", "power"]), /^error: unknown flag --lw/);
    assertOneLineError(
      await fit([table, "--law", "power", "--x", "N", "--y", "loss", "--bootstrap", "1"]),
      /--bootstrap must be an integer from 2/,
    );
    assertOneLineError(
      await fit([`${dir}/none.csv`, "--law", "kaplan", "--n", "N"]),
      /no such file/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
