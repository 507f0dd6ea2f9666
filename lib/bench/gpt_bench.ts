/**
 * The GPT suite for `deno task bench`: training steps (forward, backward, gradient clipping,
 * AdamW update) of byte-level nanoGPT-style models as `trainGpt` records them.
 *
 * - `gpt_step`: the model (on a GPU: 6 layers, width 384, 6 heads, context 256, batch
 *   64; on a CPU adapter a shrunken one: 2 layers, width 128, 4 heads, context 64, batch 8) with
 *   tokens/s and achieved FLOP/s (the exact count of `lib/scaling/flops.ts`, 3 × forward).
 * - `gpt_runs`: the sweep-sized shapes the cpu presets train, as R = 1, 8 and 64 runs of one
 *   model (on a GPU also the gpt-model-size gpu preset's smallest model): tokens/s of all runs
 *   together, dispatches per step, and host milliseconds per step (the JavaScript time to record
 *   and submit a step, the device's execution excluded).
 *
 * Beside each single run, the same model and step in PyTorch eager fp32 (TF32 off) measured in
 * the same command when a python with torch is found: CUDA when the adapter is a GPU and CUDA is
 * there, else the CPU with as many threads as there are cores (lavapipe uses them all).
 *
 * @module
 */
import { type GptConfig, gptConfig, gptFlopsConfig } from "../nn/config.ts";
import { Gpt } from "../nn/gpt.ts";
import { Optimizer } from "../optim/optimizer.ts";
import { gptTrainingFlops } from "../scaling/flops.ts";
import { empty } from "../tensor/tensor.ts";
import { resolveTrainHyper, runOptimizer } from "../train/trainer.ts";
import type { Gpu } from "../gpu/runtime.ts";
import type { BenchResult, BenchSuite } from "./suite.ts";
import { measure, median } from "./timing.ts";

/** The model and batch of a benchmarked step. */
export interface GptBenchShape {
  layers: number;
  width: number;
  heads: number;
  context: number;
  batch: number;
}

/** Options of {@link makeGptSuite} (defaults: the shapes of the module doc). */
export interface GptSuiteOptions {
  /** The model of the training-step row. */
  step?: (cpu: boolean) => GptBenchShape;
  /** The shapes of the runs rows. */
  shapes?: (cpu: boolean) => GptBenchShape[];
  /** Runs per runs row (default 1, 8, 64). */
  runs?: readonly number[];
  /** Time PyTorch's step when a python with torch is found (default true). */
  reference?: boolean;
  /** Timed wall time per repeat in ms (default 250, as `measure`). */
  targetMs?: number;
}

const VOCAB = 256;

/**
 * The GPU model, or its CPU shrink.
 *
 * @example
 * ```ts
 * gptStepShape(true); // { layers: 2, width: 128, heads: 4, context: 64, batch: 8 }
 * ```
 */
export function gptStepShape(cpu: boolean): GptBenchShape {
  return cpu
    ? { layers: 2, width: 128, heads: 4, context: 64, batch: 8 }
    : { layers: 6, width: 384, heads: 6, context: 256, batch: 64 };
}

/**
 * The shapes of the runs rows: the cpu presets' models (1L/8w, 2L/32w and 2L/40w at batch
 * 16 × 32, and 2L/128w at 8 × 64), plus on a GPU the gpt-model-size gpu preset's smallest.
 *
 * @example
 * ```ts
 * gptRunShapes(true).length; // 4
 * ```
 */
export function gptRunShapes(cpu: boolean): GptBenchShape[] {
  const shapes: GptBenchShape[] = [
    { layers: 1, width: 8, heads: 1, context: 32, batch: 16 },
    { layers: 2, width: 32, heads: 2, context: 32, batch: 16 },
    { layers: 2, width: 40, heads: 2, context: 32, batch: 16 },
    { layers: 2, width: 128, heads: 4, context: 64, batch: 8 },
  ];
  if (!cpu) shapes.push({ layers: 2, width: 64, heads: 2, context: 256, batch: 64 });
  return shapes;
}

function configOf(s: GptBenchShape): GptConfig {
  return gptConfig({
    nLayer: s.layers,
    nHead: s.heads,
    nEmbd: s.width,
    blockSize: s.context,
    vocabSize: VOCAB,
  });
}

function describe(s: GptBenchShape): string {
  return `${s.layers}L ${s.width}w ${s.heads}h, ${s.batch}x${s.context} tokens`;
}

/** Seeded random byte tokens: inputs and next-token targets of `count` positions. */
function randomTokens(count: number, seed: number): { inputs: Int32Array; targets: Int32Array } {
  let x = (seed * 2654435761 + 1) >>> 0;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % VOCAB;
  };
  const inputs = Int32Array.from({ length: count }, next);
  const targets = Int32Array.from({ length: count }, next);
  return { inputs, targets };
}

/**
 * A training step of `runs` runs of one model as `trainGpt` records it (forward, backward,
 * optimizer, submit); returns the step and a cleanup.
 */
function trainingStep(gpu: Gpu, shape: GptBenchShape, runs: number) {
  const config = configOf(shape);
  const seeds = Array.from({ length: runs }, (_, r) => r);
  const model = Gpt.create(config, seeds);
  const hyper = (seed: number) =>
    resolveTrainHyper({ steps: 1_000_000, lr: 1e-3, seed, batch: shape.batch }, VOCAB);
  const optimizer = new Optimizer(model.slab, "adamw", seeds.map((s) => runOptimizer(hyper(s))));
  const rows = shape.batch * shape.context;
  const { inputs, targets } = randomTokens(runs * rows, 7);
  const losses = empty([runs * rows], "f32", gpu);
  const dims = { batch: shape.batch, context: shape.context };
  return {
    step() {
      model.forward(inputs, targets, dims, { training: true, losses, lossOffset: 0 });
      model.backward(dims);
      optimizer.step();
      gpu.flush();
    },
    dispose() {
      losses.dispose();
      optimizer.dispose();
      model.dispose();
    },
  };
}

/**
 * Dispatches one step records, and the host milliseconds to record and submit it (median),
 * each step timed with the device idle: a submit behind unfinished work waits for it on some
 * drivers (lavapipe), which would count the device's execution as host time.
 */
async function stepCost(gpu: Gpu, step: () => void, repeats: number) {
  const host: number[] = [];
  let dispatches = 0;
  for (let i = 0; i < repeats; i++) {
    await gpu.sync();
    const before = gpu.dispatchCount;
    const start = performance.now();
    step();
    host.push(performance.now() - start);
    dispatches = gpu.dispatchCount - before;
  }
  await gpu.sync();
  return { dispatches, hostMs: median(host) };
}

let torchInterpreter: Promise<string | null> | undefined;

/**
 * The python that has torch: `SCALELAB_TORCH_PYTHON` if set, else the first of `python3` and
 * `/usr/bin/python3` (Debian's, where `python3-torch` installs) that imports torch; null when
 * none does or running them is not allowed.
 *
 * @example
 * ```ts
 * const python = await torchPython(); // e.g. "/usr/bin/python3"
 * ```
 */
export function torchPython(): Promise<string | null> {
  torchInterpreter ??= (async () => {
    let chosen: string | undefined;
    try {
      chosen = Deno.env.get("SCALELAB_TORCH_PYTHON");
    } catch {
      chosen = undefined;
    }
    for (const python of chosen ? [chosen] : ["python3", "/usr/bin/python3"]) {
      try {
        const probe = await new Deno.Command(python, {
          args: ["-c", "import torch"],
          stdout: "null",
          stderr: "null",
        }).output();
        if (probe.success) return python;
      } catch {
        // not installed, or not allowed: try the next one
      }
    }
    return null;
  })();
  return torchInterpreter;
}

/** What PyTorch measured for one step. */
export interface TorchStepTiming {
  /** e.g. `torch 1.13.1`. */
  library: string;
  /** e.g. `cpu (2 threads)` or `cuda NVIDIA H100 80GB HBM3`. */
  device: string;
  /** Median milliseconds per step. */
  ms: number;
  /** The attention PyTorch ran: `sdpa` or `manual` (nanoGPT's two paths). */
  attention: string;
}

/** nanoGPT's model and training step in PyTorch eager fp32 (TF32 off), timed like `measure`. */
const TORCH_SCRIPT = `
import json, math, os, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F
spec = json.loads(sys.argv[1])
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.set_float32_matmul_precision("highest")
dev = "cuda" if spec["cuda"] and torch.cuda.is_available() else "cpu"
if dev == "cpu":
    torch.set_num_threads(os.cpu_count() or 1)
L, C, H, T, B, V = spec["layers"], spec["width"], spec["heads"], spec["context"], spec["batch"], 256
sdpa = hasattr(F, "scaled_dot_product_attention")
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1 = nn.LayerNorm(C); self.ln_2 = nn.LayerNorm(C)
        self.c_attn = nn.Linear(C, 3 * C); self.c_proj = nn.Linear(C, C)
        self.c_fc = nn.Linear(C, 4 * C); self.mlp_proj = nn.Linear(4 * C, C)
        self.register_buffer("mask", torch.tril(torch.ones(T, T)).view(1, 1, T, T))
    def attn(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = [z.view(b, t, H, c // H).transpose(1, 2) for z in (q, k, v)]
        if sdpa:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.mask[:, :, :t, :t] == 0, float("-inf"))
            y = F.softmax(att, dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c))
    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))
class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(V, C); self.wpe = nn.Embedding(T, C)
        self.h = nn.ModuleList([Block() for _ in range(L)]); self.ln_f = nn.LayerNorm(C)
        self.lm_head = nn.Linear(C, V, bias=False); self.lm_head.weight = self.wte.weight
    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.size(1), device=idx.device))
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        return F.cross_entropy(logits.view(-1, V), targets.view(-1))
torch.manual_seed(0)
model = GPT().to(dev)
params = [p for p in model.parameters() if p.requires_grad]
groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
          {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
opt = torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.95))
x = torch.randint(0, V, (B, T), device=dev); y = torch.randint(0, V, (B, T), device=dev)
sync = (lambda: torch.cuda.synchronize()) if dev == "cuda" else (lambda: None)
def step():
    opt.zero_grad(set_to_none=True)
    loss = model(x, y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
step(); sync()
start = time.perf_counter(); step(); sync(); once = time.perf_counter() - start
iterations = max(1, min(2000, round(spec["target"] / max(once, 1e-6))))
samples = []
for _ in range(3 if once > 2 * spec["target"] else 5):
    start = time.perf_counter()
    for _ in range(iterations):
        step()
    sync()
    samples.append((time.perf_counter() - start) / iterations)
samples.sort()
device = ("cuda " + torch.cuda.get_device_name()) if dev == "cuda" else f"cpu ({torch.get_num_threads()} threads)"
print(json.dumps({"library": "torch " + torch.__version__, "device": device,
                  "ms": samples[len(samples) // 2] * 1000, "attention": "sdpa" if sdpa else "manual"}))
`;

/**
 * Times nanoGPT's training step of `shape` in PyTorch (CUDA when `cuda` and present, else CPU);
 * resolves to null when no python with torch can be run (see {@link torchPython}).
 *
 * @example
 * ```ts
 * const torch = await torchStepTiming(gptStepShape(true), false);
 * if (torch) console.log(torch.library, torch.ms);
 * ```
 */
export async function torchStepTiming(
  shape: GptBenchShape,
  cuda: boolean,
  targetMs = 250,
): Promise<TorchStepTiming | null> {
  const spec = JSON.stringify({ ...shape, cuda, target: targetMs / 1000 });
  const python = await torchPython();
  if (!python) return null;
  try {
    const output = await new Deno.Command(python, {
      args: ["-c", TORCH_SCRIPT, spec],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(600_000),
    }).output();
    if (!output.success) return null;
    return JSON.parse(new TextDecoder().decode(output.stdout)) as TorchStepTiming;
  } catch {
    return null;
  }
}

/**
 * The GPT suite with its shapes chosen by `options` (tests use tiny ones).
 *
 * @example
 * ```ts
 * const tiny = () => ({ layers: 1, width: 8, heads: 2, context: 8, batch: 2 });
 * const suite = makeGptSuite({ step: tiny, shapes: () => [tiny()], runs: [1, 3], reference: false });
 * ```
 */
export function makeGptSuite(options: GptSuiteOptions = {}): BenchSuite {
  const stepShape = options.step ?? gptStepShape;
  const shapes = options.shapes ?? gptRunShapes;
  const runCounts = options.runs ?? [1, 8, 64];
  const timing = { targetMs: options.targetMs ?? 250 };
  const reference = (shape: GptBenchShape, cpu: boolean) =>
    options.reference === false
      ? Promise.resolve(null)
      : torchStepTiming(shape, !cpu, timing.targetMs);
  return {
    name: "gpt",
    description: "GPT training steps (forward, backward, AdamW), R runs as one model, vs PyTorch",
    async *run({ gpu, cpu }) {
      const shape = stepShape(cpu);
      const tokens = shape.batch * shape.context;
      const flops = gptTrainingFlops(gptFlopsConfig(configOf(shape)), tokens).exact;
      const torch = await reference(shape, cpu);
      const single = trainingStep(gpu, shape, 1);
      let ms: number;
      try {
        ms = (await measure(gpu, single.step, timing)).ms;
      } finally {
        single.dispose();
      }
      const row: BenchResult = {
        name: "gpt_step",
        label: `AdamW step ${describe(shape)}`,
        ms,
        rate: { value: tokens / (ms / 1000), unit: "tokens/s" },
        note: `${(flops / ms / 1e6).toFixed(2)} GFLOP/s`,
        fields: {
          ...shape,
          tokens_per_s: tokens / (ms / 1000),
          gflops: flops / ms / 1e6,
          flops_per_step: flops,
        },
      };
      if (torch) {
        row.ratio = torch.ms > 0 ? torch.ms / ms : undefined;
        row.note += `; ${torch.library} ${torch.device} ${torch.ms.toFixed(2)} ms`;
        Object.assign(row.fields, {
          reference_ms: torch.ms,
          reference_tokens_per_s: tokens / (torch.ms / 1000),
          reference_library: torch.library,
          reference_device: torch.device,
          reference_attention: torch.attention,
        });
      }
      yield row;
      for (const runShape of shapes(cpu)) {
        const perRun = runShape.batch * runShape.context;
        const torchRun = runCounts.includes(1) ? await reference(runShape, cpu) : null;
        for (const runs of runCounts) {
          const step = trainingStep(gpu, runShape, runs);
          let timed: number, cost: { dispatches: number; hostMs: number };
          try {
            timed = (await measure(gpu, step.step, timing)).ms;
            cost = await stepCost(gpu, step.step, 5);
          } finally {
            step.dispose();
          }
          const tokensPerSecond = (runs * perRun) / (timed / 1000);
          const fields: Record<string, number | string> = {
            ...runShape,
            runs,
            tokens_per_second: tokensPerSecond,
            dispatches_per_step: cost.dispatches,
            host_ms_per_step: cost.hostMs,
          };
          const result: BenchResult = {
            name: "gpt_runs",
            label: `${runs} run${runs === 1 ? "" : "s"} of ${describe(runShape)}`,
            ms: timed,
            rate: { value: tokensPerSecond, unit: "tokens/s" },
            note: `${cost.dispatches} dispatches, ${cost.hostMs.toFixed(2)} ms host per step`,
            fields,
          };
          if (runs === 1 && torchRun) {
            const torchTokens = perRun / (torchRun.ms / 1000);
            fields.torch_tokens_per_second = torchTokens;
            result.ratio = tokensPerSecond / torchTokens;
            result.note += `; ${torchRun.library} ${torchRun.device} ${
              torchTokens.toFixed(0)
            } tokens/s`;
          }
          yield result;
        }
      }
    },
  };
}

/**
 * Training steps of the GPT (shrunk on a CPU adapter) and of the sweep shapes as 1, 8
 * and 64 runs, beside PyTorch.
 *
 * @example
 * ```ts
 * for await (const row of gptSuite.run({ gpu, cpu: true, reference: null })) console.log(row);
 * ```
 */
export const gptSuite: BenchSuite = makeGptSuite();
