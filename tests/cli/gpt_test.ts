import assert from "node:assert/strict";
import { UsageError } from "../../lib/cli/args.ts";
import { parseGptArgs } from "../../lib/cli/gpt_args.ts";
import { readGptCheckpoint } from "../../lib/nn/checkpoint.ts";

Deno.test("gpt args: train and eval flags parse, mistakes are one-line usage errors", () => {
  assert.deepEqual(parseGptArgs(["eval", "m.safetensors", "--text", "a.txt", "--json"]), {
    command: "eval",
    checkpoint: "m.safetensors",
    text: "a.txt",
    json: true,
  });
  const train = parseGptArgs([
    "train",
    "--layers=3",
    "--heads",
    "4",
    "--width",
    "64",
    "--lr",
    "1e-3",
    "--corpus",
    "moby-dick",
    "--seed",
    "0",
  ]);
  assert.equal(train.command, "train");
  if (train.command === "train") {
    assert.equal(train.layers, 3);
    assert.equal(train.lr, 1e-3);
    assert.equal(train.corpus, "moby-dick");
    assert.equal(train.context, 64);
  }
  const bad: [string[], RegExp][] = [
    [[], /missing command/],
    [["fit"], /unknown command "fit"/],
    [["train", "--corpus", "sotu", "--steps", "0"], /--steps must be an integer ≥ 1, got "0"/],
    [["train", "--corpus", "sotu", "--lr", "-1"], /--lr must be a number > 0, got "-1"/],
    [
      ["train", "--corpus", "sotu", "--width", "30", "--heads", "4"],
      /--width 30 must be divisible/,
    ],
    [["train"], /exactly one of --text FILE or --corpus NAME/],
    [["train", "--corpus", "wiki"], /unknown --corpus "wiki"/],
    [["train", "--corpus", "sotu", "--bogus", "1"], /unknown flag --bogus for train/],
    [["eval", "m", "--text", "a", "--width", "8"], /unknown flag --width for eval/],
    [["train", "--corpus", "sotu", "--save", "m.bin"], /must end in \.safetensors/],
    [["eval", "m.safetensors"], /eval needs --text FILE/],
    [["eval", "--text", "a.txt"], /eval takes one checkpoint path, got 0/],
    [["eval", "m", "--text"], /--text needs a value/],
  ];
  for (const [args, pattern] of bad) {
    assert.throws(() => parseGptArgs(args), (e: Error) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, pattern);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  }
});

async function gpt(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-read",
      "--allow-write=/tmp",
      "--allow-env",
      "lib/cli/gpt.ts",
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, stdout: text(stdout), stderr: text(stderr) };
}

Deno.test("deno task gpt: train --save, then eval --json of the checkpoint", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp" });
  try {
    const paragraphs = Array.from(
      { length: 12 },
      (_, i) => `Paragraph ${i}: the quick brown fox jumps over the lazy dog.`,
    );
    const text = `${dir}/text.txt`;
    await Deno.writeTextFile(text, paragraphs.join("\n\n"));
    const ckpt = `${dir}/tiny.safetensors`;
    const train = await gpt([
      "train",
      ...["--layers", "1", "--heads", "1", "--width", "16", "--context", "16"],
      ...["--batch", "4", "--steps", "10", "--eval-windows", "4"],
      ...["--text", text, "--save", ckpt, "--json"],
    ]);
    assert.equal(train.code, 0, train.stderr);
    const summary = JSON.parse(train.stdout);
    assert.equal(summary.steps, 10);
    assert.equal(summary.checkpoint, ckpt);
    const { config } = await readGptCheckpoint(ckpt);
    assert.equal(config.blockSize, 16);

    const evaluated = await gpt(["eval", ckpt, "--text", text, "--json"]);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const result = JSON.parse(evaluated.stdout);
    const bytes = new TextEncoder().encode(await Deno.readTextFile(text)).length;
    assert.equal(result.tokens, Math.floor((bytes - 1) / 16) * 16);
    assert.ok(result.loss > 0 && result.loss < Math.log(256) + 0.5, `loss ${result.loss}`);
    assert.deepEqual(Object.keys(result).sort(), ["loss", "tokens"]);

    const missing = await gpt(["eval", `${dir}/none.safetensors`, "--text", text]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: .*none\.safetensors: no such file\n$/);
    const usage = await gpt(["train", "--corpus", "sotu", "--steps", "x"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^error: --steps must be an integer ≥ 1, got "x"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
