import assert from "node:assert/strict";
import { kernelSource, specializationKey, UniformLayout } from "../../lib/gpu/program.ts";

Deno.test("uniform layout follows WGSL's alignment: vec4 and arrays at 16 bytes", () => {
  const layout = new UniformLayout({
    n: "u32",
    c: "f32",
    shape: "array<vec4u, 2>",
    k: "i32",
    pair: "vec2u",
    v: "vec4f",
  });
  assert.deepEqual(
    layout.fields.map((f) => [f.name, f.offset, f.words]),
    [["n", 0, 1], ["c", 4, 1], ["shape", 16, 8], ["k", 48, 1], ["pair", 56, 2], ["v", 64, 4]],
  );
  assert.equal(layout.byteLength, 80);
  assert.equal(new UniformLayout({}).byteLength, 0);
  assert.equal(new UniformLayout({ a: "u32" }).byteLength, 16);
});

Deno.test("uniform writing stores each kind, pads short lists and names bad fields", () => {
  const layout = new UniformLayout({ n: "u32", i: "i32", x: "f32", shape: "vec4u" });
  const view = new DataView(new ArrayBuffer(64));
  layout.write("k", { n: 0xffffffff, i: -3, x: 0.5, shape: [7, 8] }, view, 16);
  assert.equal(view.getUint32(16, true), 0xffffffff);
  assert.equal(view.getInt32(20, true), -3);
  assert.equal(view.getFloat32(24, true), 0.5);
  assert.deepEqual([0, 1, 2, 3].map((w) => view.getUint32(32 + 4 * w, true)), [7, 8, 0, 0]);
  assert.throws(
    () => layout.write("k", { n: 1, i: 1, x: 1 }, view, 0),
    /kernel "k": uniform "shape" was not given/,
  );
  assert.throws(
    () => layout.write("k", { n: 1, i: 1, x: 1, shape: [1, 2, 3, 4, 5] }, view, 0),
    /takes 4 values, got 5/,
  );
  assert.throws(
    () => layout.write("k", { n: 1, i: 1, x: 1, shape: [], extra: 2 }, view, 0),
    /it has no uniform "extra"/,
  );
});

Deno.test("the source declares every binding and the uniform struct from the interface", () => {
  const source = kernelSource({
    storage: [
      { name: "x", access: "read", type: "vec4f" },
      { name: "y", access: "read_write", type: "f32" },
    ],
    uniforms: { n: "u32", scale: "f32" },
    body: "// body",
  });
  assert.equal(
    source,
    [
      "struct Params { n: u32, scale: f32, }",
      "@group(0) @binding(0) var<storage, read> x: array<vec4f>;",
      "@group(0) @binding(1) var<storage, read_write> y: array<f32>;",
      "@group(0) @binding(2) var<uniform> p: Params;",
      "// body",
    ].join("\n"),
  );
  assert.ok(!kernelSource({ storage: [], body: "" }).includes("uniform"));
});

Deno.test("the specialization key is the name and the constants in sorted order", () => {
  assert.equal(specializationKey("m", { b: 1, a: true }), "m|a=true|b=1");
  assert.equal(
    specializationKey("m", { a: true, b: 1 }),
    specializationKey("m", { b: 1, a: true }),
  );
  assert.notEqual(specializationKey("m", { a: 1 }), specializationKey("n", { a: 1 }));
});

Deno.test("no kernel writes a @binding line by hand: every interface comes from a declaration", async () => {
  const offenders: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts") && path !== "lib/gpu/program.ts") {
        const text = await Deno.readTextFile(path);
        if (/@binding\(/.test(text) || /var<uniform>/.test(text)) offenders.push(path);
      }
    }
  };
  for (const dir of ["kernels", "lib"]) await walk(dir);
  assert.deepEqual(offenders, []);
});
