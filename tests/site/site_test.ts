/**
 * The results browser in headless Chromium: the site is built from results/ into a temporary
 * directory and each page loaded from file:// (no server); the page writes what it drew into
 * <pre id="site-status">, and the charts' SVG is read back from the DOM. Skipped, saying so,
 * when Debian's `chromium` is not installed.
 */
import assert from "node:assert/strict";
import { buildSite } from "../../lib/site/mod.ts";
import { checkVisibleMarks, readMarks } from "../../lib/plot/mod.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CHROMIUM = "chromium";

async function hasChromium(): Promise<boolean> {
  try {
    const { code } = await new Deno.Command(CHROMIUM, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return code === 0;
  } catch {
    return false;
  }
}

const available = await hasChromium();
if (!available) {
  console.warn(
    `${CHROMIUM} not found: skipping the results-browser tests (apt-get install -y chromium)`,
  );
}

interface PageStatus {
  page: string;
  charts: { name: string; ok: boolean }[];
  rows: number;
  selected: string[];
  curves: number;
  errors: string[];
}

/** The DOM of a page after its scripts ran, as headless Chromium dumps it. */
async function dumpDom(url: string): Promise<string> {
  const profile = await Deno.makeTempDir({ dir: "/tmp" });
  try {
    const { code, stdout, stderr } = await new Deno.Command(CHROMIUM, {
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        `--user-data-dir=${profile}`,
        // Scripts and vega-embed's rendering run on a virtual clock: done well within this.
        "--virtual-time-budget=30000",
        "--dump-dom",
        url,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    return new TextDecoder().decode(stdout);
  } finally {
    await Deno.remove(profile, { recursive: true });
  }
}

function statusOf(dom: string): PageStatus {
  const text = dom.match(/<pre id="site-status"[^>]*>([^<]*)<\/pre>/)?.[1];
  assert.ok(text, "the page finished and wrote its status");
  return JSON.parse(
    text.replaceAll("&quot;", '"').replaceAll("&amp;", "&").replaceAll("&lt;", "<").replaceAll(
      "&gt;",
      ">",
    ),
  );
}

/** The SVG drawn in the element with this id. */
function chartSvg(dom: string, id: string): string {
  const start = dom.indexOf(`id="${id}"`);
  assert.ok(start >= 0, `no element #${id}`);
  const open = dom.indexOf("<svg", start);
  return dom.slice(open, dom.indexOf("</svg>", open) + 6);
}

/** Builds the site from results/ into a temporary directory for `body`, then removes it. */
async function withSite(
  body: (dir: string, site: Awaited<ReturnType<typeof buildSite>>) => Promise<void>,
) {
  const dir = await Deno.makeTempDir({ dir: "/tmp" });
  try {
    await body(dir, await buildSite(`${ROOT}results`, `${dir}/site`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "results browser: built from results/, self-contained, every chart drawn with marks",
  ignore: !available,
  fn: () =>
    withSite(async (dir, site) => {
      // Every file a page loads is a relative path inside the site.
      for (const page of ["index.html", ...site.experiments.map((e) => e.page)]) {
        const html = await Deno.readTextFile(`${dir}/site/${page}`);
        for (const [, url] of html.matchAll(/\s(?:src|href)="([^"]+)"/g)) {
          assert.ok(!/^[a-z]+:|^\/\//i.test(url), `${page} loads ${url} from elsewhere`);
          await Deno.stat(`${dir}/site/${url}`);
        }
      }
      const index = statusOf(await dumpDom(`file://${dir}/site/index.html`));
      assert.deepEqual(index.errors, []);
      assert.equal(index.page, "index");
      for (const exp of site.experiments) {
        const dom = await dumpDom(`file://${dir}/site/${exp.page}`);
        const status = statusOf(dom);
        assert.deepEqual(status.errors, [], exp.name);
        assert.equal(status.rows, exp.trials, `${exp.name}: every trial listed`);
        const figures = status.charts.filter((c) => c.name !== "trial-curves");
        assert.equal(figures.length, exp.figures, `${exp.name}: every figure drawn`);
        assert.ok(status.charts.every((c) => c.ok), exp.name);
        for (const chart of figures) {
          const svg = chartSvg(dom, `figure-${chart.name}`);
          assert.deepEqual(checkVisibleMarks(svg, `${exp.name}/${chart.name}`), []);
        }
        if (exp.trials > 0) {
          assert.deepEqual(
            checkVisibleMarks(chartSvg(dom, "trial-curves"), `${exp.name}/trial-curves`),
            [],
          );
        }
      }
    }),
});

Deno.test({
  name: "results browser: ticking trials changes the overlaid curves; the table sorts and filters",
  ignore: !available,
  fn: () =>
    withSite(async (dir) => {
      {
        const page = `file://${dir}/site/gpt-model-size.html`;
        const data = await Deno.readTextFile(`${dir}/site/data/gpt-model-size.js`);
        const exp =
          JSON.parse(data.slice(data.indexOf("=") + 1).trim().replace(/;$/, "")).experiment;
        const ids: string[] = exp.trials.rows.map((row: unknown[]) => String(row[0]));
        const lines = (dom: string) =>
          readMarks(chartSvg(dom, "trial-curves")).groups.filter((g) => g.type === "line").length;
        const one = await dumpDom(`${page}#select=${ids[0]}`);
        const three = await dumpDom(`${page}#select=${ids.slice(0, 3).join(",")}`);
        assert.deepEqual(statusOf(one).selected, [ids[0]]);
        assert.equal(statusOf(one).curves, 1);
        assert.equal(lines(one), 1);
        assert.equal(statusOf(three).curves, 3);
        assert.equal(lines(three), 3);
        // Sorted by loss, highest first, filtered to the one-layer models.
        const loss = exp.trials.columns.indexOf("loss");
        const layers = exp.trials.columns.indexOf("layers");
        const oneLayer = exp.trials.rows.filter((row: unknown[]) => row[layers] === 1);
        const worst = oneLayer.reduce((a: unknown[], b: unknown[]) =>
          (a[loss] as number) >= (b[loss] as number) ? a : b
        );
        const sorted = await dumpDom(`${page}#sort=loss&desc=1&filter=layers=1`);
        assert.equal(statusOf(sorted).rows, oneLayer.length);
        const firstRow = sorted.slice(sorted.indexOf("<tbody>"));
        assert.match(firstRow, new RegExp(`^<tbody><tr><td><input[^>]*data-trial="${worst[0]}"`));
      }
    }),
});
