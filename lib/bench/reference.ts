/**
 * Reference matmul timings from a library the user may have installed: PyTorch (on CUDA when
 * the WebGPU adapter is a GPU and CUDA is there, with TF32 off, else on the CPU), or NumPy
 * when PyTorch is missing. Measured in a `python3` subprocess with the same protocol as ours
 * (warm-up, calibrated iterations, median of repeats). Optional: when python3 or both
 * libraries are absent, or running subprocesses is not permitted, there is simply no
 * reference.
 *
 * @module
 */

/** Layout of a product: `t` marks an operand read as the transpose of a dense matrix. */
export type MatmulLayout = "nn" | "nt" | "tn" | "tt";

/** One matmul problem `[m, k] @ [k, n]`. */
export interface MatmulShape {
  m: number;
  n: number;
  k: number;
  layout: MatmulLayout;
}

/** Reference timings of a list of problems. */
export interface ReferenceTimings {
  /** Library and version, e.g. `torch 2.3.1` or `numpy 2.4.6`. */
  library: string;
  /** Where it ran, e.g. `cuda NVIDIA H100 80GB HBM3` or `cpu`. */
  device: string;
  /** Median milliseconds per problem, keyed by {@link shapeKey}. */
  ms: Map<string, number>;
}

/**
 * The key of a problem in {@link ReferenceTimings.ms}.
 *
 * @example
 * ```ts
 * shapeKey({ m: 2, n: 3, k: 4, layout: "nt" }); // "2x3x4:nt"
 * ```
 */
export function shapeKey(shape: MatmulShape): string {
  return `${shape.m}x${shape.n}x${shape.k}:${shape.layout}`;
}

/** The Python side: reads the problems as JSON from argv, prints one JSON object. */
const SCRIPT = `
import json, sys, time
spec = json.loads(sys.argv[1])
try:
    import torch
    dev = "cuda" if spec["cuda"] and torch.cuda.is_available() else "cpu"
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    library = "torch " + torch.__version__
    device = ("cuda " + torch.cuda.get_device_name()) if dev == "cuda" else "cpu"
    gen = torch.Generator(device=dev).manual_seed(0)
    make = lambda shape: torch.randn(shape, device=dev, generator=gen, dtype=torch.float32)
    sync = (lambda: torch.cuda.synchronize()) if dev == "cuda" else (lambda: None)
    mm = torch.matmul
except ImportError:
    import numpy as np
    library, device = "numpy " + np.__version__, "cpu"
    rng = np.random.default_rng(0)
    make = lambda shape: rng.standard_normal(shape, dtype=np.float32)
    sync = lambda: None
    mm = np.matmul
results = []
for p in spec["problems"]:
    m, n, k, layout = p["m"], p["n"], p["k"], p["layout"]
    a = make((k, m) if layout[0] == "t" else (m, k))
    b = make((n, k) if layout[1] == "t" else (k, n))
    a = a.T if layout[0] == "t" else a
    b = b.T if layout[1] == "t" else b
    mm(a, b); sync()
    start = time.perf_counter(); mm(a, b); sync(); once = time.perf_counter() - start
    iterations = max(1, min(2000, round(0.25 / max(once, 1e-6))))
    samples = []
    for _ in range(3 if once > 0.5 else 5):
        start = time.perf_counter()
        for _ in range(iterations):
            mm(a, b)
        sync()
        samples.append((time.perf_counter() - start) / iterations)
    samples.sort()
    results.append(dict(p, ms=samples[len(samples) // 2] * 1000))
print(json.dumps({"library": library, "device": device, "results": results}))
`;

/** Why there is no reference, when there is none. */
export interface NoReference {
  reason: string;
}

/**
 * Times `shapes` with PyTorch (or NumPy) in `python3`; `cuda` asks for the GPU when present.
 * Resolves to the timings, or to the reason there are none (never throws).
 *
 * @example
 * ```ts
 * const ref = await measureReference([{ m: 512, n: 512, k: 512, layout: "nn" }], false);
 * if ("library" in ref) console.log(ref.library, ref.ms.get("512x512x512:nn"));
 * ```
 */
export async function measureReference(
  shapes: readonly MatmulShape[],
  cuda: boolean,
  timeoutMs = 600_000,
): Promise<ReferenceTimings | NoReference> {
  const spec = JSON.stringify({ cuda, problems: shapes });
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("python3", {
      args: ["-c", SCRIPT, spec],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(timeoutMs),
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { reason: "python3 not found" };
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      return { reason: "running python3 is not permitted (--allow-run=python3)" };
    }
    return { reason: `python3 failed: ${(error as Error).message.split("\n")[0]}` };
  }
  const stderr = new TextDecoder().decode(output.stderr).trim().split("\n");
  if (!output.success) {
    const last = stderr[stderr.length - 1] ?? "";
    return {
      reason: last.includes("No module named 'numpy'")
        ? "neither torch nor numpy is installed for python3"
        : `python3 exited with ${output.code}: ${last}`,
    };
  }
  try {
    const parsed = JSON.parse(new TextDecoder().decode(output.stdout)) as {
      library: string;
      device: string;
      results: (MatmulShape & { ms: number })[];
    };
    const ms = new Map(parsed.results.map((r) => [shapeKey(r), r.ms]));
    return { library: parsed.library, device: parsed.device, ms };
  } catch {
    return { reason: "python3 printed no timings" };
  }
}
