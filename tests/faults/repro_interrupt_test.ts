/**
 * Fault injection on `deno task repro` (issue 13, item 2): Ctrl-C during `--variant all`
 * keeps every run that had finished, with its summaries. One GPU run, the suite's slowest
 * fault test (about 20 s on lavapipe).
 *
 * @module
 */
import assert from "node:assert/strict";
import { readRunFiles } from "../../lib/lecun/report.ts";
import { spawnTask, waitFor } from "./helpers.ts";

Deno.test("Ctrl-C during repro --variant all loses none of the finished runs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "faults-repro-" });
  try {
    const child = spawnTask("repro", [
      "--variant",
      "all",
      "--passes",
      "1",
      "--train-size",
      "20",
      "--out",
      dir,
      "--json",
    ], { writeDir: dir });
    const runs = () =>
      [...Deno.readDirSync(dir)].some((e) => e.name === "runs")
        ? [...Deno.readDirSync(`${dir}/runs`)].filter((e) => e.name.endsWith(".json")).length
        : 0;
    await waitFor("a finished run", () => runs() >= 1, 120_000);
    child.kill("SIGINT");
    const output = await child.output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 130, stderr);
    assert.match(
      stderr,
      /interrupted: \d+ run file\(s\) written to .*; the runs still training are lost/,
    );
    const finished = await readRunFiles(dir);
    assert.ok(finished.length >= 1 && finished.length < 5, `${finished.length} of 5 runs kept`);
    const md = await Deno.readTextFile(`${dir}/summary.md`);
    for (const run of finished) {
      assert.match(md, new RegExp(`\\n${run.config.variant} \\(passes 1, trainSize 20\\) +\\|`));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
