/**
 * GPT checkpoints in the safetensors format, F32, with nanoGPT's state-dict names and PyTorch's
 * `nn.Linear` layout ([out, in]), so a file means the same thing to `model.load_state_dict` in
 * nanoGPT. `__metadata__.config` is a JSON string of nanoGPT's config fields (`n_layer`,
 * `n_head`, `n_embd`, `block_size`, `vocab_size`, `bias`, `dropout`) plus this project's
 * architecture switches (`norm`, `activation`, `tied_head`, `positions`).
 *
 * A tied head is stored under both `transformer.wte.weight` and `lm_head.weight` (equal data),
 * as nanoGPT's state dict lists both names.
 *
 * @module
 */
import {
  readSafetensors,
  type StoredTensor,
  tensorToFloat32,
  type TensorToWrite,
  validateTensors,
  writeSafetensors,
} from "../data/safetensors.ts";
import { fromNanoGptJson, type GptConfig, toNanoGptJson } from "./config.ts";
import { checkpointConfigProblem } from "./limits.ts";
import { gptParameterLayout } from "./parameters.ts";

/** A checkpoint's contents on the host: the config, every parameter, and free-form metadata. */
export interface GptCheckpoint {
  config: GptConfig;
  /** Parameter values by nanoGPT name (the layout of {@link gptParameterLayout}). */
  params: Map<string, Float32Array>;
  /** Other `__metadata__` strings (e.g. `tokenizer`, `step`). */
  metadata: Record<string, string>;
}

/** Name of the tied head's second copy. */
const HEAD = "lm_head.weight";
const WTE = "transformer.wte.weight";

/**
 * The tensor names and shapes a checkpoint of `config` holds.
 *
 * @example
 * ```ts
 * checkpointShapes(config)["transformer.wte.weight"]; // [256, 64]
 * ```
 */
export function checkpointShapes(config: GptConfig): Record<string, readonly number[]> {
  const shapes: Record<string, readonly number[]> = {};
  for (const spec of gptParameterLayout(config)) shapes[spec.name] = spec.shape;
  if (config.tiedHead) shapes[HEAD] = [config.vocabSize, config.nEmbd];
  return shapes;
}

/**
 * Writes a checkpoint atomically.
 *
 * @example
 * ```ts
 * await writeGptCheckpoint("out/tiny.safetensors", { config, params, metadata: { tokenizer: "byte" } });
 * ```
 */
export async function writeGptCheckpoint(path: string, checkpoint: GptCheckpoint): Promise<void> {
  const { config, params } = checkpoint;
  const tensors: Record<string, TensorToWrite> = {};
  for (const spec of gptParameterLayout(config)) {
    const data = params.get(spec.name);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (!data || data.length !== size) {
      throw new Error(
        `checkpoint ${path}: parameter "${spec.name}" ${
          data ? `has ${data.length} values` : "is missing"
        }, expected ${size} (shape [${spec.shape.join(", ")}])`,
      );
    }
    tensors[spec.name] = { shape: spec.shape, data };
  }
  if (config.tiedHead) {
    tensors[HEAD] = { shape: [config.vocabSize, config.nEmbd], data: params.get(WTE)! };
  }
  const metadata = { ...checkpoint.metadata, config: JSON.stringify(toNanoGptJson(config)) };
  await writeSafetensors(path, tensors, metadata);
}

/**
 * Reads a checkpoint, checking the config, every tensor's name, shape and dtype (F32; F16, BF16
 * and F64 are converted), and for a tied head that `lm_head.weight` equals the embedding. Each
 * problem is one error line naming the file.
 *
 * @example
 * ```ts
 * const { config, params } = await readGptCheckpoint("out/tiny.safetensors");
 * ```
 */
export async function readGptCheckpoint(path: string): Promise<GptCheckpoint> {
  const { tensors, metadata } = await readSafetensors(path);
  const fail = (message: string) => new Error(`checkpoint ${path}: ${message}`);
  if (metadata.config === undefined) {
    throw fail('no "config" in __metadata__ (expected a JSON string with n_layer, n_head, ...)');
  }
  let config: GptConfig;
  try {
    config = fromNanoGptJson(JSON.parse(metadata.config));
  } catch (error) {
    throw fail(`bad __metadata__.config: ${(error as Error).message}`);
  }
  const sizeProblem = checkpointConfigProblem(config, tensors.size);
  if (sizeProblem) throw fail(sizeProblem);
  const expected = checkpointShapes(config);
  const found = new Map(tensors);
  if (config.tiedHead && !found.has(HEAD) && found.has(WTE)) found.set(HEAD, found.get(WTE)!);
  try {
    validateTensors(found, expected);
  } catch (error) {
    const lines = (error as Error).message.split("\n");
    const more = lines.length > 1 ? ` (and ${lines.length - 1} more problems)` : "";
    throw fail(`${lines[0]}${more}`);
  }
  const params = new Map<string, Float32Array>();
  for (const spec of gptParameterLayout(config)) {
    params.set(spec.name, floatValues(tensors.get(spec.name)!, spec.name, fail));
  }
  if (config.tiedHead && tensors.has(HEAD)) {
    const head = floatValues(tensors.get(HEAD)!, HEAD, fail);
    const wte = params.get(WTE)!;
    if (head.some((v, i) => !Object.is(v, wte[i]))) {
      throw fail(
        `config says tied_head but "${HEAD}" differs from "${WTE}"; set tied_head to false`,
      );
    }
  }
  const { config: _config, ...rest } = metadata;
  return { config, params, metadata: rest };
}

function floatValues(
  tensor: StoredTensor,
  name: string,
  fail: (message: string) => Error,
): Float32Array {
  if (!["F32", "F16", "BF16", "F64"].includes(tensor.dtype)) {
    throw fail(`tensor "${name}" has dtype ${tensor.dtype}, expected F32 (or F16, BF16, F64)`);
  }
  return tensorToFloat32(tensor);
}
