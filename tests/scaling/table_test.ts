import assert from "node:assert/strict";
import { excludeHighest, positiveColumn, readCsvTable } from "../../lib/scaling/mod.ts";

async function csvTable(text: string) {
  const path = await Deno.makeTempFile({ suffix: ".csv" });
  await Deno.writeTextFile(path, text);
  try {
    return await readCsvTable(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("a missing column is named with the available ones", async () => {
  const table = await csvTable("N,tokens,loss\n1e6,1e9,3.1\n");
  assert.throws(() => positiveColumn(table, "params"), {
    message: 'column "params" not found; available columns: "N", "tokens", "loss"',
  });
});

Deno.test("non-positive and non-numeric values name the column and row", async () => {
  const table = await csvTable("N,loss,label\n1e6,3.1,a\n2e6,0,b\n-4,2.5,c\n");
  assert.throws(() => positiveColumn(table, "loss"), {
    message: 'column "loss" row 2 is 0; it is log-transformed, so every value must be positive',
  });
  assert.throws(() => positiveColumn(table, "N"), { message: /^column "N" row 3 is -4;/ });
  assert.throws(() => positiveColumn(table, "label"), {
    message: 'column "label" row 1 is "a"; expected a number',
  });
});

Deno.test("excludeHighest drops the highest rows and refuses to drop them all", async () => {
  const table = await csvTable("loss\n3\n9\n4\n7\n");
  assert.deepEqual(Array.from(excludeHighest(table, "loss", 2).array("loss") as number[]), [4, 3]);
  assert.throws(() => excludeHighest(table, "loss", 4), {
    message: "cannot exclude 4 of 4 rows; none would remain",
  });
});

Deno.test("a missing file or an empty table is a one-line error", async () => {
  await assert.rejects(() => readCsvTable("/nonexistent/runs.csv"), {
    message: "cannot read table /nonexistent/runs.csv: no such file",
  });
  await assert.rejects(() => csvTable("N,loss\n"), { message: /has no rows$/ });
});
