/**
 * Initialization of the 1989 net exactly as the PyTorch reproduction draws it: after
 * `torch.manual_seed(seed)`, `winit(fan_in, *shape) = (torch.rand(*shape) - 0.5) * 2 * 2.4 /
 * fan_in**0.5` for H1w, H2w, H3w and outw in that order, biases 0 except the output bias.
 * `torch.rand` on the CPU is MT19937 (seeded like NumPy's) with 24-bit floats, computed here in
 * float32 the way PyTorch does, so the numbers are bit-identical to PyTorch's.
 *
 * @module
 */
import { Mt19937 } from "../random/mt19937.ts";
import {
  type LecunShape,
  parameterLayout,
  type ParameterName,
  TAPS,
} from "../../kernels/lecun/architecture.ts";

const f32 = Math.fround;

/**
 * Fresh parameters in the flat layout of `parameterLayout(shape)`, equal to PyTorch's after
 * `torch.manual_seed(seed)` (weights U(±2.4/√fan_in), biases 0, the output bias `outputBias`).
 *
 * @example
 * ```ts
 * const params = initParameters(lecunShape(1), 1337, -1);
 * params[0]; // -0.40481558 (PyTorch's H1w[0, 0, 0, 0] after torch.manual_seed(1337))
 * ```
 */
export function initParameters(shape: LecunShape, seed: number, outputBias: number): Float32Array {
  const layout = parameterLayout(shape);
  const params = new Float32Array(layout.size);
  const rng = new Mt19937(seed);
  const fanIns: [ParameterName, number][] = [
    ["h1w", TAPS],
    ["h2w", TAPS * shape.fanIn],
    ["h3w", shape.maps * 16],
    ["outw", shape.hidden],
  ];
  const twoPointFour = f32(2.4);
  for (const [name, fanIn] of fanIns) {
    const { offset, shape: dims } = layout[name];
    const count = dims.reduce((a, b) => a * b, 1);
    const scale = f32(Math.sqrt(fanIn));
    for (let i = 0; i < count; i++) {
      const u = f32((rng.nextU32() & 0xffffff) / 16777216);
      params[offset + i] = f32(f32(f32(f32(u - 0.5) * 2) * twoPointFour) / scale);
    }
  }
  params.fill(outputBias, layout.outb.offset, layout.outb.offset + 10);
  return params;
}
