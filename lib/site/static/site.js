// The results browser's page script (a classic script: it runs from file:// and any static
// host). It reads the data a page's data/*.js set on `globalThis`, draws every figure with
// vega-embed, the trial table (sortable by a header click, filtered by the text box), and the
// training curves of the trials whose boxes are ticked. The page's hash can preset a view:
// #select=id1,id2&sort=loss&desc=1&filter=relu&metric=val_loss. When every chart is drawn the
// page writes what it drew into <pre id="site-status"> (read by the tests).
(function () {
  "use strict";

  const status = { page: "", charts: [], rows: 0, selected: [], curves: 0, errors: [] };

  function element(tag, attributes, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children || []) node.append(child);
    return node;
  }

  function hashParams() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    return {
      select: params.get("select") ? params.get("select").split(",") : null,
      sort: params.get("sort"),
      desc: params.get("desc") === "1",
      filter: params.get("filter") || "",
      metric: params.get("metric"),
    };
  }

  function embed(container, spec, name) {
    // vega-embed is the bundled build (globalThis.vegaEmbed); SVG so the page can be read back.
    return globalThis.vegaEmbed(container, spec, {
      renderer: "svg",
      actions: { export: true, source: false, compiled: false, editor: false },
    }).then(
      (result) => {
        status.charts.push({ name, ok: true });
        return result;
      },
      (error) => {
        status.charts.push({ name, ok: false });
        status.errors.push(`${name}: ${error.message}`);
        container.append(
          element("p", { class: "error", text: `could not draw: ${error.message}` }),
        );
      },
    );
  }

  function finish() {
    document.getElementById("site-status").textContent = JSON.stringify(status);
    document.body.dataset.ready = "true";
  }

  function renderIndex(index) {
    status.page = "index";
    const list = document.getElementById("experiments");
    for (const exp of index.experiments) {
      const card = element("article", { class: "card" }, [
        element("h2", {}, [element("a", { href: `${exp.name}.html`, text: exp.name })]),
        element("p", {
          class: "meta",
          text: `${exp.trials} trial${exp.trials === 1 ? "" : "s"} · ${exp.figures} figure${
            exp.figures === 1 ? "" : "s"
          }`,
        }),
        element(
          "ul",
          { class: "headline" },
          exp.headline.map((line) => element("li", { text: line })),
        ),
      ]);
      if (exp.thumbnail) {
        card.prepend(element("a", { href: `${exp.name}.html` }, [
          element("img", { src: exp.thumbnail, alt: `${exp.name}: ${exp.thumbnailTitle}` }),
        ]));
      }
      list.append(card);
    }
    finish();
  }

  function formatCell(value) {
    if (value === null || value === undefined) return "";
    if (typeof value !== "number") return String(value);
    const size = Math.abs(value);
    if (size >= 1e5 || (size > 0 && size < 1e-3)) return value.toExponential(2).replace("e+", "e");
    return String(Number(value.toPrecision(4)));
  }

  /** Tokens of the filter: `col<v`, `col>v`, `col=v`, or text any cell must contain. */
  function matches(row, columns, filter) {
    return filter.trim().split(/\s+/).filter(Boolean).every((token) => {
      const compare = token.match(/^([\w.-]+)(<=|>=|<|>|=)(.+)$/);
      if (compare && columns.includes(compare[1])) {
        const value = row[columns.indexOf(compare[1])];
        const [, , op, wanted] = compare;
        const number = Number(wanted);
        if (op === "=") return formatCell(value).toLowerCase() === wanted.toLowerCase();
        if (typeof value !== "number" || Number.isNaN(number)) return false;
        return op === "<"
          ? value < number
          : op === ">"
          ? value > number
          : op === "<="
          ? value <= number
          : value >= number;
      }
      return row.some((value) => formatCell(value).toLowerCase().includes(token.toLowerCase()));
    });
  }

  function renderExperiment(exp) {
    status.page = exp.name;
    const params = hashParams();
    const pending = [];

    const headline = document.getElementById("headline");
    for (const line of exp.headline) headline.append(element("li", { text: line }));
    if (exp.headline.length === 0) headline.append(element("li", { text: "no fitted laws" }));

    const figures = document.getElementById("figures");
    for (const figure of exp.figures) {
      const chart = element("div", { class: "chart", id: `figure-${figure.name}` });
      const links = element("p", { class: "files" }, [
        ...figure.files.map((file) =>
          element("a", { href: `img/${exp.name}/${file}`, text: file })
        ),
      ]);
      figures.append(element("section", { class: "figure" }, [
        element("h3", { text: figure.name }),
        chart,
        links,
      ]));
      pending.push(embed(chart, figure.spec, figure.name));
    }

    // The trial table.
    const table = exp.trials;
    const ids = table.rows.map((row) => String(row[0]));
    const selected = new Set(params.select || ids.slice(0, Math.min(3, ids.length)));
    let sort = { column: params.sort, descending: params.desc };
    const filterBox = document.getElementById("filter");
    filterBox.value = params.filter;
    const tbody = element("tbody");
    const header = element("tr", {}, [element("th", { text: "show" })]);
    table.columns.forEach((column) => {
      const button = element("button", { type: "button", "data-column": column, text: column });
      button.addEventListener("click", () => {
        sort = { column, descending: sort.column === column ? !sort.descending : false };
        drawRows();
      });
      const numeric = table.numeric.includes(column);
      header.append(element("th", { class: numeric ? "number" : "" }, [button]));
    });
    document.getElementById("trials").append(element("thead", {}, [header]), tbody);

    function visibleRows() {
      let rows = table.rows.filter((row) => matches(row, table.columns, filterBox.value));
      const c = table.columns.indexOf(sort.column);
      if (c >= 0) {
        rows = [...rows].sort((a, b) => {
          const [x, y] = [a[c], b[c]];
          const order = typeof x === "number" && typeof y === "number"
            ? x - y
            : formatCell(x).localeCompare(formatCell(y), "en", { numeric: true });
          return sort.descending ? -order : order;
        });
      }
      return rows;
    }

    function drawRows() {
      const rows = visibleRows();
      tbody.replaceChildren(...rows.map((row) => {
        const id = String(row[0]);
        const box = element("input", {
          type: "checkbox",
          "data-trial": id,
          "aria-label": `show ${id}`,
        });
        box.checked = selected.has(id);
        box.addEventListener("change", () => {
          if (box.checked) selected.add(id);
          else selected.delete(id);
          drawCurves();
        });
        return element("tr", {}, [
          element("td", {}, [box]),
          ...row.map((value, c) =>
            element("td", {
              class: table.numeric.includes(table.columns[c]) ? "number" : "",
              text: formatCell(value),
            })
          ),
        ]);
      }));
      status.rows = rows.length;
      document.getElementById("shown").textContent =
        `${rows.length} of ${table.rows.length} trials`;
    }
    filterBox.addEventListener("input", drawRows);
    document.getElementById("select-shown").addEventListener("click", () => {
      for (const row of visibleRows()) selected.add(String(row[0]));
      drawRows();
      drawCurves();
    });
    document.getElementById("select-none").addEventListener("click", () => {
      selected.clear();
      drawRows();
      drawCurves();
    });
    drawRows();

    // The training curves of the selected trials.
    const metricBox = document.getElementById("metric");
    for (const chart of exp.curves) {
      metricBox.append(
        element("option", { value: chart.metric, text: `${chart.metric} against ${chart.x}` }),
      );
    }
    if (params.metric) metricBox.value = params.metric;
    metricBox.addEventListener("change", drawCurves);
    const curves = document.getElementById("trial-curves");
    let drawn = null;

    function drawCurves() {
      if (drawn) drawn.finalize();
      drawn = null;
      const chart = exp.curves.find((c) => c.metric === metricBox.value) || exp.curves[0];
      if (!chart) {
        curves.replaceChildren(element("p", { text: "no training history recorded" }));
        return Promise.resolve();
      }
      const { columns, trials } = exp.histories;
      const x = columns.indexOf(chart.x), y = columns.indexOf(chart.metric);
      const rows = [...selected].filter((id) => trials[id]).flatMap((id) =>
        trials[id].filter((point) => point[x] !== null && point[y] !== null && point[x] > 0)
          .map((point) => ({
            [chart.x]: point[x],
            [chart.metric]: point[y],
            trial: exp.labels[id],
          }))
      );
      status.selected = [...selected].sort();
      status.curves = new Set(rows.map((row) => row.trial)).size;
      if (rows.length === 0) {
        curves.replaceChildren(
          element("p", { text: "tick trials in the table to overlay their curves" }),
        );
        return Promise.resolve();
      }
      const spec = JSON.parse(JSON.stringify(chart.spec));
      spec.data = { values: rows };
      curves.replaceChildren();
      return embed(curves, spec, "trial-curves").then((result) => {
        drawn = result || null;
      });
    }
    pending.push(drawCurves());

    Promise.all(pending).then(finish, (error) => {
      status.errors.push(String(error));
      finish();
    });
  }

  const data = globalThis.SCALELAB_SITE;
  if (!data) {
    status.errors.push("no data loaded (data/*.js missing)");
    finish();
  } else if (data.index) renderIndex(data.index);
  else renderExperiment(data.experiment);
})();
