/**
 * `deno task gpt train ...` trains a byte-level GPT on WebGPU and optionally saves a
 * safetensors checkpoint; `deno task gpt eval CKPT --text FILE [--json]` prints a checkpoint's
 * mean cross-entropy over a text file's byte tokens, in consecutive non-overlapping windows of
 * block_size (inputs t[s, s+T), targets t[s+1, s+T+1), s = 0, T, 2T, … while s+T+1 ≤ n).
 *
 * Sizes are checked before anything is allocated: the model's largest buffer against the
 * adapter's binding limits, the matmul grid against its workgroup limit, and (on a CPU
 * adapter, whose memory is the host's) the whole training state against the memory available;
 * a checkpoint's config against the tensors its file holds. A run that diverges saves no
 * checkpoint (an earlier good one stays), and an evaluation whose loss is not finite fails.
 *
 * Exit status: 0 on success, 2 for bad usage or a model too large for the adapter, 1 for any
 * other error (one `error:` line).
 *
 * @module
 */
import { fixedWindowBatches } from "../data/text/windows.ts";
import { acquireGpu } from "../gpu/device.ts";
import type { Gpu } from "../gpu/runtime.ts";
import { readGptCheckpoint, writeGptCheckpoint } from "../nn/checkpoint.ts";
import { type GptConfig, gptConfig } from "../nn/config.ts";
import { Gpt } from "../nn/gpt.ts";
import { gptSizeProblems } from "../nn/limits.ts";
import { evaluateGptLoss } from "../train/evaluate.ts";
import { loadTextData, validationBatches } from "../train/text_data.ts";
import { trainGpt } from "../train/trainer.ts";
import { UsageError } from "./args.ts";
import { availableHostMemory, prepareGpuEnvironment } from "./gpu_environment.ts";
import { GPT_USAGE, type GptEvalArgs, type GptTrainArgs, parseGptArgs } from "./gpt_args.ts";
import { prepareOutput } from "./sandbox.ts";

/** Evaluation windows per batch. */
const EVAL_BATCH = 32;

/**
 * Runs `deno task gpt` with `args`; returns the exit status.
 *
 * @example
 * ```ts
 * await gptCommand(["eval", "out/tiny.safetensors", "--text", "README.md", "--json"]);
 * ```
 */
export async function gptCommand(args: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseGptArgs(args);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return 2;
  }
  if (parsed.command === "help") {
    console.log(GPT_USAGE);
    return 0;
  }
  try {
    if (parsed.command === "eval") await evalCommand(parsed);
    else await trainCommand(parsed);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`error: ${message.split("\n")[0]}`);
    return error instanceof UsageError ? 2 : 1;
  }
}

async function evalCommand(args: GptEvalArgs): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(args.text);
  } catch (error) {
    throw new Error(
      error instanceof Deno.errors.NotFound
        ? `${args.text}: no such text file`
        : `${args.text}: cannot read (${(error as Error).message})`,
    );
  }
  const { config, params } = await readGptCheckpoint(args.checkpoint);
  for (const [name, values] of params) {
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new Error(
        `checkpoint ${args.checkpoint}: parameter "${name}"[${bad}] is ${values[bad]}; ` +
          `its weights are not finite (saved from a diverged run?)`,
      );
    }
  }
  if (config.vocabSize < 256) {
    throw new Error(
      `checkpoint ${args.checkpoint} has vocab_size ${config.vocabSize}; byte tokens need at least 256`,
    );
  }
  if (bytes.length < config.blockSize + 1) {
    throw new Error(
      `${args.text} has ${bytes.length} bytes; eval needs at least block_size + 1 = ${
        config.blockSize + 1
      }`,
    );
  }
  checkSizes(config, EVAL_BATCH, false, await readyGpu());
  const model = Gpt.fromValues(config, params);
  try {
    const batches = fixedWindowBatches(bytes, { context: config.blockSize, batch: EVAL_BATCH });
    const { losses: [loss], tokens } = await evaluateGptLoss(model, batches);
    if (!Number.isFinite(loss)) {
      throw new Error(`evaluation of ${args.checkpoint} gave loss ${loss} over ${tokens} tokens`);
    }
    if (args.json) console.log(JSON.stringify({ loss, tokens }));
    else {
      console.log(
        `loss ${loss.toFixed(4)} nats/token (${
          (loss / Math.LN2).toFixed(4)
        } bits/byte) over ${tokens} predicted tokens of ${args.text}`,
      );
    }
  } finally {
    model.dispose();
  }
}

/** The GPU, with the environment fixed first (no XDG_RUNTIME_DIR noise). */
function readyGpu(): Promise<Gpu> {
  prepareGpuEnvironment();
  return acquireGpu();
}

/**
 * Refuses (a {@link UsageError}, one line per problem joined) a config the adapter cannot hold,
 * before any model or data buffer exists.
 */
function checkSizes(config: GptConfig, batch: number, training: boolean, gpu: Gpu): void {
  const limits = gpu.device.limits;
  const problems = gptSizeProblems(config, batch, {
    training,
    limits: {
      maxBufferSize: limits.maxBufferSize,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
    },
    // A CPU adapter's buffers live in host memory; a GPU's memory size is not exposed.
    memoryBytes: gpu.isCpu ? availableHostMemory() : undefined,
  });
  if (problems.length > 0) throw new UsageError(problems.join("; "));
}

async function trainCommand(args: GptTrainArgs): Promise<void> {
  if (args.save) prepareOutput(args.save, { flag: "--save", task: "gpt", kind: "file" });
  const config = gptConfig({
    nLayer: args.layers,
    nHead: args.heads,
    nEmbd: args.width,
    blockSize: args.context,
    vocabSize: 256,
  });
  const gpu = await readyGpu();
  checkSizes(config, args.batch, true, gpu);
  checkSizes(config, EVAL_BATCH, false, gpu);
  const data = await loadTextData({
    source: args.text !== undefined ? { file: args.text } : { corpus: args.corpus! },
    trainTokens: args.tokens,
    dataSeed: args.seed,
  });
  const log = args.json ? console.error : console.log;
  log(
    `training ${config.nLayer}x${config.nEmbd} GPT (${config.nHead} heads, context ${config.blockSize}) ` +
      `on ${data.description}: ${data.train.length} train tokens, ${data.validation.length} validation tokens; ${gpu.adapterName}`,
  );
  const { results: [result], model } = await trainGpt({
    config,
    bytesPerToken: data.bytesPerToken,
    runs: [{
      train: data.train,
      validation: validationBatches(data.validation, {
        context: config.blockSize,
        batch: EVAL_BATCH,
        windows: args.evalWindows,
      }),
      steps: args.steps,
      batch: args.batch,
      lr: args.lr,
      seed: args.seed,
      onLog: (point) =>
        log(
          `step ${point.step}/${args.steps}  train ${point.trainLoss.toFixed(4)}` +
            (point.valLoss !== undefined ? `  val ${point.valLoss.toFixed(4)}` : "") +
            `  lr ${point.lr.toExponential(2)}  ${(point.tokens / point.seconds).toFixed(0)} tok/s`,
        ),
    }],
  });
  try {
    if (args.save && !result.diverged) {
      await writeGptCheckpoint(args.save, {
        config,
        params: await model.values(),
        metadata: { tokenizer: "byte", steps: String(result.steps), seed: String(args.seed) },
      });
    }
    const summary = {
      steps: result.steps,
      tokens: result.tokens,
      train_loss: result.trainLoss,
      val_loss: result.valLoss,
      val_bits_per_byte: result.valBitsPerByte,
      params: result.params.total,
      params_non_embedding: result.params.nonEmbedding,
      flops: result.flops.exact,
      tokens_per_second: result.tokensPerSecond,
      flops_per_second: result.flopsPerSecond,
      diverged: result.diverged,
      checkpoint: result.diverged ? null : args.save ?? null,
      adapter: gpu.adapterName,
    };
    if (args.json) console.log(JSON.stringify(summary));
    else {
      console.log(
        `done: val ${result.valLoss.toFixed(4)} nats/token = ${
          result.valBitsPerByte.toFixed(4)
        } bits/byte; ${result.tokensPerSecond.toFixed(0)} tokens/s, ${
          (result.flopsPerSecond / 1e9).toFixed(2)
        } GFLOP/s` + (args.save && !result.diverged ? `; saved ${args.save}` : ""),
      );
    }
    if (result.diverged) {
      throw new Error(
        `training diverged: ${result.diverged}` +
          (args.save ? `; no checkpoint written (${args.save} is left as it was)` : ""),
      );
    }
  } finally {
    model.dispose();
  }
}

if (import.meta.main) Deno.exit(await gptCommand(Deno.args));
