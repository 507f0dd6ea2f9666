/**
 * Flags of `deno task gpt train|eval`, parsed (node:util `parseArgs` through the shared
 * wrapper) and checked; every mistake is a {@link UsageError} with a one-line message.
 *
 * @module
 */
import { CORPUS_NAMES } from "../data/text/corpora.ts";
import { choiceFlag, integerFlag, numberFlag, parseCommandLine, UsageError } from "./args.ts";

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
  --save CKPT       write a safetensors checkpoint (under results/ or out/); not written when
                    training diverges
  sizes are checked against the adapter's limits and memory before anything is allocated
  --json            print one JSON document of the results
eval: mean cross-entropy (nats/token) of a checkpoint over the byte tokens of FILE, in
  consecutive non-overlapping windows of block_size; --json prints { "loss", "tokens" }`;

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

const EVAL_USAGE = "usage: deno task gpt eval CKPT --text FILE [--json]";

/**
 * Parses `deno task gpt` arguments; throws a one-line {@link UsageError} on bad input.
 *
 * @example
 * ```ts
 * parseGptArgs(["eval", "out/m.safetensors", "--text", "a.txt", "--json"]);
 * // { command: "eval", checkpoint: "out/m.safetensors", text: "a.txt", json: true }
 * ```
 */
export function parseGptArgs(args: readonly string[]): GptArgs {
  if (args.length === 0) {
    throw new UsageError("missing command: expected `train` or `eval` (see --help)");
  }
  if (args.includes("--help") || args.includes("-h")) return { command: "help" };
  const [command, ...rest] = args;
  if (command === "eval") return parseEval(rest);
  if (command === "train") return parseTrain(rest);
  throw new UsageError(`unknown command "${command}": expected \`train\` or \`eval\``);
}

function parseEval(args: readonly string[]): GptEvalArgs {
  const { values, positionals } = parseCommandLine(args, {
    options: { text: { type: "string" }, json: { type: "boolean" } },
    usage: EVAL_USAGE,
    hint: " for eval (expected --text FILE, --json)",
    positionals: { max: Infinity },
  });
  if (positionals.length !== 1) {
    throw new UsageError(
      `eval takes one checkpoint path, got ${positionals.length}: ${EVAL_USAGE}`,
    );
  }
  if (values.text === undefined) throw new UsageError("eval needs --text FILE");
  return { command: "eval", checkpoint: positionals[0], text: values.text, json: !!values.json };
}

function parseTrain(args: readonly string[]): GptTrainArgs {
  const { values } = parseCommandLine(args, {
    options: {
      layers: { type: "string" },
      heads: { type: "string" },
      width: { type: "string" },
      context: { type: "string" },
      batch: { type: "string" },
      steps: { type: "string" },
      lr: { type: "string" },
      seed: { type: "string" },
      text: { type: "string" },
      corpus: { type: "string" },
      tokens: { type: "string" },
      "eval-windows": { type: "string" },
      save: { type: "string" },
      json: { type: "boolean" },
    },
    usage: GPT_USAGE.split("\n")[0],
    hint: " for train (see deno task gpt --help)",
  });
  const positive = (name: string, fallback?: number) =>
    integerFlag(name, values[name as keyof typeof values] as string | undefined, {
      min: 1,
      fallback,
    });
  const parsed: GptTrainArgs = {
    command: "train",
    layers: positive("layers", 2),
    heads: positive("heads", 2),
    width: positive("width", 64),
    context: positive("context", 64),
    batch: positive("batch", 16),
    steps: positive("steps", 500),
    lr: numberFlag("lr", values.lr, { above: 0, fallback: 3e-3 }),
    seed: integerFlag("seed", values.seed, { min: 0, max: 2 ** 32 - 1, fallback: 0 }),
    text: values.text,
    corpus: values.corpus === undefined
      ? undefined
      : choiceFlag("corpus", values.corpus, CORPUS_NAMES),
    tokens: values.tokens === undefined ? undefined : positive("tokens"),
    evalWindows: positive("eval-windows", 256),
    save: values.save,
    json: values.json === true,
  };
  if ((parsed.text === undefined) === (parsed.corpus === undefined)) {
    throw new UsageError("train needs exactly one of --text FILE or --corpus NAME");
  }
  if (parsed.width % parsed.heads !== 0) {
    throw new UsageError(`--width ${parsed.width} must be divisible by --heads ${parsed.heads}`);
  }
  if (parsed.save !== undefined && !parsed.save.endsWith(".safetensors")) {
    throw new UsageError(`--save ${parsed.save}: the checkpoint name must end in .safetensors`);
  }
  return parsed;
}
