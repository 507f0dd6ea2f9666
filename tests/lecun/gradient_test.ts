/**
 * The three implementations of the 1989 net agree: the fused WGSL trainer, the generic-ops
 * version and the float64 reference give the same gradient on the same example.
 */
import assert from "node:assert/strict";
import { gpu } from "../helpers/check.ts";
import { loadDigits1989 } from "../../lib/data/mnist.ts";
import { lecunShape, PARAMETER_NAMES, parameterLayout } from "../../lib/lecun/architecture.ts";
import { lecunConfig } from "../../lib/lecun/config.ts";
import { FusedTrainer, uploadDigits } from "../../lib/lecun/fused.ts";
import { GenericLecunNet } from "../../lib/lecun/generic.ts";
import { initParameters } from "../../lib/lecun/init.ts";
import { dropoutKeeps } from "../../lib/lecun/noise.ts";
import { referenceGradient } from "../../lib/lecun/reference.ts";

const device = await gpu();
const digits = await loadDigits1989({ trainSize: 16 });
const shape = lecunShape(1);
const layout = parameterLayout(shape);

/** Parameters with every bias nonzero, so bias gradients are exercised too. */
function parameters(seed: number, outputBias: number): Float32Array {
  const p = initParameters(shape, seed, outputBias);
  for (let i = 0; i < p.length; i++) p[i] += 0.02 * Math.sin(1.7 * i);
  return p;
}

/** Asserts, per parameter tensor, |a - b| ≤ rel · max |b| over the tensor. */
function assertSameGradient(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rel: number,
  what: string,
) {
  for (const name of PARAMETER_NAMES) {
    const { offset, shape: dims } = layout[name];
    const size = dims.reduce((a, b) => a * b, 1);
    let scale = 0, worst = 0, at = -1;
    for (let i = offset; i < offset + size; i++) scale = Math.max(scale, Math.abs(expected[i]));
    for (let i = offset; i < offset + size; i++) {
      const err = Math.abs(actual[i] - expected[i]);
      if (err > worst) [worst, at] = [err, i];
    }
    assert.ok(scale > 0, `${what}: ${name} has an all-zero reference gradient`);
    assert.ok(
      worst <= rel * scale,
      `${what}: ${name}[${at - offset}] is ${actual[at]}, expected ${
        expected[at]
      } (max |g| ${scale})`,
    );
  }
}

Deno.test("fused, generic and float64 gradients agree to 1e-5 (MSE, tanh)", async () => {
  const example = 3;
  const image = digits.train.images.subarray(example * 256, (example + 1) * 256);
  const label = digits.train.labels[example];
  const params = parameters(11, -1);
  const options = { loss: "mse", activation: "tanh" } as const;
  const expected = referenceGradient(shape, params, image, label, options).gradient;

  const net = GenericLecunNet.fromFlat(shape, params);
  const generic = await net.gradient(image, label, options);
  net.dispose();
  assertSameGradient(generic, expected, 1e-5, "generic");

  // One SGD step with a large learning rate exposes the fused kernel's gradient exactly:
  // after = fl(p - lr·g) with a fused multiply-add, so (p - after) / lr = g to ~1e-7.
  const lr = 1024;
  const data = uploadDigits(device, digits);
  const trainer = new FusedTrainer(device, data, [lecunConfig("baseline", { trainSize: 16 })], {
    initial: [params],
  });
  trainer.trainExamples(example, 1, 0, [lr]);
  const after = await trainer.parameters(0);
  trainer.dispose();
  data.dispose();
  const fused = Float64Array.from(after, (v, i) => (params[i] - v) / lr);
  assertSameGradient(fused, expected, 1e-5, "fused");
});

Deno.test("generic and float64 gradients agree with cross-entropy, ReLU and dropout", async () => {
  const example = 5;
  const image = digits.train.images.subarray(example * 256, (example + 1) * 256);
  const label = digits.train.labels[example];
  const params = parameters(12, 0);
  const options = { loss: "ce", activation: "relu" } as const;
  const scale = Float32Array.from(
    { length: 192 },
    (_, u) => dropoutKeeps(5, 9, u, 0.25) ? 1 / 0.75 : 0,
  );
  const expected = referenceGradient(shape, params, image, label, {
    ...options,
    dropoutScale: scale,
  });
  const net = GenericLecunNet.fromFlat(shape, params);
  const generic = await net.gradient(image, label, options, scale);
  net.dispose();
  assertSameGradient(generic, expected.gradient, 1e-5, "generic");
});
