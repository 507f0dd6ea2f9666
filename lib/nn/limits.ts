/**
 * Size checks of a GPT before anything is allocated: the largest buffer a forward and backward
 * pass binds against the adapter's `maxStorageBufferBindingSize` and `maxBufferSize`, the
 * matmul grid against `maxComputeWorkgroupsPerDimension`, the whole training state against a
 * memory budget, and a checkpoint's config against the tensors its file holds. Pure arithmetic
 * on the config: each problem is one line naming the size, the limit and what to change.
 *
 * The parameters of R runs live in slabs (values, gradients and AdamW's two moments, each one
 * buffer of R × the parameter count); activations are one buffer per tensor of R·B·T rows;
 * attention is flash-style, so no T×T scores are stored.
 *
 * @module
 */
import { gptParamCounts } from "../scaling/flops.ts";
import { type GptConfig, gptFlopsConfig } from "./config.ts";

/** The adapter limits the checks use (numeric `GPUSupportedLimits` fields). */
export interface GptAdapterLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  maxComputeWorkgroupsPerDimension: number;
}

/** Bytes of a float32. */
const F32 = 4;
/** Rows per matmul workgroup of the smallest tile the kernels use. */
const MATMUL_TILE_ROWS = 16;

/** What training (or evaluating) a config at a batch size needs, in bytes. */
export interface GptMemoryEstimate {
  /** Parameters of one run (a tied head counted once). */
  parameters: number;
  /** Parameters and gradients, and in training AdamW's first and second moments, of all runs. */
  stateBytes: number;
  /** Activations kept for backward (or live during evaluation). */
  activationBytes: number;
  totalBytes: number;
  /** The largest single buffer, what it holds, and what makes it smaller. */
  largestBuffer: { bytes: number; what: string; remedy: string };
}

/**
 * The memory R runs of a GPT (`runs`, default 1) need for a step on `batch` windows of
 * `config.blockSize` tokens each: parameter state, activations, and the largest single buffer.
 *
 * @example
 * ```ts
 * import { gptConfig } from "./config.ts";
 * import { gptMemoryEstimate } from "./limits.ts";
 * const config = gptConfig({ nLayer: 2, nHead: 2, nEmbd: 64, blockSize: 64, vocabSize: 256 });
 * gptMemoryEstimate(config, 16, { training: true }).largestBuffer.what; // "logits (16×64 rows × 256 vocabulary)"
 * gptMemoryEstimate(config, 16, { training: true, runs: 8 }).stateBytes; // 8 runs × 4 slabs
 * ```
 */
export function gptMemoryEstimate(
  config: GptConfig,
  batch: number,
  options: { training: boolean; runs?: number },
): GptMemoryEstimate {
  const c = config.nEmbd;
  const runs = options.runs ?? 1;
  const rows = runs * batch * config.blockSize;
  const parameters = gptParamCounts(gptFlopsConfig(config)).total;
  const stateBytes = runs * parameters * F32 * (options.training ? 4 : 2);
  // Per block: LN outputs, qkv, attention output, projections, residuals, MLP hidden before
  // and after its nonlinearity: about 16 rows of width C; plus embeddings and the head.
  const perLayer = 16 * rows * c;
  const activations = options.training
    ? config.nLayer * perLayer + 4 * rows * c + 3 * rows * config.vocabSize
    : 2 * perLayer + 4 * rows * c + 2 * rows * config.vocabSize;
  const activationBytes = activations * F32;
  const rowsText = `${runs > 1 ? `${runs}×` : ""}${batch}×${config.blockSize} rows`;
  const fewerRuns = runs > 1 ? ", or fewer runs together" : "";
  const candidates: [number, string, string][] = [
    [
      runs * parameters,
      `the parameter slab (${runs > 1 ? `${runs} runs × ` : ""}${
        parameters.toLocaleString("en-US")
      } parameters)`,
      `use fewer layers or a smaller width${fewerRuns}`,
    ],
    [
      rows * config.vocabSize,
      `logits (${rowsText} × ${config.vocabSize} vocabulary)`,
      `use a smaller vocabulary, batch or context${fewerRuns}`,
    ],
    [
      rows * 4 * c,
      `the MLP hidden activations (${rowsText} × ${4 * c})`,
      `use a smaller width, batch or context${fewerRuns}`,
    ],
  ];
  const [elements, what, remedy] = candidates.reduce((a, b) => (b[0] > a[0] ? b : a));
  return {
    parameters,
    stateBytes,
    activationBytes,
    totalBytes: stateBytes + activationBytes,
    largestBuffer: { bytes: elements * F32, what, remedy },
  };
}

/**
 * Every reason `config` at `batch` (as `runs` runs together, default 1) cannot run on an
 * adapter with `limits` (and, when given, within `memoryBytes`), one line each; empty when it
 * fits.
 *
 * @example
 * ```ts
 * import { gptConfig } from "./config.ts";
 * import { gptSizeProblems } from "./limits.ts";
 * const config = gptConfig({ nLayer: 1, nHead: 12, nEmbd: 3072, blockSize: 64, vocabSize: 256 });
 * gptSizeProblems(config, 16, {
 *   limits: { maxBufferSize: 2 ** 31 - 1, maxStorageBufferBindingSize: 2 ** 27, maxComputeWorkgroupsPerDimension: 65535 },
 *   training: true,
 * }); // ["the parameter slab (114,275,328 parameters) needs a 457.1 MB buffer; the adapter binds at most 134.2 MB (...)"]
 * ```
 */
export function gptSizeProblems(
  config: GptConfig,
  batch: number,
  options: { limits: GptAdapterLimits; training: boolean; runs?: number; memoryBytes?: number },
): string[] {
  const { limits } = options;
  const estimate = gptMemoryEstimate(config, batch, options);
  const problems: string[] = [];
  const { bytes, what, remedy } = estimate.largestBuffer;
  const binding = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  if (bytes > binding) {
    problems.push(
      `${what} needs a ${megabytes(bytes)} buffer; the adapter binds at most ${
        megabytes(binding)
      } (maxStorageBufferBindingSize): ${remedy}`,
    );
  }
  const grid = Math.ceil((batch * config.blockSize) / MATMUL_TILE_ROWS);
  if (grid > limits.maxComputeWorkgroupsPerDimension) {
    problems.push(
      `${batch}×${config.blockSize} rows need ${grid} matmul workgroups in one dimension; ` +
        `the adapter allows ${limits.maxComputeWorkgroupsPerDimension} ` +
        `(maxComputeWorkgroupsPerDimension): use a smaller batch or context`,
    );
  }
  if (options.memoryBytes !== undefined && estimate.totalBytes > options.memoryBytes) {
    problems.push(
      `${options.training ? "training" : "evaluating"} ${config.nLayer}×${config.nEmbd} ` +
        `(${
          estimate.parameters.toLocaleString("en-US")
        } parameters) at batch ${batch} needs about ${megabytes(estimate.totalBytes)} (${
          megabytes(estimate.stateBytes)
        } of parameter state, ${megabytes(estimate.activationBytes)} of activations); ${
          megabytes(options.memoryBytes)
        } are available: use a smaller model or batch${
          (options.runs ?? 1) > 1 ? ", or fewer runs together" : ""
        }`,
    );
  }
  return problems;
}

/**
 * How many tensors a checkpoint of `config` holds (a tied head stored a second time), computed
 * without enumerating them, so that an absurd config (`n_layer: 1e9`) is caught before any
 * list is built.
 *
 * @example
 * ```ts
 * import { gptConfig } from "./config.ts";
 * import { checkpointTensorCount } from "./limits.ts";
 * checkpointTensorCount(gptConfig({ nLayer: 2, nHead: 2, nEmbd: 64, blockSize: 64, vocabSize: 256 })); // 29
 * ```
 */
export function checkpointTensorCount(config: GptConfig): number {
  const perNorm = config.bias ? 2 : 1;
  const perLinear = config.bias ? 2 : 1;
  const perLayer = 2 * perNorm + 4 * perLinear;
  const embeddings = 1 + (config.positions === "learned" ? 1 : 0);
  return embeddings + config.nLayer * perLayer + perNorm + 1;
}

/**
 * Why a checkpoint whose `__metadata__.config` is `config` cannot be the file's contents
 * (`tensors` of them), or null: checked before the expected tensors are listed or allocated.
 *
 * @example
 * ```ts
 * import { gptConfig } from "./config.ts";
 * import { checkpointConfigProblem } from "./limits.ts";
 * const config = gptConfig({ nLayer: 1e9, nHead: 1, nEmbd: 8, blockSize: 8, vocabSize: 256 });
 * checkpointConfigProblem(config, 16);
 * // "its config says n_layer 1000000000 (12000000005 tensors), but the file holds 16"
 * ```
 */
export function checkpointConfigProblem(config: GptConfig, tensors: number): string | null {
  const expected = checkpointTensorCount(config);
  // A tied head's second copy may be left out of the file.
  if (tensors === expected || (config.tiedHead && tensors === expected - 1)) return null;
  return `its config says n_layer ${config.nLayer} (${expected} tensors), but the file holds ${tensors}`;
}

function megabytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}
