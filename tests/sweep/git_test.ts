import assert from "node:assert/strict";
import { gitCommit } from "../../lib/sweep/git.ts";

const A = "a".repeat(40);
const B = "b".repeat(40);
const C = "c".repeat(40);

async function write(path: string, text: string) {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(path, text);
}

Deno.test("the commit comes from .git files: loose refs, packed-refs, worktrees, detached HEAD", async () => {
  const root = await Deno.makeTempDir({ prefix: "sweep-git-" });
  try {
    assert.equal(await gitCommit(root), null, "not a repository");
    const main = `${root}/main`;
    await write(`${main}/.git/HEAD`, "ref: refs/heads/main\n");
    await write(`${main}/.git/refs/heads/main`, `${A}\n`);
    await Deno.mkdir(`${main}/lib/deep`, { recursive: true });
    assert.equal(await gitCommit(`${main}/lib/deep`), A, "found from a subdirectory");

    await Deno.remove(`${main}/.git/refs/heads/main`);
    await write(`${main}/.git/packed-refs`, `# pack-refs with: peeled\n${B} refs/heads/main\n`);
    assert.equal(await gitCommit(main), B, "packed ref");

    const wt = `${root}/wt`;
    await write(`${wt}/.git`, `gitdir: ${main}/.git/worktrees/wt\n`);
    await write(`${main}/.git/worktrees/wt/HEAD`, "ref: refs/heads/feature\n");
    await write(`${main}/.git/worktrees/wt/commondir`, "../..\n");
    await write(`${main}/.git/refs/heads/feature`, `${C}\n`);
    assert.equal(await gitCommit(wt), C, "worktree: gitdir file, commondir");

    await write(`${main}/.git/HEAD`, `${A}\n`);
    assert.equal(await gitCommit(main), A, "detached HEAD");
    await write(`${main}/.git/HEAD`, "ref: refs/heads/unborn\n");
    assert.equal(await gitCommit(main), null, "no commit yet");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("this checkout's commit is read with no --allow-run", async () => {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  const git = new URL("../../lib/sweep/git.ts", import.meta.url).href;
  await Deno.writeTextFile(
    script,
    `import { gitCommit } from "${git}";\nconsole.log(await gitCommit());\n`,
  );
  const root = new URL("../../", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-read", script],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(script);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const inCheckout = await Deno.stat(`${root}.git`).then(() => true, () => false);
  const printed = new TextDecoder().decode(stdout).trim();
  assert.match(printed, inCheckout ? /^[0-9a-f]{40}$/ : /^null$/);
});
