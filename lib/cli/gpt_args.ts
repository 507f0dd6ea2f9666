/**
 * Flags of `deno task gpt train|eval`, parsed and checked; every mistake is a
 * {@link GptUsageError} with a one-line message.
 *
 * @module
 */
import { CORPUS_NAMES } from "../data/text/corpora.ts";

/** Usage text of `deno task gpt`. */
export const GPT_USAGE =
  `usage: deno task gpt train [options] (--text FILE | --corpus NAME) [--save CKPT]
       deno task gpt eval CKPT --text FILE [--json]

train: trains a byte-level GPT (nanoGPT architecture) on WebGPU
  --layers N        transformer blocks (default 2)
  --heads N         attention heads (default 2)
  --width N         residual width n_embd (default 64)
  --context N       context length T = block_size (default 64)
  --batch N         windows per step (default 16)
  --steps N         optimizer steps (default 500)
  --lr X            peak learning rate: warmup, then cosine to 10% (default 3e-3)
  --seed N          seed of initialization and batches (default 0)
  --text FILE       train on a text file (paragraphs are documents)
  --corpus NAME     train on ${CORPUS_NAMES.join(", ")}
  --tokens D        train on D tokens drawn from the training documents (default: all)
  --eval-windows N  held-out windows for validation loss (default 256)
  --save CKPT       write a safetensors checkpoint (under results/ or out/)
  --json            print one JSON document of the results
eval: mean cross-entropy (nats/token) of a checkpoint over the byte tokens of FILE, in
  consecutive non-overlapping windows of block_size; --json prints { "loss", "tokens" }`;

/** A usage mistake (bad flag or value); the CLI prints it and exits with status 2. */
export class GptUsageError extends Error {}

/** Parsed `train` flags. */
export interface GptTrainArgs {
  command: "train";
  layers: number;
  heads: number;
  width: number;
  context: number;
  batch: number;
  steps: number;
  lr: number;
  seed: number;
  text?: string;
  corpus?: string;
  tokens?: number;
  evalWindows: number;
  save?: string;
  json: boolean;
}

/** Parsed `eval` flags. */
export interface GptEvalArgs {
  command: "eval";
  checkpoint: string;
  text: string;
  json: boolean;
}

/** What the command line asks for. */
export type GptArgs = GptTrainArgs | GptEvalArgs | { command: "help" };

const TRAIN_INTEGERS = {
  "--layers": "layers",
  "--heads": "heads",
  "--width": "width",
  "--context": "context",
  "--batch": "batch",
  "--steps": "steps",
  "--tokens": "tokens",
  "--eval-windows": "evalWindows",
} as const;
const TRAIN_STRINGS = { "--text": "text", "--corpus": "corpus", "--save": "save" } as const;

/**
 * Parses `deno task gpt` arguments.
 *
 * @example
 * ```ts
 * parseGptArgs(["eval", "out/m.safetensors", "--text", "a.txt", "--json"]);
 * // { command: "eval", checkpoint: "out/m.safetensors", text: "a.txt", json: true }
 * ```
 */
export function parseGptArgs(args: readonly string[]): GptArgs {
  if (args.length === 0) {
    throw new GptUsageError("missing command: expected `train` or `eval` (see --help)");
  }
  if (args.includes("--help") || args.includes("-h")) return { command: "help" };
  const [command, ...rest] = args;
  const { flags, positional } = splitFlags(rest);
  if (command === "eval") return parseEval(flags, positional);
  if (command === "train") return parseTrain(flags, positional);
  throw new GptUsageError(`unknown command "${command}": expected \`train\` or \`eval\``);
}

function splitFlags(args: readonly string[]) {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg : arg.slice(0, eq);
    if (flags.has(name)) throw new GptUsageError(`${name} given more than once`);
    if (name === "--json") {
      if (eq >= 0) throw new GptUsageError("--json takes no value");
      flags.set(name, true);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || value === "" || (eq < 0 && value.startsWith("--"))) {
      throw new GptUsageError(`${name} needs a value`);
    }
    flags.set(name, value);
  }
  return { flags, positional };
}

function parseEval(flags: Map<string, string | true>, positional: string[]): GptEvalArgs {
  for (const name of flags.keys()) {
    if (name !== "--text" && name !== "--json") {
      throw new GptUsageError(`unknown flag ${name} for eval (expected --text FILE, --json)`);
    }
  }
  if (positional.length !== 1) {
    throw new GptUsageError(
      `eval takes one checkpoint path, got ${positional.length}: usage: deno task gpt eval CKPT --text FILE [--json]`,
    );
  }
  const text = flags.get("--text");
  if (typeof text !== "string") throw new GptUsageError("eval needs --text FILE");
  return { command: "eval", checkpoint: positional[0], text, json: flags.has("--json") };
}

function parseTrain(flags: Map<string, string | true>, positional: string[]): GptTrainArgs {
  if (positional.length > 0) {
    throw new GptUsageError(`unexpected argument "${positional[0]}" for train`);
  }
  const parsed: GptTrainArgs = {
    command: "train",
    layers: 2,
    heads: 2,
    width: 64,
    context: 64,
    batch: 16,
    steps: 500,
    lr: 3e-3,
    seed: 0,
    evalWindows: 256,
    json: flags.has("--json"),
  };
  for (const [name, value] of flags) {
    if (name === "--json") continue;
    if (typeof value !== "string") throw new GptUsageError(`${name} needs a value`);
    if (name in TRAIN_INTEGERS) {
      const key = TRAIN_INTEGERS[name as keyof typeof TRAIN_INTEGERS];
      const n = Number(value);
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
        throw new GptUsageError(`bad ${name} "${value}": expected a positive integer`);
      }
      parsed[key] = n;
    } else if (name === "--seed") {
      if (!/^\d+$/.test(value) || Number(value) > 0xffffffff) {
        throw new GptUsageError(`bad --seed "${value}": expected an integer in [0, 2^32)`);
      }
      parsed.seed = Number(value);
    } else if (name === "--lr") {
      const lr = Number(value);
      if (!(lr > 0) || !Number.isFinite(lr)) {
        throw new GptUsageError(`bad --lr "${value}": expected a positive number`);
      }
      parsed.lr = lr;
    } else if (name in TRAIN_STRINGS) {
      parsed[TRAIN_STRINGS[name as keyof typeof TRAIN_STRINGS]] = value;
    } else {
      throw new GptUsageError(`unknown flag ${name} for train (see deno task gpt --help)`);
    }
  }
  if ((parsed.text === undefined) === (parsed.corpus === undefined)) {
    throw new GptUsageError("train needs exactly one of --text FILE or --corpus NAME");
  }
  if (parsed.corpus !== undefined && !(CORPUS_NAMES as readonly string[]).includes(parsed.corpus)) {
    throw new GptUsageError(
      `unknown --corpus "${parsed.corpus}": expected one of ${CORPUS_NAMES.join(", ")}`,
    );
  }
  if (parsed.width % parsed.heads !== 0) {
    throw new GptUsageError(
      `--width ${parsed.width} must be divisible by --heads ${parsed.heads}`,
    );
  }
  if (parsed.save !== undefined && !parsed.save.endsWith(".safetensors")) {
    throw new GptUsageError(`--save ${parsed.save}: the checkpoint name must end in .safetensors`);
  }
  return parsed;
}
