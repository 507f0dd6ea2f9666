import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** Every local target of a Markdown image or link, or an HTML src/href, in `text`. */
function localTargets(text: string): { target: string; image: boolean }[] {
  const found: { target: string; image: boolean }[] = [];
  // Code blocks hold commands and YAML, not links.
  const prose = text.replace(/```[\s\S]*?```/g, "");
  for (const [, bang, target] of prose.matchAll(/(!?)\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    found.push({ target, image: bang === "!" });
  }
  for (const [, attribute, target] of prose.matchAll(/<(?:img|a)\b[^>]*\s(src|href)="([^"]+)"/g)) {
    found.push({ target, image: attribute === "src" });
  }
  return found.filter(({ target }) => !/^([a-z]+:|#|\/\/)/i.test(target));
}

Deno.test("README: every image and local link points at a file that exists", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const targets = localTargets(readme);
  const images = targets.filter((t) => t.image);
  assert.ok(images.length >= 7, `the README shows its figures (${images.length} images)`);
  const missing: string[] = [];
  for (const { target, image } of targets) {
    const path = decodeURIComponent(target.split("#")[0]);
    const info = await Deno.stat(new URL(path, ROOT)).catch(() => undefined);
    if (!info || (image && !(info.isFile && info.size > 1000))) missing.push(target);
  }
  assert.deepEqual(missing, [], "broken links in README.md");
});

Deno.test("README link check: finds images, links and HTML sources, skips URLs and code", () => {
  const text = '![a](x.png) [b](dir/y.md#part) <img src="z.svg"> [c](https://e.org) [d](#top)\n' +
    "```sh\n![not](in-code.png)\n```\n";
  assert.deepEqual(localTargets(text), [
    { target: "x.png", image: true },
    { target: "dir/y.md#part", image: false },
    { target: "z.svg", image: true },
  ]);
});
