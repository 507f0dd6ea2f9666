import assert from "node:assert/strict";
import { gpu } from "../helpers/check.ts";
import {
  encodeSafetensors,
  readSafetensors,
  writeSafetensors,
} from "../../lib/data/safetensors.ts";
import { fixedWindowBatches } from "../../lib/data/text/windows.ts";
import {
  checkpointShapes,
  Gpt,
  gptConfig,
  readGptCheckpoint,
  writeGptCheckpoint,
} from "../../lib/nn/mod.ts";
import { evaluateGptLoss } from "../../lib/train/evaluate.ts";

const CONFIG = { nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 8, vocabSize: 256 } as const;
const TEXT = new TextEncoder().encode(
  "It was the best of times, it was the worst of times, it was the age of wisdom.",
);

async function tempFile(): Promise<string> {
  await Deno.mkdir("/tmp", { recursive: true });
  return await Deno.makeTempFile({ dir: "/tmp", suffix: ".safetensors" });
}

Deno.test("checkpoint save → load gives bitwise the same parameters and eval loss", async () => {
  await gpu();
  for (const extra of [{}, { tiedHead: false, positions: "sinusoidal" as const, bias: false }]) {
    const config = gptConfig({ ...CONFIG, ...extra });
    const model = Gpt.create(config, 7);
    const path = await tempFile();
    try {
      await writeGptCheckpoint(path, {
        config,
        params: await model.values(),
        metadata: { tokenizer: "byte" },
      });
      const loaded = await readGptCheckpoint(path);
      assert.deepEqual(loaded.config, config);
      assert.equal(loaded.metadata.tokenizer, "byte");
      const batches = fixedWindowBatches(TEXT, { context: config.blockSize, batch: 4 });
      const copy = Gpt.fromValues(loaded.config, loaded.params);
      try {
        const { losses: [before] } = await evaluateGptLoss(model, batches);
        const { losses: [after], tokens } = await evaluateGptLoss(copy, batches);
        assert.equal(after, before);
        assert.equal(tokens, Math.floor((TEXT.length - 1) / 8) * 8);
      } finally {
        copy.dispose();
      }
    } finally {
      model.dispose();
      await Deno.remove(path);
    }
  }
});

Deno.test("checkpoints use nanoGPT names, [out, in] layout and a config JSON", async () => {
  await gpu();
  const config = gptConfig(CONFIG);
  const model = Gpt.create(config, 1);
  const path = await tempFile();
  try {
    await writeGptCheckpoint(path, { config, params: await model.values(), metadata: {} });
    const { tensors, metadata } = await readSafetensors(path);
    const json = JSON.parse(metadata.config);
    assert.deepEqual(
      [json.n_layer, json.n_head, json.n_embd, json.block_size, json.vocab_size],
      [2, 2, 16, 8, 256],
    );
    assert.deepEqual(tensors.get("transformer.h.1.attn.c_attn.weight")!.shape, [48, 16]);
    assert.deepEqual(tensors.get("transformer.h.0.mlp.c_proj.weight")!.shape, [16, 64]);
    assert.deepEqual(tensors.get("lm_head.weight")!.shape, [256, 16]);
    assert.deepEqual(tensors.get("transformer.wpe.weight")!.shape, [8, 16]);
    for (const t of tensors.values()) assert.equal(t.dtype, "F32");
    assert.deepEqual(
      new Set(tensors.keys()),
      new Set(Object.keys(checkpointShapes(config))),
    );
  } finally {
    model.dispose();
    await Deno.remove(path);
  }
});

Deno.test("loading names the wrong shape, missing tensors, bad config and untied heads", async () => {
  const config = gptConfig(CONFIG);
  const shapes = checkpointShapes(config);
  const tensors = () =>
    Object.fromEntries(
      Object.entries(shapes).map((
        [name, shape],
      ) => [name, { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) }]),
    );
  const meta = {
    config: JSON.stringify({ n_layer: 2, n_head: 2, n_embd: 16, block_size: 8, vocab_size: 256 }),
  };
  const path = await tempFile();
  const expectError = async (pattern: RegExp) => {
    const error = await readGptCheckpoint(path).then(() => null, (e: Error) => e);
    assert.ok(error, `expected an error matching ${pattern}`);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes("\n"), `one line: ${error.message}`);
  };
  try {
    const wrong = tensors();
    wrong["transformer.h.0.attn.c_proj.weight"] = { shape: [16, 17], data: new Float32Array(272) };
    await writeSafetensors(path, wrong, meta);
    await expectError(
      /"transformer\.h\.0\.attn\.c_proj\.weight" has shape \[16, 17\] but \[16, 16\]/,
    );

    const missing = tensors();
    delete missing["transformer.ln_f.bias"];
    await writeSafetensors(path, missing, meta);
    await expectError(/missing tensor "transformer\.ln_f\.bias"/);

    await writeSafetensors(path, tensors(), {});
    await expectError(/no "config" in __metadata__/);

    await writeSafetensors(path, tensors(), { config: JSON.stringify({ n_layer: 2 }) });
    await expectError(/bad __metadata__\.config: GPT config JSON lacks "n_head"/);

    const untied = tensors();
    untied["lm_head.weight"] = { shape: [256, 16], data: new Float32Array(4096).fill(1) };
    await writeSafetensors(path, untied, meta);
    await expectError(/tied_head but "lm_head\.weight" differs/);

    await Deno.writeFile(path, encodeSafetensors({}, meta).subarray(0, 5));
    await expectError(/truncated file/);
  } finally {
    await Deno.remove(path);
  }
});
