import assert from "node:assert/strict";

const SITE = new URL("../../lib/cli/site.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

async function site(args: string[], write: string) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-read", `--allow-write=${write}`, SITE, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test("deno task site: builds index.html and a page per experiment, replaces its own site", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp" });
  try {
    const first = await site(["--out", `${dir}/site`], dir);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^gpt-model-size\.html: 6 trials, 2 figures$/m);
    assert.match(first.stdout, new RegExp(`^site: ${dir}/site/index\\.html$`, "m"));
    for (
      const file of [
        "index.html",
        "assets/vega-embed.min.js",
        "assets/LICENSES.txt",
        "data/index.js",
      ]
    ) {
      await Deno.stat(`${dir}/site/${file}`);
    }
    const again = await site(["--out", `${dir}/site`], dir);
    assert.equal(again.code, 0, again.stderr);
    await assert.rejects(() => Deno.stat(`${dir}/site.building`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task site: bad flags, unwritable and foreign directories are one-line errors", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp" });
  try {
    const usage = "usage: deno task site [--out DIR] [--results DIR]";
    assert.deepEqual(await site(["--bogus"], dir), {
      code: 2,
      stdout: "",
      stderr: `error: unknown flag --bogus; ${usage}\n`,
    });
    const outside = await site(["--out", "/tmp/elsewhere-site"], dir);
    assert.equal(outside.code, 2);
    assert.equal(
      outside.stderr,
      "error: cannot write /tmp/elsewhere-site: deno task site may write only under out/ " +
        "(give --out out/NAME, or run lib/cli/site.ts with --allow-write=/tmp)\n",
    );
    await Deno.mkdir(`${dir}/mine`);
    await Deno.writeTextFile(`${dir}/mine/notes.txt`, "keep me");
    const foreign = await site(["--out", `${dir}/mine`], dir);
    assert.equal(foreign.code, 1);
    assert.equal(
      foreign.stderr,
      `error: ${dir}/mine exists and is not a results site; give --out an empty or new directory\n`,
    );
    assert.equal(await Deno.readTextFile(`${dir}/mine/notes.txt`), "keep me");
    const missing = await site(["--results", `${dir}/none`, "--out", `${dir}/s`], dir);
    assert.equal(missing.stderr, `error: results directory ${dir}/none does not exist\n`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
