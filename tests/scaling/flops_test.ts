import assert from "node:assert/strict";
import {
  convLayerMacs,
  gptForwardFlops,
  gptParamCounts,
  gptTrainingFlops,
  lecun1989Macs,
  trainingCostFromMacs,
} from "../../lib/scaling/mod.ts";

const GPT2_SMALL = { nLayer: 12, nHead: 12, dModel: 768, contextLength: 1024, vocabSize: 50257 };

Deno.test("GPT-2 small has 124,439,808 parameters, 85,056,000 outside embeddings", () => {
  const counts = gptParamCounts(GPT2_SMALL);
  assert.equal(counts.total, 124_439_808);
  assert.equal(counts.nonEmbedding, 85_056_000);
  assert.equal(counts.embedding, 50257 * 768 + 1024 * 768);
  assert.equal(counts.kaplanApproximation, 12 * 12 * 768 * 768);
  const untied = gptParamCounts({ ...GPT2_SMALL, tiedHead: false });
  assert.equal(untied.total - counts.total, 50257 * 768);
  assert.equal(untied.nonEmbedding, counts.nonEmbedding);
  const noBias = gptParamCounts({ ...GPT2_SMALL, bias: false });
  assert.equal(counts.perLayer - noBias.perLayer, 3 * 768 + 768 + 3072 + 768 + 2 * 768);
  assert.equal(counts.total - noBias.total, 12 * (counts.perLayer - noBias.perLayer) + 768);
  const fixedPositions = gptParamCounts({ ...GPT2_SMALL, learnedPositions: false });
  assert.equal(counts.total - fixedPositions.total, 1024 * 768);
  assert.equal(fixedPositions.nonEmbedding, counts.nonEmbedding);
});

Deno.test("forward FLOPs follow Hoffmann et al.'s table A4 term by term", () => {
  const config = { nLayer: 2, nHead: 4, dModel: 64, dFF: 200, contextLength: 32, vocabSize: 100 };
  const f = gptForwardFlops(config);
  const [t, d, v, h, ff] = [32, 64, 100, 4, 200];
  assert.equal(f.embeddings, 2 * t * v * d);
  assert.equal(f.attentionQkv, 2 * 3 * t * d * d);
  assert.equal(f.attentionLogits, 2 * t * t * d);
  assert.equal(f.attentionSoftmax, 3 * h * t * t);
  assert.equal(f.attentionReduction, 2 * t * t * d);
  assert.equal(f.attentionProjection, 2 * t * d * d);
  assert.equal(f.feedForward, 2 * t * 2 * d * ff);
  assert.equal(f.logits, 2 * t * d * v);
  const perLayer = f.attentionQkv + f.attentionLogits + f.attentionSoftmax +
    f.attentionReduction + f.attentionProjection + f.feedForward;
  assert.equal(f.total, f.embeddings + 2 * perLayer + f.logits);
});

Deno.test("training FLOPs: exact count is 3× forward and near 6·N·D for wide, short models", () => {
  const tokens = 1e9;
  const small = gptTrainingFlops(GPT2_SMALL, tokens);
  assert.equal(small.exact, 3 * gptForwardFlops(GPT2_SMALL).total / 1024 * tokens);
  assert.equal(small.approx6ND, 6 * 124_439_808 * tokens);
  // GPT-3 175B: attention over 2048 tokens is a few percent of the FLOPs.
  const gpt3 = { nLayer: 96, nHead: 96, dModel: 12288, contextLength: 2048, vocabSize: 50257 };
  const big = gptTrainingFlops(gpt3, tokens);
  const ratio = big.exact / big.approx6ND;
  assert.ok(ratio > 1 && ratio < 1.1, `exact/6ND = ${ratio}`);
  assert.throws(() => gptTrainingFlops(GPT2_SMALL, 0), { message: /tokens must be a positive/ });
  assert.throws(
    () => gptParamCounts({ ...GPT2_SMALL, nHead: 7 }),
    { message: "dModel (768) must be divisible by nHead (7)" },
  );
});

Deno.test("LeCun 1989 net: 63,660 MACs; training costs 3 × MACs per example", () => {
  assert.equal(lecun1989Macs(), 63_660);
  const cost = trainingCostFromMacs(lecun1989Macs(), 7291 * 23);
  assert.equal(cost.macs, 3 * 63_660 * 7291 * 23);
  assert.equal(cost.flops, 2 * cost.macs);
  assert.throws(
    () =>
      convLayerMacs({
        outChannels: 12,
        outHeight: 8,
        outWidth: 8,
        kernelHeight: 5,
        kernelWidth: 0,
        inChannelsPerOutput: 1,
      }),
    { message: "kernelWidth must be a positive integer, got 0" },
  );
});
