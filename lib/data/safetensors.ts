/**
 * The safetensors file format (Hugging Face): read, write and validate.
 *
 * Layout: an 8-byte little-endian unsigned header length `n`, then `n` bytes of UTF-8 JSON, then
 * the tensor data. The JSON maps each tensor name to `{"dtype", "shape", "data_offsets"}` (byte
 * offsets relative to the data section, `[begin, end)`, contiguous from 0 to the end of the file)
 * and may hold `"__metadata__"`, a map of strings. Data is little-endian, row-major.
 *
 * Files written here match the reference implementation byte for byte: compact JSON with
 * `__metadata__` first, tensors sorted by dtype alignment (largest first) then by name, and the
 * header padded with spaces to a multiple of 8 bytes so every tensor starts aligned.
 *
 * @module
 */
import { writeFileAtomic } from "../io/atomic.ts";

/** Element types of the format, in the reference's order of increasing alignment. */
export const DTYPES = [
  "BOOL",
  "U8",
  "I8",
  "F8_E5M2",
  "F8_E4M3",
  "I16",
  "U16",
  "F16",
  "BF16",
  "I32",
  "U32",
  "F32",
  "F64",
  "I64",
  "U64",
] as const;

/** One element type of the format, e.g. `"F32"`. */
export type Dtype = typeof DTYPES[number];

const DTYPE_BYTES: Record<Dtype, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

/** The reference reader's limit on the header size. */
const MAX_HEADER_BYTES = 100_000_000;

/** Typed arrays that can be written, each with its dtype: F32, F64, I32, I64, U8. */
export type WritableData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** A tensor to write: its shape and its elements in row-major order. */
export interface TensorToWrite {
  readonly shape: readonly number[];
  readonly data: WritableData;
}

/** A tensor read from a file: dtype, shape and its little-endian bytes (a view into the file). */
export interface StoredTensor {
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

/** What a safetensors file holds: tensors in file order and the `__metadata__` strings. */
export interface SafetensorsContents {
  readonly tensors: Map<string, StoredTensor>;
  readonly metadata: Record<string, string>;
}

/**
 * Serializes tensors and metadata to the bytes of a safetensors file.
 *
 * @example
 * ```ts
 * const bytes = encodeSafetensors(
 *   { "lm_head.weight": { shape: [2, 3], data: new Float32Array(6) } },
 *   { config: JSON.stringify({ n_layer: 1 }) },
 * );
 * ```
 */
export function encodeSafetensors(
  tensors: Record<string, TensorToWrite>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const entries = Object.entries(tensors).map(([name, tensor]) => {
    if (name === "__metadata__") throw new Error(`"__metadata__" cannot name a tensor`);
    const dtype = dtypeOf(tensor.data);
    const elements = checkShape(tensor.shape, `tensor "${name}"`);
    if (elements !== tensor.data.length) {
      throw new RangeError(
        `tensor "${name}": shape ${formatShape(tensor.shape)} holds ${elements} elements ` +
          `but its data has ${tensor.data.length}`,
      );
    }
    return { name, dtype, tensor };
  });
  entries.sort((a, b) =>
    DTYPES.indexOf(b.dtype) - DTYPES.indexOf(a.dtype) || compareCodePoints(a.name, b.name)
  );

  const parts: string[] = [];
  const metadataKeys = Object.keys(metadata).sort(compareCodePoints);
  if (metadataKeys.length > 0) {
    for (const key of metadataKeys) {
      if (typeof metadata[key] !== "string") {
        throw new TypeError(`metadata "${key}" must be a string, got ${typeof metadata[key]}`);
      }
    }
    const fields = metadataKeys.map((key) =>
      `${JSON.stringify(key)}:${JSON.stringify(metadata[key])}`
    );
    parts.push(`"__metadata__":{${fields.join(",")}}`);
  }
  let offset = 0;
  for (const { name, dtype, tensor } of entries) {
    const end = offset + tensor.data.byteLength;
    const info = { dtype, shape: tensor.shape, data_offsets: [offset, end] };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  const headerBytes = json.length + ((8 - (json.length % 8)) % 8);

  const out = new Uint8Array(8 + headerBytes + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerBytes);
  let at = 8 + headerBytes;
  for (const { tensor } of entries) {
    writeLittleEndian(view, at, tensor.data);
    at += tensor.data.byteLength;
  }
  return out;
}

/**
 * Parses the bytes of a safetensors file. Every defect (truncation, bad JSON, unknown dtype,
 * offsets that overlap, leave gaps or run past the end) is a one-line error naming `source`.
 *
 * @example
 * ```ts
 * const { tensors, metadata } = decodeSafetensors(await Deno.readFile("model.safetensors"));
 * const wte = tensorToFloat32(tensors.get("transformer.wte.weight")!);
 * ```
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  source = "safetensors data",
): SafetensorsContents {
  const fail = (message: string) => new Error(`${source}: ${message}`);
  if (bytes.length < 8) {
    throw fail(
      `truncated file: ${bytes.length} bytes, but the file must start with an 8-byte header length`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    throw fail(
      `header length ${declared} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`,
    );
  }
  const headerBytes = Number(declared);
  if (8 + headerBytes > bytes.length) {
    throw fail(
      `truncated file: the header length is ${headerBytes} bytes but only ` +
        `${bytes.length - 8} bytes follow it`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(
      bytes.subarray(8, 8 + headerBytes),
    ));
  } catch (error) {
    throw fail(`header is not valid UTF-8 JSON (${oneLine((error as Error).message)})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw fail("header must be a JSON object");
  }

  const metadata: Record<string, string> = {};
  const infos: { name: string; dtype: Dtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw fail(`"__metadata__" must be an object of strings`);
      }
      for (const [key, text] of Object.entries(value)) {
        if (typeof text !== "string") {
          throw fail(`"__metadata__" entry "${key}" must be a string, got ${JSON.stringify(text)}`);
        }
        metadata[key] = text;
      }
      continue;
    }
    infos.push(parseTensorInfo(name, value, fail));
  }

  const dataStart = 8 + headerBytes;
  const dataBytes = bytes.length - dataStart;
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const tensors = new Map<string, StoredTensor>();
  let expectedBegin = 0;
  for (const info of infos) {
    const span = `data_offsets [${info.begin}, ${info.end}]`;
    if (info.end > dataBytes) {
      throw fail(
        `tensor "${info.name}": ${span} run past the end of the ${dataBytes}-byte data section ` +
          `(truncated file?)`,
      );
    }
    if (info.begin !== expectedBegin) {
      throw fail(
        `tensor "${info.name}": ${span} do not start where the previous tensor ends ` +
          `(${expectedBegin}); tensors must be contiguous from 0`,
      );
    }
    const needed = info.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[info.dtype];
    if (info.end - info.begin !== needed) {
      throw fail(
        `tensor "${info.name}": shape ${formatShape(info.shape)} of ${info.dtype} needs ` +
          `${needed} bytes but ${span} hold ${info.end - info.begin}`,
      );
    }
    tensors.set(info.name, {
      dtype: info.dtype,
      shape: info.shape,
      bytes: bytes.subarray(dataStart + info.begin, dataStart + info.end),
    });
    expectedBegin = info.end;
  }
  if (expectedBegin !== dataBytes) {
    throw fail(
      `the data section is ${dataBytes} bytes but the tensors cover ${expectedBegin} ` +
        `(trailing bytes or a missing tensor)`,
    );
  }
  return { tensors, metadata };
}

/**
 * Writes a safetensors file atomically (temp file, fsync, rename).
 *
 * @example
 * ```ts
 * await writeSafetensors("out/tiny.safetensors", {
 *   "transformer.wte.weight": { shape: [256, 64], data: new Float32Array(256 * 64) },
 * }, { config: JSON.stringify({ n_layer: 2, n_head: 2, n_embd: 64 }) });
 * ```
 */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, TensorToWrite>,
  metadata: Record<string, string> = {},
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/**
 * Reads and parses a safetensors file; a missing or malformed file is a one-line error naming it.
 *
 * @example
 * ```ts
 * const { tensors, metadata } = await readSafetensors("out/tiny.safetensors");
 * const config = JSON.parse(metadata.config);
 * ```
 */
export async function readSafetensors(path: string): Promise<SafetensorsContents> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new Error(`${path}: no such file`);
    throw new Error(`${path}: cannot read (${(error as Error).message})`);
  }
  return decodeSafetensors(bytes, path);
}

/**
 * The elements of a stored tensor as float32, converting from any dtype but the 8-bit floats
 * (F32 is copied bit for bit; F16 and BF16 widen exactly; 64-bit values round to the nearest
 * float32).
 *
 * @example
 * ```ts
 * const weights = tensorToFloat32(contents.tensors.get("lm_head.weight")!);
 * ```
 */
export function tensorToFloat32(tensor: StoredTensor): Float32Array {
  if (tensor.dtype === "F32" && LITTLE_ENDIAN_HOST) {
    return new Float32Array(tensor.bytes.slice().buffer);
  }
  const read = ELEMENT_READERS[tensor.dtype];
  if (!read) throw new Error(`cannot convert dtype ${tensor.dtype} to float32`);
  const size = DTYPE_BYTES[tensor.dtype];
  const view = new DataView(tensor.bytes.buffer, tensor.bytes.byteOffset, tensor.bytes.byteLength);
  const out = new Float32Array(tensor.bytes.byteLength / size);
  for (let i = 0; i < out.length; i++) out[i] = read(view, i * size);
  return out;
}

/** Raised by {@link validateTensors}; `problems` holds one line per mismatch. */
export class TensorMismatchError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "TensorMismatchError";
  }
}

/**
 * Checks that the tensors found in a file are exactly the expected names with the expected
 * shapes. Throws a {@link TensorMismatchError} with one line per missing tensor, unexpected tensor
 * and shape mismatch (each naming the tensor and the shapes involved).
 *
 * @example
 * ```ts
 * const { tensors } = await readSafetensors("out/tiny.safetensors");
 * validateTensors(tensors, { "transformer.wte.weight": [256, 64], "lm_head.weight": [256, 64] });
 * ```
 */
export function validateTensors(
  found: ReadonlyMap<string, { readonly shape: readonly number[] }>,
  expected: Record<string, readonly number[]>,
): void {
  const problems: string[] = [];
  for (const [name, shape] of Object.entries(expected)) {
    const tensor = found.get(name);
    if (!tensor) {
      problems.push(`missing tensor "${name}" (expected shape ${formatShape(shape)})`);
    } else if (!sameShape(tensor.shape, shape)) {
      problems.push(
        `tensor "${name}" has shape ${formatShape(tensor.shape)} but ${formatShape(shape)} ` +
          `is expected`,
      );
    }
  }
  for (const [name, tensor] of found) {
    if (!Object.hasOwn(expected, name)) {
      problems.push(`unexpected tensor "${name}" (shape ${formatShape(tensor.shape)})`);
    }
  }
  if (problems.length > 0) throw new TensorMismatchError(problems);
}

/** `text` with runs of whitespace (newlines included) collapsed to one space, cut to 200 chars. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/** `[2, 3]` for a shape; `[]` for a scalar. */
function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

/** Validates one header entry: dtype known, shape of non-negative integers, offsets ordered. */
function parseTensorInfo(
  name: string,
  value: unknown,
  fail: (message: string) => Error,
): { name: string; dtype: Dtype; shape: number[]; begin: number; end: number } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw fail(`tensor "${name}": entry must be an object with dtype, shape and data_offsets`);
  }
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== "string" || !(DTYPES as readonly string[]).includes(dtype)) {
    throw fail(
      `tensor "${name}": unknown dtype ${JSON.stringify(dtype)} (expected one of ${
        DTYPES.join(", ")
      })`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw fail(`tensor "${name}": shape must be a list of non-negative integers`);
  }
  if (
    !Array.isArray(offsets) || offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]
  ) {
    throw fail(`tensor "${name}": data_offsets must be [begin, end] with 0 <= begin <= end`);
  }
  return { name, dtype: dtype as Dtype, shape, begin: offsets[0], end: offsets[1] };
}

/** The number of elements of a valid shape; throws on negative or fractional sizes. */
function checkShape(shape: readonly number[], what: string): number {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new RangeError(`${what}: shape must be a list of non-negative integers`);
  }
  return shape.reduce((a, b) => a * b, 1);
}

function dtypeOf(data: WritableData): Dtype {
  if (data instanceof Float32Array) return "F32";
  if (data instanceof Float64Array) return "F64";
  if (data instanceof Int32Array) return "I32";
  if (data instanceof BigInt64Array) return "I64";
  if (data instanceof Uint8Array) return "U8";
  throw new TypeError(
    "tensor data must be a Float32Array, Float64Array, Int32Array, " +
      "BigInt64Array or Uint8Array",
  );
}

/** True on little-endian hosts (every platform Deno ships for), where bytes copy as they are. */
const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Copies `data`'s bytes to `at` (little-endian on the hosts Deno ships for; NaN payloads kept). */
function writeLittleEndian(view: DataView, at: number, data: WritableData): void {
  if (!LITTLE_ENDIAN_HOST) throw new Error("writing safetensors needs a little-endian host");
  new Uint8Array(view.buffer, view.byteOffset + at, data.byteLength)
    .set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** Orders strings by code point, as Rust orders UTF-8 names. */
function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a, (c) => c.codePointAt(0)!);
  const right = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    if (left[i] !== right[i]) return left[i] - right[i];
  }
  return left.length - right.length;
}

type ElementReader = (view: DataView, at: number) => number;

const ELEMENT_READERS: Partial<Record<Dtype, ElementReader>> = {
  BOOL: (view, at) => view.getUint8(at) === 0 ? 0 : 1,
  U8: (view, at) => view.getUint8(at),
  I8: (view, at) => view.getInt8(at),
  I16: (view, at) => view.getInt16(at, true),
  U16: (view, at) => view.getUint16(at, true),
  F16: (view, at) => halfToNumber(view.getUint16(at, true)),
  BF16: (view, at) => bfloat16ToNumber(view.getUint16(at, true)),
  I32: (view, at) => view.getInt32(at, true),
  U32: (view, at) => view.getUint32(at, true),
  F32: (view, at) => view.getFloat32(at, true),
  F64: (view, at) => view.getFloat64(at, true),
  I64: (view, at) => Number(view.getBigInt64(at, true)),
  U64: (view, at) => Number(view.getBigUint64(at, true)),
};

/** IEEE 754 binary16 bits to a number. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const bfloat16Scratch = new DataView(new ArrayBuffer(4));

/** bfloat16 bits (the top half of a float32) to a number. */
function bfloat16ToNumber(bits: number): number {
  bfloat16Scratch.setUint32(0, bits << 16 >>> 0);
  return bfloat16Scratch.getFloat32(0);
}
