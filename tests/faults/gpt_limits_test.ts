/**
 * Fault injection on `deno task gpt` sizes (issue 13, item 6): models and checkpoints too
 * large for the adapter are one line before anything is allocated; a diverged run saves no
 * checkpoint over a good one; an evaluation whose loss is not finite fails.
 *
 * @module
 */
import assert from "node:assert/strict";
import { readSafetensors, writeSafetensors } from "../../lib/data/safetensors.ts";
import { errorLines, runTask } from "./helpers.ts";

const TINY = ["--layers", "1", "--heads", "1", "--width", "16", "--context", "16", "--batch", "4"];

Deno.test("a model too large for the adapter is one line before any allocation", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["--width", "3072", "--heads", "12", "--layers", "1"],
      /the parameter slab \(114,275,328 parameters\) needs a 457\.1 MB buffer; the adapter binds at most [\d.]+ [MG]B \(maxStorageBufferBindingSize\): use fewer layers or a smaller width/,
    ],
    [
      ["--width", "8192", "--layers", "1"],
      /the parameter slab \(808,050,688 parameters\) needs a 3\.2 GB buffer/,
    ],
  ];
  for (const [size, pattern] of cases) {
    // Without XDG_RUNTIME_DIR (a container, cron): the GPU probe must not add noise lines.
    const result = await runTask("gpt", ["train", ...size, "--corpus", "sotu", "--steps", "1"], {
      writeDir: "/tmp",
      timeoutMs: 60_000,
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: Deno.env.get("HOME") ?? "/tmp",
        DENO_WEBGPU_BACKEND: Deno.env.get("DENO_WEBGPU_BACKEND") ?? "vulkan",
      },
    });
    assert.equal(result.signal, null, `${size}: killed by the harness (it kept allocating)`);
    assert.equal(result.code, 2, result.stderr);
    const lines = errorLines(result.stderr);
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0], pattern);
  }
});

Deno.test("checkpoints: a config the file cannot hold, a diverged run, non-finite weights", async () => {
  const dir = await Deno.makeTempDir({ prefix: "faults-gpt-" });
  try {
    const text = `${dir}/text.txt`;
    await Deno.writeTextFile(
      text,
      Array.from({ length: 40 }, (_, i) => `Line ${i}: the quick brown fox.`).join("\n\n"),
    );
    const good = `${dir}/good.safetensors`;
    const train = (lr: string, save: string) =>
      runTask("gpt", [
        "train",
        ...TINY,
        "--steps",
        "6",
        "--eval-windows",
        "4",
        "--lr",
        lr,
        "--text",
        text,
        "--save",
        save,
        "--json",
      ], { writeDir: dir });
    const trained = await train("3e-3", good);
    assert.equal(trained.code, 0, trained.stderr);
    const before = await Deno.readFile(good);

    const diverged = await train("1e9", good);
    assert.equal(diverged.code, 1);
    assert.match(
      errorLines(diverged.stderr).at(-1)!,
      /^error: training diverged: .*; no checkpoint written \(.*good\.safetensors is left as it was\)$/,
    );
    assert.equal(JSON.parse(diverged.stdout).checkpoint, null);
    assert.deepEqual(await Deno.readFile(good), before, "the good checkpoint is untouched");

    const { tensors, metadata } = await readSafetensors(good);
    const config = JSON.parse(metadata.config);
    const toWrite = Object.fromEntries(
      [...tensors].map((
        [name, t],
      ) => [name, { shape: t.shape, data: new Float32Array(t.bytes.slice().buffer) }]),
    );
    const huge = `${dir}/huge.safetensors`;
    await writeSafetensors(huge, toWrite, {
      ...metadata,
      config: JSON.stringify({ ...config, n_layer: 1e9 }),
    });
    const started = performance.now();
    const hugeEval = await runTask("gpt", ["eval", huge, "--text", text], {
      writeDir: dir,
      timeoutMs: 60_000,
    });
    assert.equal(hugeEval.signal, null, "killed by the harness (it kept allocating)");
    assert.equal(hugeEval.code, 1);
    assert.deepEqual(errorLines(hugeEval.stderr), [
      `error: checkpoint ${huge}: its config says n_layer 1000000000 (12000000005 tensors), but the file holds ${tensors.size}`,
    ]);
    assert.ok(performance.now() - started < 30_000);

    const nan = `${dir}/nan.safetensors`;
    const poisoned = { ...toWrite };
    const head = poisoned["transformer.ln_f.weight"].data as Float32Array;
    head[0] = NaN;
    await writeSafetensors(nan, poisoned, metadata);
    const nanEval = await runTask("gpt", ["eval", nan, "--text", text, "--json"], {
      writeDir: dir,
    });
    assert.equal(nanEval.code, 1);
    assert.equal(nanEval.stdout, "", "no loss printed");
    assert.match(
      errorLines(nanEval.stderr)[0],
      /^error: checkpoint .*nan\.safetensors: parameter "transformer\.ln_f\.weight"\[0\] is NaN; its weights are not finite/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
