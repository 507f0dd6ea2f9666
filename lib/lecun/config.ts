/**
 * Training recipes of the 1989 net: one config object with every factor as its own switch,
 * and the named variants of the modernization ladder (each adds to the one before) with their
 * published results.
 *
 * @module
 */
import { DATA_SEED, MNIST_TRAIN } from "../data/mnist.ts";
import {
  type LecunActivation,
  type LecunLoss,
  type LecunOptimizer,
  lecunShape,
} from "../../kernels/lecun/architecture.ts";

export type { LecunActivation, LecunLoss, LecunOptimizer };

/** Every factor of one training run. */
export interface LecunConfig {
  /** Name of the recipe this config came from (for tables and file names). */
  variant: string;
  /** `mse` (tanh on the output, targets ±1) or `ce` (softmax, no output nonlinearity). */
  loss: LecunLoss;
  optimizer: LecunOptimizer;
  /** Learning rate of the first pass. */
  lr: number;
  /** Learning rate of the last pass; linear in between (equal to `lr` for a constant rate). */
  lrEnd: number;
  /** AdamW's decoupled weight decay (ignored by SGD). */
  weightDecay: number;
  /** Random shift of the input by up to ±1 pixel in x and y (wrapping, as `torch.roll`). */
  augment: boolean;
  activation: LecunActivation;
  /** Dropout probability on H3's input (H2's outputs) during training. */
  dropout: number;
  /** Passes over the train set, in a fixed order, batch size 1. */
  passes: number;
  /** Train digits (7291 in 1989, at most 60000); the test set is always the same 2007. */
  trainSize: number;
  /** Width multiplier of H1/H2/H3 (`4 × width` an integer). */
  width: number;
  /** Seed of the initialization, the augmentation shifts and the dropout masks. */
  seed: number;
  /** Seed of the choice of digits. */
  dataSeed: number;
}

/** A named recipe and what was published for it. */
export interface LecunVariant {
  name: string;
  /** One line on what the step changes. */
  description: string;
  config: Omit<LecunConfig, "variant" | "seed" | "dataSeed">;
  /** Published single-run results (percent), when known. */
  published: {
    reproTrain?: number;
    reproTest?: number;
    reproMisses?: number;
    paperTest?: number;
    paperTrain?: number;
  };
}

const BASELINE: LecunVariant["config"] = {
  loss: "mse",
  optimizer: "sgd",
  lr: 0.03,
  lrEnd: 0.03,
  weightDecay: 0,
  augment: false,
  activation: "tanh",
  dropout: 0,
  passes: 23,
  trainSize: 7291,
  width: 1,
};
const CE = { ...BASELINE, loss: "ce" as const, lr: 0.01, lrEnd: 0.01 };
const ADAMW = {
  ...CE,
  optimizer: "adamw" as const,
  lr: 3e-4,
  lrEnd: 1e-4,
  weightDecay: 0.01,
  passes: 46,
};
const AUGMENT = { ...ADAMW, augment: true, passes: 60 };
const MODERN = { ...AUGMENT, activation: "relu" as const, dropout: 0.25, passes: 80 };

/**
 * The ladder, in order; `all` in the CLI means these five.
 *
 * @example
 * ```ts
 * LADDER.map((v) => v.name); // ["baseline", "ce", "adamw", "augment", "modern"]
 * ```
 */
export const LADDER: readonly LecunVariant[] = [
  {
    name: "baseline",
    description: "LeCun 1989: tanh, MSE, SGD lr 0.03, 23 passes",
    config: BASELINE,
    published: {
      reproTrain: 0.62,
      reproTest: 4.09,
      reproMisses: 82,
      paperTrain: 0.14,
      paperTest: 5.0,
    },
  },
  {
    name: "ce",
    description: "+ softmax cross-entropy, SGD lr 0.01",
    config: CE,
    published: { reproTrain: 0, reproTest: 4.38, reproMisses: 87 },
  },
  {
    name: "adamw",
    description: "+ AdamW lr 3e-4 → 1e-4, 46 passes",
    config: ADAMW,
    published: { reproTrain: 0, reproTest: 3.59, reproMisses: 72 },
  },
  {
    name: "augment",
    description: "+ random ±1 px shifts, 60 passes",
    config: AUGMENT,
    published: { reproTrain: 1.7, reproTest: 2.19, reproMisses: 43 },
  },
  {
    name: "modern",
    description: "+ ReLU and dropout 0.25 on H3's input, 80 passes",
    config: MODERN,
    published: { reproTrain: 1.47, reproTest: 1.59, reproMisses: 32 },
  },
];

/** The data-scaling runs: 50,000 train digits, 100 passes. */
export const DATA_SCALING: readonly LecunVariant[] = [
  {
    name: "baseline-50k",
    description: "baseline recipe on 50,000 train digits, 100 passes",
    config: { ...BASELINE, trainSize: 50000, passes: 100 },
    published: { reproTest: 2.74 },
  },
  {
    name: "modern-50k",
    description: "modern recipe on 50,000 train digits, 100 passes",
    config: { ...MODERN, trainSize: 50000, passes: 100 },
    published: { reproTest: 1.25 },
  },
];

/**
 * Every named variant: the ladder, then the data-scaling runs.
 *
 * @example
 * ```ts
 * VARIANTS.find((v) => v.name === "modern-50k")?.config.trainSize; // 50000
 * ```
 */
export const VARIANTS: readonly LecunVariant[] = [...LADDER, ...DATA_SCALING];

/** Default seed of the first run (the PyTorch reproduction's). */
export const DEFAULT_SEED = 1337;

/**
 * The named variant; throws one line listing the known names otherwise.
 *
 * @example
 * ```ts
 * findVariant("modern").config.passes; // 80
 * ```
 */
export function findVariant(name: string): LecunVariant {
  const found = VARIANTS.find((v) => v.name === name);
  if (!found) {
    throw new Error(
      `unknown variant "${name}" (expected one of: ${VARIANTS.map((v) => v.name).join(", ")})`,
    );
  }
  return found;
}

/**
 * A full config: the variant's recipe with `overrides` applied, validated (one-line errors).
 * Setting `lr` alone also sets `lrEnd` for recipes with a constant rate.
 *
 * @example
 * ```ts
 * const config = lecunConfig("baseline", { seed: 7, passes: 1, trainSize: 1000 });
 * ```
 */
export function lecunConfig(variant: string, overrides: Partial<LecunConfig> = {}): LecunConfig {
  const recipe = findVariant(variant).config;
  const constantRate = recipe.lr === recipe.lrEnd;
  const config: LecunConfig = {
    variant,
    seed: DEFAULT_SEED,
    dataSeed: DATA_SEED,
    ...recipe,
    ...overrides,
  };
  if (overrides.lr !== undefined && overrides.lrEnd === undefined && constantRate) {
    config.lrEnd = overrides.lr;
  }
  validateConfig(config);
  return config;
}

/**
 * Checks every field of a config; throws one line naming the first bad field.
 *
 * @example
 * ```ts
 * validateConfig({ ...lecunConfig("baseline"), passes: 0 }); // throws "passes must be ..."
 * ```
 */
export function validateConfig(config: LecunConfig): void {
  const positiveInt = (name: string, value: number, max = Infinity) => {
    if (!Number.isInteger(value) || value < 1 || value > max) {
      const range = Number.isFinite(max) ? `from 1 to ${max}` : "≥ 1";
      throw new Error(`${name} must be an integer ${range}, got ${value}`);
    }
  };
  const finite = (name: string, value: number, lo: number, hi: number, open = false) => {
    const bad = !Number.isFinite(value) || value < lo || value > hi || (open && value === lo);
    if (bad) {
      throw new Error(`${name} must be a number in ${open ? "(" : "["}${lo}, ${hi}], got ${value}`);
    }
  };
  const oneOf = (name: string, value: string, allowed: string[]) => {
    if (!allowed.includes(value)) {
      throw new Error(`${name} must be one of ${allowed.join("|")}, got "${value}"`);
    }
  };
  oneOf("loss", config.loss, ["mse", "ce"]);
  oneOf("optimizer", config.optimizer, ["sgd", "adamw"]);
  oneOf("activation", config.activation, ["tanh", "relu"]);
  finite("lr", config.lr, 0, 10, true);
  finite("lrEnd", config.lrEnd, 0, 10);
  finite("weightDecay", config.weightDecay, 0, 1);
  finite("dropout", config.dropout, 0, 0.95);
  if (typeof config.augment !== "boolean") throw new Error(`augment must be true or false`);
  positiveInt("passes", config.passes, 100000);
  positiveInt("train size", config.trainSize, MNIST_TRAIN);
  lecunShape(config.width);
  if (!Number.isInteger(config.seed) || config.seed < 0 || config.seed > 0xffffffff) {
    throw new Error(`seed must be an integer in [0, 2^32), got ${config.seed}`);
  }
  if (!Number.isInteger(config.dataSeed) || config.dataSeed < 0 || config.dataSeed > 0xffffffff) {
    throw new Error(`data seed must be an integer in [0, 2^32), got ${config.dataSeed}`);
  }
}

/**
 * Learning rate of pass `pass` (0-based): linear from `lr` to `lrEnd` over the passes, as
 * `(1 - a)·lr + a·lrEnd` with `a = pass / (passes - 1)`.
 *
 * @example
 * ```ts
 * passLearningRate(lecunConfig("adamw"), 45); // 1e-4
 * ```
 */
export function passLearningRate(config: LecunConfig, pass: number): number {
  if (config.passes === 1) return config.lr;
  const a = pass / (config.passes - 1);
  return (1 - a) * config.lr + a * config.lrEnd;
}

/**
 * Initial value of the output bias: -1 with MSE (9 of 10 targets are -1), 0 with
 * cross-entropy, as in the PyTorch reproduction.
 *
 * @example
 * ```ts
 * outputBiasInit("mse"); // -1
 * ```
 */
export function outputBiasInit(loss: LecunLoss): number {
  return loss === "mse" ? -1 : 0;
}
