/**
 * Offline checks of the scale-out templates and the tasks' sandbox: deno.json's tasks run with
 * the permission table of lib/cli/sandbox.ts (every one with --no-prompt, none with -A or a
 * general --allow-run=git); the Slurm script starts the sweep with the sweep task's flags; the
 * Kubernetes manifest parses and names a valid Indexed Job whose pods run their shard.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DENO, TASK_PERMISSIONS } from "../../lib/cli/sandbox.ts";
import { parseYaml, type Yaml } from "./yaml.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("deno.json's tasks run with the sandbox table's flags, all with --no-prompt", async () => {
  const tasks: Record<string, string> =
    JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks;
  for (const [name, flags] of Object.entries(TASK_PERMISSIONS)) {
    const subcommand = name === "test" ? "test" : "run";
    const module = name === "test" ? "tests/" : `lib/cli/${name}.ts`;
    assert.equal(tasks[name], `${DENO} ${subcommand} ${flags.join(" ")} ${module}`, name);
  }
  for (const [name, line] of Object.entries(tasks)) {
    assert.match(line, /--no-prompt/, `${name} may prompt`);
    assert.doesNotMatch(line, /(^| )(-A|--allow-all)( |$)/, `${name} allows everything`);
    assert.doesNotMatch(line, /--allow-run=git/, `${name} may run git (and through it anything)`);
  }
  assert.ok(TASK_PERMISSIONS.sweep.includes(`--allow-run=${DENO}`), "sweep runs only deno");
});

Deno.test("the Slurm job script starts the sweep with the sweep task's flags", async () => {
  const script = await Deno.readTextFile(`${ROOT}scale-out/slurm-sweep.sh`);
  const line = script.split("\n").find((l) => l.startsWith("flags=("));
  assert.ok(line, "a flags=(...) line");
  const flags = line.slice("flags=(".length, -1).split(" ").map((f) =>
    f.replace(/^"|"$/g, "").replace("${write}", "results,out").replace("${deno}", DENO)
  );
  assert.deepEqual(flags, [...TASK_PERMISSIONS.sweep]);
  assert.match(
    script,
    /exec "\$\{deno\}" run "\$\{flags\[@\]\}" lib\/cli\/sweep\.ts "\$\{experiment\}"/,
  );
  assert.match(script, /--shard "\$\{SLURM_ARRAY_TASK_ID\}\/\$\{shards\}"/);
  const check = await new Deno.Command("bash", { args: ["-n", `${ROOT}scale-out/slurm-sweep.sh`] })
    .output();
  assert.ok(check.success, "bash -n: the script parses");
});

function at(value: Yaml, ...path: (string | number)[]): Yaml {
  let current = value;
  for (const key of path) {
    assert.ok(typeof current === "object", `no ${path.join(".")}`);
    current = (current as Record<string | number, Yaml>)[key];
    assert.ok(current !== undefined, `no ${path.join(".")}`);
  }
  return current;
}

Deno.test("the Kubernetes manifest parses and is an Indexed Job whose pod I runs --shard I/N", async () => {
  const manifest = parseYaml(await Deno.readTextFile(`${ROOT}scale-out/k8s-indexed-job.yaml`));
  assert.equal(at(manifest, "apiVersion"), "batch/v1");
  assert.equal(at(manifest, "kind"), "Job");
  assert.match(at(manifest, "metadata", "name") as string, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  assert.equal(at(manifest, "spec", "completionMode"), "Indexed");
  const completions = Number(at(manifest, "spec", "completions"));
  const parallelism = Number(at(manifest, "spec", "parallelism"));
  assert.ok(Number.isInteger(completions) && completions >= 1);
  assert.ok(Number.isInteger(parallelism) && parallelism >= 1 && parallelism <= completions);
  assert.ok(Number(at(manifest, "spec", "backoffLimitPerIndex")) >= 0);
  const pod = at(manifest, "spec", "template", "spec");
  assert.equal(at(pod, "restartPolicy"), "Never", "Indexed Jobs with per-index retries need Never");
  const [container] = at(pod, "containers") as Yaml[];
  const env = Object.fromEntries(
    (at(container, "env") as Yaml[]).map((e) => [at(e, "name"), at(e, "value")]),
  );
  assert.equal(Number(env.SHARDS), completions, "SHARDS must equal spec.completions");
  await Deno.stat(`${ROOT}experiments/${env.EXPERIMENT}.ts`);
  const [shell, flag, line] = at(container, "command") as string[];
  assert.deepEqual([shell, flag], ["sh", "-c"]);
  assert.equal(
    line,
    `exec ${DENO} run ${TASK_PERMISSIONS.sweep.join(" ")} lib/cli/sweep.ts "$EXPERIMENT" ` +
      `--shard "$JOB_COMPLETION_INDEX/$SHARDS"`,
  );
  const mounts = at(container, "volumeMounts") as Yaml[];
  const claim = at(at(pod, "volumes") as Yaml, 0, "persistentVolumeClaim", "claimName");
  assert.equal(at(mounts, 0, "name"), at(pod, "volumes", 0, "name"));
  assert.match(claim as string, /\S/);
  assert.ok(Number(at(pod, "terminationGracePeriodSeconds")) > 0);
});

Deno.test("the YAML reader refuses what it does not understand", () => {
  assert.deepEqual(parseYaml('a:\n  b: "x y"\n  c:\n    - 1\n    - d: e\n      f: g\n'), {
    a: { b: "x y", c: ["1", { d: "e", f: "g" }] },
  });
  assert.throws(() => parseYaml("a: [1, 2]\n"), /line 1: unsupported/);
  assert.throws(() => parseYaml("a:\n  b: 1\n c: 2\n"), /line 3/);
  assert.throws(() => parseYaml("a: 1\na: 2\n"), /duplicate key a/);
});
