/**
 * The 1989 net's gradients: the float64 reference agrees with central finite differences for
 * every switch (loss, activation, dropout), and the whole-run kernel's gradient is the
 * reference's.
 */
import assert from "node:assert/strict";
import { gpu } from "../helpers/check.ts";
import { loadDigits1989 } from "../../lib/data/mnist.ts";
import { lecunShape, PARAMETER_NAMES, parameterLayout } from "../../kernels/lecun/architecture.ts";
import { lecunConfig } from "../../lib/lecun/config.ts";
import { LecunTrainer, uploadDigits } from "../../lib/lecun/trainer.ts";
import { initParameters } from "../../lib/lecun/init.ts";
import { dropoutKeeps } from "../../lib/random/counter.ts";
import { referenceGradient } from "../../kernels/lecun/reference.ts";

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

Deno.test("the float64 reference gradient agrees with finite differences, every switch", () => {
  const example = 5;
  const image = digits.train.images.subarray(example * 256, (example + 1) * 256);
  const label = digits.train.labels[example];
  const scale = Float32Array.from(
    { length: 192 },
    (_, u) => dropoutKeeps(5, 9, u, 0.25) ? 1 / 0.75 : 0,
  );
  const cases = [
    { loss: "mse", activation: "tanh" },
    { loss: "ce", activation: "relu", dropoutScale: scale },
    { loss: "ce", activation: "tanh" },
  ] as const;
  for (const options of cases) {
    const params = Float64Array.from(parameters(12, options.loss === "mse" ? -1 : 0));
    const { gradient } = referenceGradient(shape, params, image, label, options);
    const h = 1e-6;
    for (const name of PARAMETER_NAMES) {
      const { offset, shape: dims } = layout[name];
      const size = dims.reduce((a, b) => a * b, 1);
      for (let k = 0; k < 8; k++) {
        const i = offset + Math.floor((size * (2 * k + 1)) / 16);
        const saved = params[i];
        params[i] = saved + h;
        const up = referenceGradient(shape, params, image, label, options).loss;
        params[i] = saved - h;
        const down = referenceGradient(shape, params, image, label, options).loss;
        params[i] = saved;
        const numeric = (up - down) / (2 * h);
        assert.ok(
          Math.abs(numeric - gradient[i]) <= 1e-6 + 1e-4 * Math.abs(numeric),
          `${options.loss}/${options.activation}: d loss / d ${name}[${i - offset}] is ` +
            `${gradient[i]}, finite differences give ${numeric}`,
        );
      }
    }
  }
});

Deno.test("the whole-run kernel's gradient is the float64 reference's to 1e-5", async () => {
  const example = 3;
  const image = digits.train.images.subarray(example * 256, (example + 1) * 256);
  const label = digits.train.labels[example];
  const params = parameters(11, -1);
  const options = { loss: "mse", activation: "tanh" } as const;
  const expected = referenceGradient(shape, params, image, label, options).gradient;
  // One SGD step with a large learning rate exposes the kernel's gradient exactly:
  // after = fl(p - lr·g) with a fused multiply-add, so (p - after) / lr = g to ~1e-7.
  const lr = 1024;
  const data = uploadDigits(device, digits);
  const trainer = new LecunTrainer(device, data, [lecunConfig("baseline", { trainSize: 16 })], {
    initial: [params],
  });
  trainer.trainExamples(example, 1, 0, [lr]);
  const after = await trainer.parameters(0);
  trainer.dispose();
  data.dispose();
  const trained = Float64Array.from(after, (v, i) => (params[i] - v) / lr);
  assertSameGradient(trained, expected, 1e-5, "kernel");
});
