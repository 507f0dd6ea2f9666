import assert from "node:assert/strict";
import { trainingCurvesSpec, writePlotSpec } from "../../lib/plot/mod.ts";

const PLOTS = new URL("../../lib/cli/plots.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

async function plots(args: string[], writeDir: string) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", `--allow-write=${writeDir}`, PLOTS, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test("deno task plots DIR renders each spec and reports one line per plot", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const spec = trainingCurvesSpec([{ step: 1, loss: 3, config: "a" }, {
      step: 9,
      loss: 2,
      config: "a",
    }]);
    await writePlotSpec(`${dir}/a.vl.json`, spec);
    await writePlotSpec(`${dir}/b.vl.json`, spec);
    const outcome = await plots([dir], dir);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.deepEqual(outcome.stdout.trimEnd().split("\n"), [
      `${dir}/a.vl.json -> ${dir}/a.svg, ${dir}/a.png`,
      `${dir}/b.vl.json -> ${dir}/b.svg, ${dir}/b.png`,
    ]);
    assert.ok((await Deno.stat(`${dir}/b.png`)).size > 1000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task plots --width --theme: re-flowed, restyled; an empty plot fails", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const rows = [1, 2, 3].map((step) => ({ step, loss: 3 - step / 2, config: "a" }));
    await writePlotSpec(`${dir}/a.vl.json`, trainingCurvesSpec(rows));
    const outcome = await plots([dir, "--width", "640", "--theme", "paper"], dir);
    assert.equal(outcome.code, 0, outcome.stderr);
    const svg = await Deno.readTextFile(`${dir}/a.svg`);
    assert.ok(Math.abs(Number(svg.match(/width="(\d+)"/)![1]) - 640) <= 3);
    assert.match(svg, /stroke="#000"/, "paper frame");
    await writePlotSpec(
      `${dir}/b.vl.json`,
      trainingCurvesSpec(rows.map((r) => ({ ...r, loss: 0 }))),
    );
    const empty = await plots([dir], dir);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /error: .*b\.svg: the plot draws 1 mark items but none is visible/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task plots: missing directory, no specs and bad usage are one-line errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const missing = await plots([`${dir}/nope`], dir);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, `error: ${dir}/nope is not a directory\n`);
    const empty = await plots([dir], dir);
    assert.equal(empty.code, 1);
    assert.equal(empty.stderr, `error: no plot specs (*.vl.json) found under ${dir}\n`);
    const usage = "usage: deno task plots DIR [--width N] [--theme default|paper]";
    const none = await plots([], dir);
    assert.equal(none.code, 2);
    assert.equal(none.stderr, `error: missing results directory; ${usage}\n`);
    const flag = await plots([dir, "--watch"], dir);
    assert.equal(flag.stderr, `error: unknown flag --watch; ${usage}\n`);
    const narrow = await plots([dir, "--width", "50"], dir);
    assert.equal(narrow.code, 2);
    assert.equal(narrow.stderr, 'error: --width must be an integer from 100 to 10000, got "50"\n');
    const theme = await plots([dir, "--theme", "dark"], dir);
    assert.equal(theme.stderr, 'error: unknown --theme "dark"; expected one of default, paper\n');
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
