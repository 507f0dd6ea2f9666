import { assert } from "./assert.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  TensorMismatchError,
  tensorToFloat32,
  validateTensors,
  writeSafetensors,
} from "../../lib/data/safetensors.ts";

/** Little-endian float32 bytes of `values`. */
function f32Bytes(values: number[]): number[] {
  return Array.from(new Uint8Array(Float32Array.from(values).buffer));
}

function ascii(text: string): number[] {
  return Array.from(new TextEncoder().encode(text));
}

/** A safetensors file with a hand-written header (padded to 8) followed by `data`. */
function rawFile(header: string, data: number[] = []): Uint8Array {
  const json = new TextEncoder().encode(header);
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + padded + data.length).fill(0x20);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.set(data, 8 + padded);
  return out;
}

Deno.test("writes the reference implementation's bytes exactly", () => {
  // Expected bytes from huggingface/safetensors safetensors/src/tensor.rs unit tests
  // (test_serialization, test_serialization_forced_alignement, test_empty).
  const values = new Float32Array([0, 1, 2, 3, 4, 5]);
  assert.deepEqual(
    Array.from(encodeSafetensors({ "attn.0": { shape: [1, 2, 3], data: values } })),
    [
      64,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      ...ascii(`{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}`),
      ...f32Bytes([0, 1, 2, 3, 4, 5]),
    ],
  );
  assert.deepEqual(
    Array.from(encodeSafetensors({ attn0: { shape: [1, 1, 2, 3], data: values } })),
    [
      72,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      ...ascii(`{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       `),
      ...f32Bytes([0, 1, 2, 3, 4, 5]),
    ],
  );
  assert.deepEqual(Array.from(encodeSafetensors({})), [
    8,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    ...ascii("{}      "),
  ]);
  assert.deepEqual(
    Array.from(encodeSafetensors({}, { framework: "pt" })),
    [40, 0, 0, 0, 0, 0, 0, 0, ...ascii(`{"__metadata__":{"framework":"pt"}}     `)],
  );
});

Deno.test("write → read round trip keeps floats bit for bit and the metadata", async () => {
  const special = [0, -0, 1.5, -3.25e-39, 1e-45, 3.4e38, Infinity, -Infinity, NaN];
  const wte = new Float32Array(256 * 8);
  for (let i = 0; i < wte.length; i++) wte[i] = Math.sin(i * 12.9898) * 43758.5453 % 1;
  wte.set(special);
  const bits = new Uint32Array(wte.buffer.slice(0));
  bits[20] = 0x7fc12345; // a NaN with a payload
  const withPayload = new Float32Array(bits.buffer);
  const config = JSON.stringify({
    n_layer: 2,
    n_head: 2,
    n_embd: 8,
    block_size: 16,
    vocab_size: 256,
  });
  const metadata = { config, note: 'naïve — 日本 🎉 "quoted"\n\ttab' };

  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/model.safetensors`;
    await writeSafetensors(path, {
      "transformer.wte.weight": { shape: [256, 8], data: withPayload },
      "transformer.ln_f.bias": { shape: [8], data: new Float32Array(8).fill(-0.5) },
      "lm_head.weight": { shape: [256, 8], data: withPayload },
    }, metadata);
    assert.deepEqual(Array.from(Deno.readDirSync(dir), (e) => e.name), ["model.safetensors"]);

    const { tensors, metadata: readBack } = await readSafetensors(path);
    assert.deepEqual(readBack, metadata);
    assert.deepEqual([...tensors.keys()], [
      "lm_head.weight",
      "transformer.ln_f.bias",
      "transformer.wte.weight",
    ]);
    const wteBack = tensors.get("transformer.wte.weight")!;
    assert.equal(wteBack.dtype, "F32");
    assert.deepEqual(wteBack.shape, [256, 8]);
    const back = tensorToFloat32(wteBack);
    assert.deepEqual(new Uint32Array(back.buffer), bits);
    assert.deepEqual(
      tensorToFloat32(tensors.get("transformer.ln_f.bias")!),
      new Float32Array(8).fill(-0.5),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("header layout: length prefix, metadata first, sorted, contiguous, 8-byte aligned", () => {
  const bytes = encodeSafetensors({
    "b.weight": { shape: [2, 3], data: new Float32Array(6) },
    "a.weight": { shape: [3], data: new Float32Array(3) },
    "ids": { shape: [5], data: new Int32Array(5) },
    "steps": { shape: [1], data: new BigInt64Array(1) },
    "mask": { shape: [3], data: new Uint8Array(3) },
    "double": { shape: [2], data: new Float64Array(2) },
  }, { format: "pt" });
  const headerBytes = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + headerBytes) % 8, 0);
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + headerBytes));
  assert.match(header, /^\{"__metadata__":\{"format":"pt"\},/);
  assert.match(header, /\} *$/);
  assert.ok(!header.trimEnd().includes(" "), "compact JSON except for the trailing padding");
  const parsed = JSON.parse(header);
  // Largest dtype alignment first (I64, F64, F32, I32, U8), then by name.
  const names = Object.keys(parsed).filter((k) => k !== "__metadata__");
  assert.deepEqual(names, ["steps", "double", "a.weight", "b.weight", "ids", "mask"]);
  let offset = 0;
  for (const name of names) {
    assert.deepEqual(Object.keys(parsed[name]), ["dtype", "shape", "data_offsets"]);
    const [begin, end] = parsed[name].data_offsets;
    assert.equal(begin, offset, `${name} starts where the previous tensor ends`);
    assert.equal(begin % 4, 0);
    offset = end;
  }
  assert.equal(8 + headerBytes + offset, bytes.length);
});

Deno.test("every dtype written reads back, and F16/BF16/I64 convert to float32", () => {
  const written = decodeSafetensors(encodeSafetensors({
    f64: { shape: [2], data: new Float64Array([0.1, -2]) },
    i32: { shape: [2], data: new Int32Array([-7, 2147483647]) },
    i64: { shape: [2], data: new BigInt64Array([-5n, 1n << 40n]) },
    u8: { shape: [2], data: new Uint8Array([0, 255]) },
  }));
  assert.deepEqual(tensorToFloat32(written.tensors.get("f64")!), new Float32Array([0.1, -2]));
  assert.deepEqual(
    tensorToFloat32(written.tensors.get("i32")!),
    new Float32Array([-7, 2147483647]),
  );
  assert.deepEqual(tensorToFloat32(written.tensors.get("i64")!), new Float32Array([-5, 2 ** 40]));
  assert.deepEqual(tensorToFloat32(written.tensors.get("u8")!), new Float32Array([0, 255]));

  // F16: 1, -2, smallest subnormal 2^-24, +inf. BF16: 1, -3, 2^-126 · 1.5.
  const half = [0x3c00, 0xc000, 0x0001, 0x7c00];
  const bfloat = [0x3f80, 0xc040, 0x00c0];
  const data = [...half, ...bfloat].flatMap((bits) => [bits & 0xff, bits >> 8]);
  const file = rawFile(
    `{"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},` +
      `"b":{"dtype":"BF16","shape":[3],"data_offsets":[8,14]}}`,
    data,
  );
  const { tensors } = decodeSafetensors(file);
  assert.deepEqual(
    tensorToFloat32(tensors.get("h")!),
    new Float32Array([1, -2, 2 ** -24, Infinity]),
  );
  assert.deepEqual(tensorToFloat32(tensors.get("b")!), new Float32Array([1, -3, 1.5 * 2 ** -126]));
});

Deno.test("bad files are one-line errors naming the file", async () => {
  const good = encodeSafetensors({ w: { shape: [4], data: new Float32Array(4) } });
  const cases: [string, Uint8Array, RegExp][] = [
    ["tiny", new Uint8Array(5), /truncated file: 5 bytes, but the file must start with/],
    [
      "cut header",
      good.subarray(0, 20),
      /truncated file: the header length is \d+ bytes but only 12/,
    ],
    ["cut data", good.subarray(0, good.length - 3), /"w": data_offsets \[0, 16\] run past the end/],
    ["huge header", Uint8Array.of(0, 0, 0, 0, 0, 0, 1, 0), /header length \d+ exceeds the/],
    ["bad JSON", rawFile(`{"w": {"dtype": "F32",`), /header is not valid UTF-8 JSON/],
    ["not object", rawFile(`[1, 2]`), /header must be a JSON object/],
    [
      "unknown dtype",
      rawFile(`{"w":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}`, [0, 0, 0, 0]),
      /"w": unknown dtype "F31"/,
    ],
    [
      "beyond file",
      rawFile(`{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, [0, 0, 0, 0]),
      /"w": data_offsets \[0, 16\] run past the end of the 4-byte data section/,
    ],
    [
      "gap",
      rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, new Array(8).fill(0)),
      /"w": data_offsets \[4, 8\] do not start where the previous tensor ends \(0\)/,
    ],
    [
      "size mismatch",
      rawFile(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, [0, 0, 0, 0]),
      /"w": shape \[2\] of F32 needs 8 bytes but data_offsets \[0, 4\] hold 4/,
    ],
    [
      "trailing bytes",
      rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, new Array(8).fill(0)),
      /data section is 8 bytes but the tensors cover 4/,
    ],
    [
      "bad metadata",
      rawFile(`{"__metadata__":{"epoch":3}}`),
      /"__metadata__" entry "epoch" must be a string/,
    ],
  ];
  const dir = await Deno.makeTempDir();
  try {
    for (const [name, bytes, pattern] of cases) {
      const path = `${dir}/${name.replaceAll(" ", "_")}.safetensors`;
      await Deno.writeFile(path, bytes);
      await assert.rejects(readSafetensors(path), (error) => {
        assert.match(error.message, pattern, `${name}: ${error.message}`);
        assert.ok(error.message.startsWith(`${path}: `), `${name}: names the file`);
        assert.ok(!error.message.includes("\n"), `${name}: one line: ${error.message}`);
        return true;
      });
    }
    await assert.rejects(
      readSafetensors(`${dir}/absent.safetensors`),
      /absent\.safetensors: no such file/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writing rejects a shape that does not match the data", () => {
  assert.throws(
    () => encodeSafetensors({ w: { shape: [2, 3], data: new Float32Array(5) } }),
    /tensor "w": shape \[2, 3\] holds 6 elements but its data has 5/,
  );
  assert.throws(
    () => encodeSafetensors({ w: { shape: [-1], data: new Float32Array(1) } }),
    /tensor "w": shape must be a list of non-negative integers/,
  );
});

Deno.test("validateTensors: one line per missing, unexpected or mis-shaped tensor", () => {
  const { tensors } = decodeSafetensors(encodeSafetensors({
    "transformer.wte.weight": { shape: [256, 64], data: new Float32Array(256 * 64) },
    "transformer.wpe.weight": { shape: [128, 64], data: new Float32Array(128 * 64) },
    "extra.bias": { shape: [3], data: new Float32Array(3) },
  }));
  validateTensors(tensors, {
    "transformer.wte.weight": [256, 64],
    "transformer.wpe.weight": [128, 64],
    "extra.bias": [3],
  });
  assert.throws(
    () =>
      validateTensors(tensors, {
        "transformer.wte.weight": [256, 64],
        "transformer.wpe.weight": [256, 64],
        "lm_head.weight": [256, 64],
      }),
    (error) => {
      assert.ok(error instanceof TensorMismatchError);
      assert.deepEqual(error.problems, [
        `tensor "transformer.wpe.weight" has shape [128, 64] but [256, 64] is expected`,
        `missing tensor "lm_head.weight" (expected shape [256, 64])`,
        `unexpected tensor "extra.bias" (shape [3])`,
      ]);
      assert.equal(error.message, error.problems.join("\n"));
      return true;
    },
  );
});
