/**
 * Kernel declarations: a kernel states its interface once — the storage buffers it binds with
 * their access and element type, its uniform fields with their types — and writes only its
 * body. From that one declaration this module derives everything that would otherwise be
 * written by hand three times and drift apart: the WGSL `@binding` lines and the uniform
 * struct, the byte layout the uniforms are written in (WGSL's alignment rules), the bind-group
 * layout and the specialization (cache) key.
 *
 * A declaration is a function of its specialization constants (tile sizes, flags, an
 * expression): the runtime calls it only when it meets a key it has not compiled, so building
 * the source costs nothing on the hot path.
 *
 * @example
 * ```ts
 * const scale = declareKernel("scale", (c: { wg: number }) => ({
 *   storage: [
 *     { name: "x", access: "read", type: "f32" },
 *     { name: "y", access: "read_write", type: "f32" },
 *   ],
 *   uniforms: { n: "u32", factor: "f32" },
 *   body: `@compute @workgroup_size(${c.wg})
 * fn main(@builtin(global_invocation_id) id: vec3u) {
 *   if (id.x < p.n) { y[id.x] = x[id.x] * p.factor; }
 * }`,
 * }));
 * // gpu.run(scale, { wg: 64 }, { x, y }, { n: 1000, factor: 2 }, [16]);
 * ```
 *
 * @module
 */

/** How a kernel accesses one storage buffer. */
export type StorageAccess = "read" | "read_write";

/** One storage buffer of a kernel, bound as `array<type>`. */
export interface StorageDecl {
  /** The WGSL variable name (and the key the buffer is passed under at dispatch). */
  readonly name: string;
  readonly access: StorageAccess;
  /** WGSL element type, e.g. `f32`, `vec4f`, `i32`, `u32`, `atomic<u32>`. */
  readonly type: string;
}

/** Types a uniform field may have. */
export type UniformType =
  | "u32"
  | "i32"
  | "f32"
  | "vec2u"
  | "vec4u"
  | "vec4i"
  | "vec4f"
  | `array<vec4u, ${number}>`
  | `array<vec4f, ${number}>`;

/** A kernel's interface and body for one specialization. */
export interface KernelInterface {
  /** Storage buffers, bound at `@binding(0..n-1)` in this order. */
  readonly storage: readonly StorageDecl[];
  /** Uniform fields in struct order, bound as `p` at `@binding(n)`; omit for none. */
  readonly uniforms?: Readonly<Record<string, UniformType>>;
  /** WGSL after the generated declarations: helpers and the `@compute fn main`. */
  readonly body: string;
}

/** Specialization constants: flat values baked into the generated code. */
export type Constants = Readonly<Record<string, string | number | boolean>>;

/** A declared kernel: its name and how to build one specialization. */
export interface KernelDeclaration<C extends Constants = Constants> {
  /** Used in error messages and as the first part of every cache key. */
  readonly name: string;
  /** Builds the interface and body of the specialization `constants` (once per key). */
  readonly build: (constants: C) => KernelInterface;
}

/**
 * Declares a kernel.
 *
 * @example
 * ```ts
 * const fill = declareKernel("fill", (c: { type: "f32" | "i32" }) => ({
 *   storage: [{ name: "out", access: "read_write", type: c.type }],
 *   uniforms: { n: "u32", value: c.type },
 *   body: "@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {" +
 *     " if (id.x < p.n) { out[id.x] = p.value; } }",
 * }));
 * ```
 */
export function declareKernel<C extends Constants>(
  name: string,
  build: (constants: C) => KernelInterface,
): KernelDeclaration<C> {
  return { name, build };
}

/**
 * The cache key of one specialization: the name and the constants in sorted order. Equal keys
 * mean equal code, because the code is a function of exactly these values.
 *
 * @example
 * ```ts
 * specializationKey("matmul", { tn: 4, tm: 8 }); // "matmul|tm=8|tn=4"
 * ```
 */
export function specializationKey(name: string, constants: Constants): string {
  let key = name;
  for (const field of Object.keys(constants).sort()) key += `|${field}=${constants[field]}`;
  return key;
}

/** One uniform field's place in the struct. */
interface UniformField {
  readonly name: string;
  /** Byte offset in the struct. */
  readonly offset: number;
  /** Scalar kind of every word. */
  readonly kind: "u" | "i" | "f";
  /** Words the field holds (1 for scalars). */
  readonly words: number;
}

/** Alignment, size and scalar kind of a uniform type in WGSL's uniform address space. */
function typeLayout(type: UniformType): { align: number; size: number; kind: "u" | "i" | "f" } {
  const array = type.match(/^array<vec4([uf]), (\d+)>$/);
  if (array) {
    const count = Number(array[2]);
    if (!Number.isInteger(count) || count < 1) throw new Error(`bad uniform type ${type}`);
    return { align: 16, size: 16 * count, kind: array[1] as "u" | "f" };
  }
  switch (type) {
    case "u32":
      return { align: 4, size: 4, kind: "u" };
    case "i32":
      return { align: 4, size: 4, kind: "i" };
    case "f32":
      return { align: 4, size: 4, kind: "f" };
    case "vec2u":
      return { align: 8, size: 8, kind: "u" };
    case "vec4u":
      return { align: 16, size: 16, kind: "u" };
    case "vec4i":
      return { align: 16, size: 16, kind: "i" };
    case "vec4f":
      return { align: 16, size: 16, kind: "f" };
  }
  throw new Error(`bad uniform type ${type}`);
}

/**
 * The byte layout of a kernel's uniform struct, computed with WGSL's alignment rules, and the
 * writing of named values into it.
 *
 * @example
 * ```ts
 * const layout = new UniformLayout({ n: "u32", shape: "vec4u" });
 * layout.byteLength; // 32 (shape aligns to 16)
 * ```
 */
export class UniformLayout {
  /** Fields in struct order. */
  readonly fields: readonly UniformField[];
  /** Bytes of the struct, a multiple of 16 (0 when there are no fields). */
  readonly byteLength: number;

  constructor(uniforms: Readonly<Record<string, UniformType>>) {
    const fields: UniformField[] = [];
    let at = 0;
    for (const [name, type] of Object.entries(uniforms)) {
      const { align, size, kind } = typeLayout(type);
      at = Math.ceil(at / align) * align;
      fields.push({ name, offset: at, kind, words: size / 4 });
      at += size;
    }
    this.fields = fields;
    this.byteLength = fields.length === 0 ? 0 : Math.ceil(at / 16) * 16;
  }

  /**
   * Writes `values` (one number per scalar field, a list per vector or array field — shorter
   * lists are padded with zeros) at byte `offset` of `target`. Throws naming a missing or
   * unknown field.
   */
  write(
    kernel: string,
    values: Readonly<Record<string, number | readonly number[]>>,
    target: DataView,
    offset: number,
  ): void {
    let given = 0;
    for (const field of this.fields) {
      const value = values[field.name];
      if (value === undefined) {
        throw new Error(`kernel "${kernel}": uniform "${field.name}" was not given`);
      }
      given++;
      const at = offset + field.offset;
      if (typeof value === "number") {
        if (field.words !== 1) {
          throw new Error(
            `kernel "${kernel}": uniform "${field.name}" takes ${field.words} values`,
          );
        }
        writeWord(target, at, field.kind, value);
        continue;
      }
      if (value.length > field.words) {
        throw new Error(
          `kernel "${kernel}": uniform "${field.name}" takes ${field.words} values, got ${value.length}`,
        );
      }
      for (let w = 0; w < field.words; w++) {
        writeWord(target, at + 4 * w, field.kind, value[w] ?? 0);
      }
    }
    if (given !== Object.keys(values).length) {
      const unknown = Object.keys(values).find((k) => !this.fields.some((f) => f.name === k));
      throw new Error(`kernel "${kernel}": it has no uniform "${unknown}"`);
    }
  }
}

function writeWord(target: DataView, at: number, kind: "u" | "i" | "f", value: number): void {
  if (kind === "f") target.setFloat32(at, value, true);
  else if (kind === "i") target.setInt32(at, value, true);
  else target.setUint32(at, value >>> 0, true);
}

/**
 * The WGSL source of a kernel interface: the uniform struct `Params` bound as `p`, one
 * `@binding` line per storage buffer, then the body.
 *
 * @example
 * ```ts
 * kernelSource({
 *   storage: [{ name: "x", access: "read", type: "f32" }],
 *   uniforms: { n: "u32" },
 *   body: "...",
 * }); // "struct Params { n: u32, }\n@group(0) @binding(0) var<storage, read> x: array<f32>;\n..."
 * ```
 */
export function kernelSource(iface: KernelInterface): string {
  const lines: string[] = [];
  const uniforms = Object.entries(iface.uniforms ?? {});
  if (uniforms.length > 0) {
    lines.push(`struct Params { ${uniforms.map(([n, t]) => `${n}: ${t},`).join(" ")} }`);
  }
  iface.storage.forEach((s, binding) => {
    lines.push(
      `@group(0) @binding(${binding}) var<storage, ${s.access}> ${s.name}: array<${s.type}>;`,
    );
  });
  if (uniforms.length > 0) {
    lines.push(`@group(0) @binding(${iface.storage.length}) var<uniform> p: Params;`);
  }
  lines.push(iface.body);
  return lines.join("\n");
}
