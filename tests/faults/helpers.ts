/**
 * Running the commands as a user does, for the fault-injection tests: each CLI in a process of
 * its own, with its task's permission flags (from lib/cli/sandbox.ts, which deno.json's tasks
 * must match), optionally with writes allowed in a temp directory instead of results/ and out/.
 *
 * @module
 */
import { TASK_PERMISSIONS } from "../../lib/cli/sandbox.ts";

export const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** What a command did. */
export interface Outcome {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

type Task = keyof typeof TASK_PERMISSIONS;

/** The `deno run` arguments of `task`, writing to `writeDir` instead of the task's dirs. */
export function taskArgs(task: Task, args: readonly string[], writeDir?: string): string[] {
  const flags = TASK_PERMISSIONS[task].map((flag) => {
    if (writeDir !== undefined && flag.startsWith("--allow-write=")) {
      return `--allow-write=${writeDir}`;
    }
    if (flag === "--allow-run=node_modules/deno/deno") return `--allow-run=${Deno.execPath()}`;
    return flag;
  });
  return ["run", ...flags, `lib/cli/${task}.ts`, ...args];
}

/** Starts `task` with piped output. */
export function spawnTask(
  task: Task,
  args: readonly string[],
  options: { writeDir?: string; env?: Record<string, string>; clearEnv?: boolean } = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: taskArgs(task, args, options.writeDir),
    cwd: ROOT,
    clearEnv: options.clearEnv,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs `task` to its end, killing it (and failing the caller) after `timeoutMs`. */
export async function runTask(
  task: Task,
  args: readonly string[],
  options: {
    writeDir?: string;
    env?: Record<string, string>;
    clearEnv?: boolean;
    timeoutMs?: number;
  } = {},
): Promise<Outcome> {
  const child = spawnTask(task, args, options);
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  const output = await child.output();
  clearTimeout(timer);
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return {
    code: output.code,
    signal: output.signal,
    stdout: decode(output.stdout),
    stderr: decode(output.stderr),
  };
}

/** stderr lines other than the environment's own warnings. */
export function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.trim() !== "");
}

/** Waits until `condition` holds (polling), or throws after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Lines "<run> <id> <kind>" that the faulty fixture logs as its trials start. */
export async function startedLog(path: string): Promise<string[][]> {
  try {
    return (await Deno.readTextFile(path)).trim().split("\n").filter((l) => l).map((l) =>
      l.split(" ")
    );
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}
