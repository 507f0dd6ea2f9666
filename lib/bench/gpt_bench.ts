/**
 * The GPT training-step suite for `deno task bench`: one full AdamW step (forward, backward,
 * gradient clipping, update) of a byte-level nanoGPT-style model, as `trainGpt` runs it, with
 * tokens/s and achieved FLOP/s (the exact count of `lib/scaling/flops.ts`, 3 × forward), beside
 * the same model and step in PyTorch eager fp32 (TF32 off) when python3 has torch.
 *
 * Shapes: on a GPU the model (6 layers, width 384, 6 heads, context 256, batch 64); on
 * a CPU adapter a shrunken one (2 layers, width 128, 4 heads, context 64, batch 8). PyTorch runs
 * on CUDA when the adapter is a GPU and CUDA is there, else on the CPU with as many threads as
 * there are cores (lavapipe uses them all).
 *
 * @module
 */
import { mapInPlace } from "../../kernels/map.ts";
import { type GptConfig, gptConfig, gptFlopsConfig } from "../nn/config.ts";
import { Gpt } from "../nn/gpt.ts";
import { gptTrainingFlops } from "../scaling/flops.ts";
import { backward } from "../ops/autograd.ts";
import { keep, tensor } from "../tensor/tensor.ts";
import { createGptOptimizer, resolveTrainHyper } from "../train/trainer.ts";
import type { BenchResult, BenchSuite } from "./suite.ts";
import { measure } from "./timing.ts";

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
  /** The model of the training-step rows. */
  step?: (cpu: boolean) => GptBenchShape;
  /** Time PyTorch's step when python3 has torch (default true). */
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

/** Seeded random byte tokens: inputs and next-token targets of `count` windows. */
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

const HYPER = { steps: 1_000_000, lr: 1e-3, seed: 0 };

/** A training step of one model as `trainGpt` records it; returns the step and a cleanup. */
function singleStep(shape: GptBenchShape, seed: number) {
  const config = configOf(shape);
  const model = Gpt.create(config, seed);
  const optimizer = createGptOptimizer(
    model,
    resolveTrainHyper({ ...HYPER, seed, batch: shape.batch }, VOCAB),
  );
  const { inputs, targets } = randomTokens(shape.batch * shape.context, seed);
  const dims = [shape.batch, shape.context];
  const lossSum = keep(tensor([0], []));
  return {
    step() {
      const x = tensor(inputs, dims, { dtype: "i32" });
      const y = tensor(targets, dims, { dtype: "i32" });
      optimizer.zeroGrad();
      const loss = model.loss(x, y, { training: true, dropoutSeed: seed, step: 0 });
      backward(loss);
      mapInPlace("accumulate", "a + b", lossSum, loss);
      for (const t of [loss, x, y]) t.dispose();
      optimizer.step();
    },
    dispose() {
      lossSum.dispose();
      optimizer.dispose();
      model.dispose();
    },
  };
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
 * resolves to null when python3, torch or the permission to run python3 is missing.
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
  try {
    const output = await new Deno.Command("python3", {
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
 * const suite = makeGptSuite({ step: tiny, reference: false });
 * ```
 */
export function makeGptSuite(options: GptSuiteOptions = {}): BenchSuite {
  const stepShape = options.step ?? gptStepShape;
  const timing = { targetMs: options.targetMs ?? 250 };
  return {
    name: "gpt",
    description: "GPT training step (forward, backward, AdamW) vs PyTorch",
    async *run({ gpu, cpu }) {
      const shape = stepShape(cpu);
      const config = configOf(shape);
      const tokens = shape.batch * shape.context;
      const flops = gptTrainingFlops(gptFlopsConfig(config), tokens).exact;
      const torch = options.reference === false
        ? null
        : await torchStepTiming(shape, !cpu, timing.targetMs);
      const single = singleStep(shape, 0);
      let ms: number;
      try {
        ms = (await measure(gpu, () => {
          single.step();
          gpu.flush();
        }, timing)).ms;
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
    },
  };
}

/**
 * Training step of the GPT (shrunk on a CPU adapter) beside PyTorch.
 *
 * @example
 * ```ts
 * for await (const row of gptSuite.run({ gpu, cpu: true, reference: null })) console.log(row);
 * ```
 */
export const gptSuite: BenchSuite = makeGptSuite();
