/**
 * Neural-network models: the GPT (nanoGPT's architecture with ablation switches) on WebGPU, its
 * parameter layout with nanoGPT names, safetensors checkpoints, and a float64 reference model.
 *
 * @example
 * ```ts
 * import { acquireGpu } from "../gpu/mod.ts";
 * import { Gpt, gptConfig, writeGptCheckpoint } from "./mod.ts";
 * await acquireGpu();
 * const config = gptConfig({ nLayer: 2, nHead: 2, nEmbd: 64, blockSize: 64, vocabSize: 256 });
 * const model = Gpt.create(config, 0);
 * await writeGptCheckpoint("out/init.safetensors", { config, params: await model.values(), metadata: {} });
 * ```
 *
 * @module
 */
export {
  type Activation,
  fromNanoGptJson,
  GPT_DEFAULTS,
  type GptConfig,
  gptConfig,
  type GptConfigInput,
  gptFlopsConfig,
  headSize,
  type NanoGptConfigJson,
  type NormPlacement,
  type PositionEncoding,
  toNanoGptJson,
} from "./config.ts";
export {
  GPT_INIT_STD,
  type GptCounts,
  gptCounts,
  gptInitialParameters,
  type GptParameterInit,
  gptParameterLayout,
  type GptParameterSpec,
  sinusoidalPositions,
} from "./parameters.ts";
export { type ForwardOptions, Gpt, gptStepDispatches } from "./gpt.ts";
export {
  checkpointShapes,
  type GptCheckpoint,
  readGptCheckpoint,
  writeGptCheckpoint,
} from "./checkpoint.ts";
