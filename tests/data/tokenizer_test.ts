import { assert } from "./assert.ts";
import {
  BpeTokenizer,
  ByteTokenizer,
  loadTokenizer,
  type Merge,
  saveTokenizer,
} from "../../lib/data/tokenizer.ts";
import { loadMobyDick } from "../../lib/data/text/corpora.ts";

const SAMPLES = [
  "",
  "a",
  "Hello, world!",
  "naïve café — 日本語のテキスト, emoji 🎉👩‍👩‍👧 and combining e\u0301",
  "  leading and trailing spaces  \n\n\ttabs\r\nCRLF  ",
  "numbers 1234567890 and 3.14159, contractions: I'm, you'll, it's, we've, they'd",
  "\u0000\u0001 control \u007f chars",
  "x".repeat(1000) + " " + " ".repeat(300),
];

const mobyText = (await loadMobyDick()).slice(3, 30).map((d) => d.text);

Deno.test("byte tokenizer: UTF-8 bytes, vocab 256, exact round trip", () => {
  const bytes = new ByteTokenizer();
  assert.equal(bytes.vocabSize, 256);
  assert.deepEqual(Array.from(bytes.encode("é")), [195, 169]);
  assert.deepEqual(Array.from(bytes.encode("")), []);
  for (const text of SAMPLES) {
    const ids = bytes.encode(text);
    assert.deepEqual(ids, new TextEncoder().encode(text));
    assert.equal(bytes.decode(ids), text);
  }
  assert.throws(() => bytes.decode([72, 256]), /token id 256 is outside the vocabulary \[0, 256\)/);
});

Deno.test("BPE: trains to the requested vocab size and round-trips any text exactly", () => {
  const bpe = BpeTokenizer.train(mobyText, { vocabSize: 512 });
  assert.equal(bpe.vocabSize, 512);
  assert.equal(bpe.merges.length, 256);
  for (const text of [...SAMPLES, ...mobyText.slice(0, 5)]) {
    const ids = bpe.encode(text);
    assert.ok(ids instanceof Uint16Array);
    assert.ok(ids.every((id) => id < 512));
    assert.equal(bpe.decode(ids), text);
  }
  assert.equal(bpe.encode("").length, 0);
  assert.equal(bpe.decode([]), "");
  assert.throws(() => bpe.decode([512]), /token id 512 is outside the vocabulary \[0, 512\)/);
});

Deno.test("BPE: compresses its training text below one token per byte", () => {
  const bpe = BpeTokenizer.train(mobyText, { vocabSize: 512 });
  const text = mobyText.join("\n\n");
  const bytesPerToken = new TextEncoder().encode(text).length / bpe.encode(text).length;
  assert.ok(bytesPerToken > 1.8, `only ${bytesPerToken.toFixed(2)} bytes per token`);
});

Deno.test("BPE: training is deterministic and independent of document order", () => {
  const first = BpeTokenizer.train(mobyText, { vocabSize: 400 });
  const again = BpeTokenizer.train(mobyText, { vocabSize: 400 });
  const reversed = BpeTokenizer.train(mobyText.slice().reverse(), { vocabSize: 400 });
  assert.deepEqual(again.merges, first.merges);
  assert.deepEqual(reversed.merges, first.merges);
  assert.deepEqual(first.merges[0], [32, 116]); // " t": the most frequent pair in English text
});

Deno.test("BPE: incremental pair counts give the merges of a full recount per merge", () => {
  const texts = mobyText.slice(0, 3).map((text) => text.slice(0, 4000));
  const fast = BpeTokenizer.train(texts, { vocabSize: 340 });
  assert.deepEqual(fast.merges, recountMerges(texts, 340 - 256));
});

Deno.test("BPE: encoding matches applying the merges in training order", () => {
  const bpe = BpeTokenizer.train(mobyText, { vocabSize: 300 });
  const word = " whale";
  let ids = Array.from(new TextEncoder().encode(word));
  bpe.merges.forEach(([left, right], i) => {
    ids = mergeAll(ids, left, right, 256 + i);
  });
  assert.deepEqual(Array.from(bpe.encode(word)), ids);
});

Deno.test("BPE: bad options and too little text are clear errors", () => {
  assert.throws(
    () => BpeTokenizer.train("abc", { vocabSize: 255 }),
    /vocabSize must be an integer in \[256, 65536\], got 255/,
  );
  assert.throws(
    () => BpeTokenizer.train("ab ab", { vocabSize: 300 }),
    /yields only \d+ merges, short of the 44 needed for vocabSize 300/,
  );
  assert.throws(() => new BpeTokenizer([[1, 2], [300, 4]]), /merge 1 uses token 300/);
  assert.throws(() => new BpeTokenizer([[1, 2], [1, 2]]), /merge 1 repeats the pair \[1, 2\]/);
});

Deno.test("tokenizers save to JSON and load back identical", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bpe = BpeTokenizer.train(mobyText, { vocabSize: 320 });
    await saveTokenizer(`${dir}/bpe.json`, bpe);
    const loaded = await loadTokenizer(`${dir}/bpe.json`);
    assert.ok(loaded instanceof BpeTokenizer);
    assert.deepEqual(loaded.merges, bpe.merges);
    assert.deepEqual(loaded.encode(SAMPLES[3]), bpe.encode(SAMPLES[3]));
    const json = JSON.parse(await Deno.readTextFile(`${dir}/bpe.json`));
    assert.equal(json.type, "bpe");
    assert.equal(json.vocabSize, 320);
    assert.deepEqual(BpeTokenizer.fromJSON(json).merges, bpe.merges);

    await saveTokenizer(`${dir}/byte.json`, new ByteTokenizer());
    assert.ok((await loadTokenizer(`${dir}/byte.json`)) instanceof ByteTokenizer);
    assert.deepEqual(Array.from(Deno.readDirSync(dir), (e) => e.name).sort(), [
      "bpe.json",
      "byte.json",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loading a bad tokenizer file is a one-line error naming it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: [string, string, RegExp][] = [
      ["missing.json", "", /missing\.json: no such tokenizer file/],
      ["bad.json", "{not json", /bad\.json: tokenizer file is not valid JSON/],
      ["type.json", `{"type":"wordpiece","version":1}`, /type\.json: unknown tokenizer type/],
      [
        "size.json",
        `{"type":"bpe","version":1,"pretokenizer":"gpt2","vocabSize":300,"merges":[[1,2]]}`,
        /size\.json: vocabSize 300 does not match 256 \+ 1 merges/,
      ],
      [
        "future.json",
        `{"type":"bpe","version":1,"pretokenizer":"gpt2","vocabSize":257,"merges":[[1,999]]}`,
        /future\.json: BPE merge 0 uses token 999/,
      ],
    ];
    for (const [name, content, pattern] of cases) {
      if (content !== "") await Deno.writeTextFile(`${dir}/${name}`, content);
      await assert.rejects(loadTokenizer(`${dir}/${name}`), (error: Error) => {
        assert.match(error.message, pattern);
        assert.ok(!error.message.includes("\n"), `multi-line error: ${error.message}`);
        return true;
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Plain BPE: recount every pair over all chunks before each merge (slow, obviously right). */
function recountMerges(texts: string[], mergeCount: number): Merge[] {
  const split = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
  let words = texts.flatMap((text) =>
    Array.from(text.matchAll(split), (m) => Array.from(new TextEncoder().encode(m[0])))
  );
  const merges: Merge[] = [];
  for (let m = 0; m < mergeCount; m++) {
    const counts = new Map<string, number>();
    for (const word of words) {
      for (let i = 0; i + 1 < word.length; i++) {
        const key = `${word[i]},${word[i + 1]}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    let best: [number, number] | undefined;
    let bestCount = 0;
    for (const [key, count] of counts) {
      const pair = key.split(",").map(Number) as [number, number];
      const smaller = best !== undefined &&
        (pair[0] < best[0] || (pair[0] === best[0] && pair[1] < best[1]));
      if (count > bestCount || (count === bestCount && smaller)) {
        best = pair;
        bestCount = count;
      }
    }
    assert.ok(best, "the test text ran out of pairs");
    const [left, right] = best;
    merges.push([left, right]);
    words = words.map((word) => mergeAll(word, left, right, 256 + m));
  }
  return merges;
}

function mergeAll(ids: number[], left: number, right: number, merged: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] === left && ids[i + 1] === right) {
      out.push(merged);
      i++;
    } else {
      out.push(ids[i]);
    }
  }
  return out;
}
