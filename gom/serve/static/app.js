// The page of `gom serve`: the graph of miniModels, a panel for the selected one, and an ask box.
// Plain JavaScript, no library. All text from the API goes through textContent, never innerHTML.
"use strict";

(() => {
  const SVG_NS = "http://www.w3.org/2000/svg";
  const WORLD = 1000; // the layout is normalised into a WORLD × WORLD square
  const MANY = 60; // with more nodes in view, labels only for the highlighted ones
  const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                   "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#17becf"];
  const NO_COMMUNITY = "#b8bcc2";

  const $ = (sel) => document.querySelector(sel);
  const svg = $("#graph");
  const viewport = $("#viewport");

  const st = {
    nodes: new Map(), // id -> {id, rows, community, adapter, wx, wy, r0, adj: [edge], circle, label}
    edges: [], // {s, t, metrics, line}
    metrics: [],
    metric: null,
    range: [0, 1], // [min, max] of the chosen metric's values
    selected: null,
    routed: null,
    matches: new Set(),
    view: { k: 1, x: 0, y: 0 },
    fitK: 1,
    sizedAt: NaN, // the zoom that the circles were last sized for
    fitted: false, // the view is the fitted one (refitted when the graph's box changes size)
    key: sessionStorage.getItem("gom-api-key") || "",
  };

  // ---------- small helpers ----------
  function setState(s) { document.body.dataset.state = s; }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children) if (c != null) node.append(c); // strings become text nodes
    return node;
  }

  function svgEl(tag, attrs = {}) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  }

  function fmt(v) {
    if (v == null || !Number.isFinite(v)) return "–";
    if (Number.isInteger(v)) return v.toLocaleString("en-US");
    const a = Math.abs(v);
    return a >= 1000 ? Math.round(v).toLocaleString("en-US") : v.toFixed(a >= 10 ? 1 : 3);
  }

  function showStatus(message, kind = "info") {
    const box = $("#status");
    box.textContent = message || "";
    box.className = kind;
    box.hidden = !message;
  }

  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const edgeValue = (e) => { const v = e.metrics ? e.metrics[st.metric] : null; return Number.isFinite(v) ? v : null; };
  const other = (e, id) => (e.s.id === id ? e.t : e.s);

  // ---------- the API, with the optional key ----------
  let keyWaiters = [];

  async function errorMessage(resp) {
    try {
      const body = await resp.json();
      if (body && body.error && body.error.message) return String(body.error.message);
      if (body && body.detail) return typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    } catch (_) { /* not JSON */ }
    return `${resp.status} ${resp.statusText}`.trim();
  }

  function askForKey(message) {
    $("#key-form").hidden = false;
    showStatus(`${message} — enter the server's API key above.`, "error");
    $("#api-key").focus();
    return new Promise((resolve) => keyWaiters.push(resolve));
  }

  $("#key-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    st.key = $("#api-key").value.trim();
    sessionStorage.setItem("gom-api-key", st.key);
    showStatus("");
    const waiting = keyWaiters;
    keyWaiters = [];
    waiting.forEach((resolve) => resolve());
  });

  async function api(path, body) {
    for (;;) {
      const headers = {};
      if (body !== undefined) headers["Content-Type"] = "application/json";
      if (st.key) headers.Authorization = `Bearer ${st.key}`;
      const resp = await fetch(path, {
        method: body === undefined ? "GET" : "POST",
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (resp.status === 401) { await askForKey(await errorMessage(resp)); continue; }
      if (!resp.ok) throw new Error(await errorMessage(resp));
      return resp;
    }
  }

  // ---------- building the graph ----------
  function layout(nodes) {
    const ok = nodes.filter((n) => Number.isFinite(n.x) && Number.isFinite(n.y));
    const xs = ok.map((n) => n.x), ys = ok.map((n) => n.y);
    const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
    const span = Math.max(x1 - x0, y1 - y0) || 1;
    const ox = (WORLD - ((x1 - x0) / span) * WORLD) / 2, oy = (WORLD - ((y1 - y0) / span) * WORLD) / 2;
    nodes.forEach((n, i) => {
      if (ok.length && Number.isFinite(n.x) && Number.isFinite(n.y)) {
        n.wx = ox + ((n.x - x0) / span) * WORLD;
        n.wy = oy + ((n.y - y0) / span) * WORLD;
      } else { // no layout for this node: put it on a circle around the rest
        const a = (2 * Math.PI * i) / nodes.length;
        n.wx = WORLD / 2 + WORLD * 0.6 * Math.cos(a);
        n.wy = WORLD / 2 + WORLD * 0.6 * Math.sin(a);
      }
    });
  }

  function communityColours(nodes) {
    const ids = [...new Set(nodes.map((n) => n.community).filter((c) => c != null))];
    ids.sort((a, b) => (typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b))));
    return new Map(ids.map((c, i) => [c, PALETTE[i % PALETTE.length]]));
  }

  function buildGraph(data) {
    const nodes = (data.nodes || []).map((n) => ({ ...n, rows: Number(n.rows) || 0, adj: [] }));
    layout(nodes);
    const colours = communityColours(nodes);
    const { width, height } = svg.getBoundingClientRect();
    const spacing = Math.sqrt((width * height) / Math.max(1, nodes.length)); // between nodes, in pixels
    const rMax = clamp(spacing * 0.3, 5, 22), rMin = Math.max(2.5, rMax * 0.35);
    const maxRows = Math.max(1, ...nodes.map((n) => n.rows));

    const nodeLayer = $("#nodes"), labelLayer = $("#labels");
    nodeLayer.replaceChildren();
    labelLayer.replaceChildren();
    st.nodes.clear();
    for (const n of nodes) {
      n.r0 = rMin + (rMax - rMin) * Math.sqrt(n.rows / maxRows);
      n.colour = n.community == null ? NO_COMMUNITY : colours.get(n.community);
      n.circle = svgEl("circle", { class: "node", "data-id": n.id, cx: n.wx, cy: n.wy, r: n.r0, fill: n.colour });
      const title = svgEl("title");
      title.textContent = `${n.id} — ${fmt(n.rows)} rows`;
      n.circle.append(title);
      n.label = svgEl("text", { class: "label", "data-id": n.id, x: n.wx, y: n.wy });
      n.label.textContent = n.id;
      nodeLayer.append(n.circle);
      labelLayer.append(n.label);
      st.nodes.set(n.id, n);
    }
    st.edges = [];
    for (const e of data.edges || []) {
      const s = st.nodes.get(e.source), t = st.nodes.get(e.target);
      if (!s || !t || s === t) continue;
      const edge = { s, t, metrics: e.metrics || {} };
      st.edges.push(edge);
      s.adj.push(edge);
      t.adj.push(edge);
    }
    $("#node-names").replaceChildren(...[...st.nodes.keys()].sort().map((id) => el("option", { value: id })));
    drawLegend(nodes, colours);
  }

  function drawLegend(nodes, colours) {
    const groups = new Map();
    for (const n of nodes) {
      const key = n.community == null ? null : n.community;
      const g = groups.get(key) || { label: n.community_label, count: 0, colour: n.colour };
      g.count += 1;
      g.label = g.label || n.community_label;
      groups.set(key, g);
    }
    const legend = $("#legend");
    legend.replaceChildren();
    if (colours.size === 0) { legend.hidden = true; return; }
    legend.hidden = false;
    const sorted = [...groups.entries()].sort((a, b) => b[1].count - a[1].count);
    for (const [key, g] of sorted.slice(0, 10)) {
      const name = key == null ? "no community" : g.label || `community ${key}`;
      legend.append(el("div", { class: "legend-item" },
        el("span", { class: "swatch", style: `background:${g.colour}` }), `${name} (${g.count})`));
    }
    if (sorted.length > 10) legend.append(el("div", { class: "legend-item more" }, `… ${sorted.length - 10} more`));
  }

  // ---------- edges: metric, threshold, top-k ----------
  function setMetric(metric) {
    st.metric = metric;
    const values = st.edges.map(edgeValue).filter((v) => v != null);
    st.range = values.length ? [Math.min(...values), Math.max(...values)] : [0, 1];
    $("#threshold").value = 0;
    $("#threshold").disabled = values.length === 0;
    drawEdges();
    if (st.selected) renderPanel();
  }

  function threshold() {
    const [lo, hi] = st.range;
    return lo + ((hi - lo) * Number($("#threshold").value)) / 1000;
  }

  function visibleEdges() {
    const thr = threshold();
    let keep = st.edges.filter((e) => { const v = edgeValue(e); return v != null && v >= thr - 1e-12; });
    const k = Math.max(0, Math.floor(Number($("#topk").value) || 0));
    if (k > 0) { // an edge stays if it is among the k strongest of either end
      const kept = new Set(keep), allowed = new Set();
      for (const n of st.nodes.values()) {
        n.adj.filter((e) => kept.has(e)).sort((a, b) => edgeValue(b) - edgeValue(a))
          .slice(0, k).forEach((e) => allowed.add(e));
      }
      keep = keep.filter((e) => allowed.has(e));
    }
    return keep;
  }

  function bend(e) { // control point of the edge's curve, off its middle by 15% of its length
    const [a, b] = e.s.id < e.t.id ? [e.s, e.t] : [e.t, e.s];
    return [(a.wx + b.wx) / 2 + 0.15 * (b.wy - a.wy), (a.wy + b.wy) / 2 - 0.15 * (b.wx - a.wx)];
  }

  function drawEdges() {
    const [lo, hi] = st.range;
    const thr = threshold();
    $("#threshold-value").textContent = $("#threshold").disabled ? "–" : `≥ ${fmt(thr)}`;
    const shown = visibleEdges().sort((a, b) => edgeValue(a) - edgeValue(b)); // strongest drawn last
    const lines = shown.map((e) => {
      const v = edgeValue(e), t = hi > lo ? (v - lo) / (hi - lo) : 1;
      // a slight bend, so that edges between nodes on one line do not hide each other
      const [cx, cy] = bend(e);
      e.line = svgEl("path", {
        class: "edge", d: `M${e.s.wx},${e.s.wy}Q${cx},${cy} ${e.t.wx},${e.t.wy}`,
        "stroke-width": (0.8 + 3.2 * t).toFixed(2), "stroke-opacity": (0.25 + 0.55 * t).toFixed(2),
      });
      const title = svgEl("title");
      title.textContent = `${e.s.id} — ${e.t.id}: ${st.metric} ${fmt(v)}`;
      e.line.append(title);
      if (st.selected && (e.s.id === st.selected || e.t.id === st.selected)) e.line.classList.add("hot");
      return e.line;
    });
    if (st.nodes.size <= MANY && shown.length <= 40) { // few edges: write their values on them
      for (const e of shown) {
        const [cx, cy] = bend(e); // the curve's midpoint lies halfway to its control point
        const text = svgEl("text", { class: "edge-label", x: (e.s.wx + e.t.wx) / 4 + cx / 2, y: (e.s.wy + e.t.wy) / 4 + cy / 2 });
        text.textContent = fmt(edgeValue(e));
        lines.push(text);
      }
    }
    $("#edges").replaceChildren(...lines);
    $("#graph-info").textContent =
      `${fmt(st.nodes.size)} miniModels · ${fmt(shown.length)} of ${fmt(st.edges.length)} edges shown`;
  }

  // ---------- zoom and pan ----------
  let viewQueued = false;
  function applyView() {
    if (viewQueued) return;
    viewQueued = true;
    requestAnimationFrame(() => {
      viewQueued = false;
      const { k, x, y } = st.view;
      viewport.setAttribute("transform", `translate(${x},${y}) scale(${k})`);
      // Circles grow with the square root of the zoom. Resizing 1,000 of them is what makes zooming slow,
      // so they are resized only when the zoom has changed by more than 12% since the last time.
      if (!(Math.abs(Math.log(k / st.sizedAt)) <= 0.12)) { // (NaN: never sized)
        st.sizedAt = k;
        const grow = Math.sqrt(k / st.fitK);
        for (const n of st.nodes.values()) {
          const r = (n.r0 * grow) / k;
          n.circle.setAttribute("r", r);
          n.label.setAttribute("x", n.wx + r + 3 / k);
        }
        $("#labels").style.fontSize = `${12 / k}px`;
        $("#edges").style.fontSize = `${10.5 / k}px`;
      }
      const { width, height } = svg.getBoundingClientRect();
      let inView = 0;
      for (const n of st.nodes.values()) {
        const sx = x + k * n.wx, sy = y + k * n.wy;
        if (sx >= 0 && sx <= width && sy >= 0 && sy <= height) inView += 1;
      }
      svg.classList.toggle("all-labels", inView <= MANY); // else only the highlighted nodes' labels
    });
  }

  function fit() {
    const { width, height } = svg.getBoundingClientRect();
    const ns = [...st.nodes.values()];
    if (!ns.length) return;
    const xs = ns.map((n) => n.wx), ys = ns.map((n) => n.wy);
    const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
    const rMax = Math.max(...ns.map((n) => n.r0));
    const pad = rMax + 36, right = st.nodes.size <= MANY ? 80 : 0; // room for the circles and their labels
    const bw = Math.max(x1 - x0, WORLD * 0.2), bh = Math.max(y1 - y0, WORLD * 0.2);
    const k = Math.max(1e-3, Math.min((width - 2 * pad - right) / bw, (height - 2 * pad) / bh));
    st.fitK = k;
    st.fitted = true;
    st.sizedAt = NaN;
    st.view = { k, x: (width - right) / 2 - (k * (x0 + x1)) / 2, y: height / 2 - (k * (y0 + y1)) / 2 };
    applyView();
  }

  function zoomAt(px, py, factor) {
    const { k, x, y } = st.view;
    const k2 = clamp(k * factor, st.fitK * 0.3, st.fitK * 80);
    st.view = { k: k2, x: px - ((px - x) * k2) / k, y: py - ((py - y) * k2) / k };
    st.fitted = false;
    applyView();
  }

  function centreOn(n) { // zoomed in enough to tell it from its neighbours; moved only if not well in view
    const { width, height } = svg.getBoundingClientRect();
    const k = Math.max(st.view.k, st.nodes.size > MANY ? st.fitK * 4 : st.fitK);
    const sx = st.view.x + k * n.wx, sy = st.view.y + k * n.wy;
    if (k === st.view.k && sx > width * 0.05 && sx < width * 0.95 && sy > height * 0.05 && sy < height * 0.95) return;
    st.view = { k, x: width / 2 - k * n.wx, y: height / 2 - k * n.wy };
    st.fitted = false;
    applyView();
  }

  svg.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const box = svg.getBoundingClientRect();
    const step = ev.deltaMode === 1 ? 0.05 : 0.0015; // lines or pixels
    zoomAt(ev.clientX - box.left, ev.clientY - box.top, Math.exp(-ev.deltaY * step));
  }, { passive: false });

  let drag = null, justPanned = false;
  svg.addEventListener("pointerdown", (ev) => {
    if (ev.button !== 0) return;
    drag = { id: ev.pointerId, x: ev.clientX, y: ev.clientY, vx: st.view.x, vy: st.view.y, moved: false };
  });
  svg.addEventListener("pointermove", (ev) => {
    if (!drag || ev.pointerId !== drag.id) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) > 3) { // only now, so that a plain click still reaches the node
      drag.moved = true;
      svg.setPointerCapture(ev.pointerId);
      svg.classList.add("panning");
    }
    if (drag.moved) { st.view = { ...st.view, x: drag.vx + dx, y: drag.vy + dy }; st.fitted = false; applyView(); }
  });
  const endDrag = () => {
    if (drag && drag.moved) { justPanned = true; setTimeout(() => { justPanned = false; }, 0); }
    drag = null;
    svg.classList.remove("panning");
  };
  svg.addEventListener("pointerup", endDrag);
  svg.addEventListener("pointercancel", endDrag);
  svg.addEventListener("click", (ev) => {
    if (justPanned) return;
    const node = ev.target.closest(".node");
    select(node ? node.dataset.id : null);
  });
  svg.addEventListener("pointerover", (ev) => {
    const node = ev.target.closest(".node");
    if (node) st.nodes.get(node.dataset.id).label.classList.add("hover");
  });
  svg.addEventListener("pointerout", (ev) => {
    const node = ev.target.closest(".node");
    if (node) st.nodes.get(node.dataset.id).label.classList.remove("hover");
  });

  // ---------- selection, highlights and the panel ----------
  function neighbours(n, limit = 10) {
    return n.adj.filter((e) => edgeValue(e) != null)
      .sort((a, b) => edgeValue(b) - edgeValue(a)).slice(0, limit)
      .map((e) => ({ node: other(e, n.id), value: edgeValue(e) }));
  }

  function highlight() {
    const sel = st.selected ? st.nodes.get(st.selected) : null;
    const near = new Set(sel ? sel.adj.map((e) => other(e, sel.id).id) : []);
    for (const n of st.nodes.values()) {
      n.circle.classList.toggle("selected", n.id === st.selected);
      n.circle.classList.toggle("neighbour", near.has(n.id));
      n.circle.classList.toggle("routed", n.id === st.routed);
      n.circle.classList.toggle("match", st.matches.has(n.id));
      const on = n.id === st.selected || near.has(n.id) || n.id === st.routed || st.matches.has(n.id);
      n.label.classList.toggle("on", on);
      if (on) n.label.parentNode.append(n.label); // drawn above the others
    }
    if (sel) { sel.circle.parentNode.append(sel.circle); sel.label.parentNode.append(sel.label); }
    for (const n of st.nodes.values()) n.label.classList.toggle("selected", n === sel);
    svg.classList.toggle("has-selection", !!sel);
    for (const e of st.edges) if (e.line) e.line.classList.toggle("hot", !!sel && (e.s === sel || e.t === sel));
  }

  function select(id, centre = false) {
    st.selected = id && st.nodes.has(id) ? id : null;
    highlight();
    renderPanel();
    if (centre && st.selected) centreOn(st.nodes.get(st.selected));
  }

  function row(name, ...value) { return [el("dt", {}, name), el("dd", {}, ...value)]; }

  function change(model, base) {
    if (!Number.isFinite(model) || !Number.isFinite(base) || base === 0) return null;
    const pct = ((model - base) / Math.abs(base)) * 100;
    return el("span", { class: pct <= 0 ? "better" : "worse" }, ` (${pct > 0 ? "+" : ""}${pct.toFixed(0)}%)`);
  }

  function renderPanel() {
    const panel = $("#panel");
    const n = st.selected ? st.nodes.get(st.selected) : null;
    if (!n) {
      panel.replaceChildren(
        el("h2", {}, "Graph of Models"),
        el("p", { class: "hint" }, `${fmt(st.nodes.size)} miniModels, one per dataset. Click a node or search by name to see its miniModel; ask a question below and the router picks who answers.`),
        el("p", { class: "hint" }, "Scroll to zoom, drag to pan, Fit to see everything."));
      return;
    }
    const community = n.community == null ? "none"
      : n.community_label ? `${n.community_label} (#${n.community})` : `#${n.community}`;
    const facts = el("dl", {},
      ...row("Rows", el("span", { id: "panel-rows" }, fmt(n.rows))),
      ...row("Community", el("span", { class: "swatch", style: `background:${n.colour}` }), community));
    const parts = [el("h2", { id: "panel-name" }, n.id), facts, el("h3", {}, "Adapter")];
    const a = n.adapter;
    if (!a) parts.push(el("p", { class: "hint" }, "No adapter metrics for this dataset."));
    else {
      const table = el("table", { class: "metrics" },
        el("tr", {}, el("th", {}, ""), el("th", {}, "miniModel"), el("th", {}, "base")),
        el("tr", {}, el("td", {}, "eval loss"), el("td", {}, fmt(a.eval_loss), change(a.eval_loss, a.base_eval_loss)), el("td", {}, fmt(a.base_eval_loss))),
        el("tr", {}, el("td", {}, "perplexity"), el("td", {}, fmt(a.eval_perplexity), change(a.eval_perplexity, a.base_eval_perplexity)), el("td", {}, fmt(a.base_eval_perplexity))));
      parts.push(table, el("dl", {},
        ...row("LoRA rank", fmt(a.rank)),
        ...row("Examples", `${fmt(a.train_examples)} train · ${fmt(a.eval_examples)} eval`)));
    }
    parts.push(el("h3", {}, `Nearest neighbours · ${st.metric}`));
    const near = neighbours(n);
    if (!near.length) parts.push(el("p", { class: "hint" }, "No edges under this metric."));
    else {
      parts.push(el("ol", { class: "neighbours" }, ...near.map(({ node, value }) =>
        el("li", {}, el("button", { type: "button", class: "link", "data-id": node.id, onclick: () => select(node.id, true) }, node.id),
          el("span", { class: "value" }, fmt(value))))));
    }
    panel.replaceChildren(...parts);
  }

  // ---------- search ----------
  function findNodes(query) {
    const q = query.trim().toLowerCase();
    if (!q) return [];
    const ids = [...st.nodes.keys()];
    const byLength = (a, b) => a.length - b.length || a.localeCompare(b);
    const exact = ids.filter((id) => id.toLowerCase() === q);
    const prefix = ids.filter((id) => id.toLowerCase().startsWith(q) && !exact.includes(id)).sort(byLength);
    const inside = ids.filter((id) => id.toLowerCase().includes(q) && !id.toLowerCase().startsWith(q)).sort(byLength);
    return [...exact, ...prefix, ...inside];
  }

  $("#search").addEventListener("input", () => {
    const found = findNodes($("#search").value);
    st.matches = new Set(found.length <= 30 ? found : []);
    highlight();
    showStatus("");
    if (found.length && found[0].toLowerCase() === $("#search").value.trim().toLowerCase()) select(found[0], true);
  });

  $("#search-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const query = $("#search").value;
    const found = findNodes(query);
    if (found.length) { showStatus(""); select(found[0], true); }
    else if (query.trim()) showStatus(`No miniModel matches “${query.trim()}”.`, "error");
  });

  // ---------- ask: route, then stream the answer ----------
  function renderRanking(route) {
    const box = $("#ranking");
    const head = route.choice == null
      ? el("p", { class: "route-head abstained" }, "Router abstained → base model answers")
      : el("p", { class: "route-head" }, "Routed to ", el("strong", {}, route.choice));
    const detail = `in-domain score ${fmt(route.in_domain_score)}` +
      (route.threshold != null ? ` (threshold ${fmt(route.threshold)})` : "") + (route.method ? ` · ${route.method}` : "");
    // Bars: scores in [0, 1] as they are; other scales (logits, log-probabilities) relative to the ranking.
    const scores = (route.ranking || []).map((r) => (Number.isFinite(r.score) ? r.score : 0));
    const lo = Math.min(...scores), hi = Math.max(...scores);
    const width = lo >= 0 && hi <= 1 ? (v) => v : (v) => (hi > lo ? 0.1 + (0.9 * (v - lo)) / (hi - lo) : 1);
    const items = (route.ranking || []).map((r, i) =>
      el("li", { "data-model": r.model, class: r.model === route.choice ? "chosen" : "" },
        el("button", { type: "button", class: "link", onclick: () => select(r.model, true) }, r.model),
        el("span", { class: "bar" }, el("span", { style: `width:${(width(scores[i]) * 100).toFixed(1)}%` })),
        el("span", { class: "value" }, fmt(r.score))));
    box.replaceChildren(head, el("p", { class: "hint" }, detail), el("ol", { class: "ranking" }, ...items));
  }

  function showAnsweredBy(model, gom) {
    const box = $("#answered-by");
    if (!model) return;
    box.dataset.model = model;
    const parts = model === "base"
      ? ["Answered by ", el("strong", {}, "the base model"), gom && gom.abstained ? " (router abstained)" : ""]
      : ["Answered by ", el("strong", {}, model), gom && Number.isFinite(gom.score) ? ` (score ${fmt(gom.score)})` : ""];
    // The router was unsure and composing was kept: the top two miniModels answered together.
    if (gom && Array.isArray(gom.mix) && gom.mix.length > 1) {
      parts.push(`, composed with ${gom.mix.slice(1).map((m) => `${m.model} (weight ${m.weight})`).join(", ")}` +
        ` (weight ${gom.mix[0].weight} on ${gom.mix[0].model})`);
    }
    box.replaceChildren(...parts);
  }

  async function streamAnswer(query) {
    const answer = $("#answer"), meta = $("#answer-meta");
    const text = document.createTextNode("");
    answer.replaceChildren(text);
    const resp = await api("/v1/chat/completions", {
      model: "auto", messages: [{ role: "user", content: query }], stream: true, max_tokens: 128, temperature: 0,
    });
    showAnsweredBy(resp.headers.get("x-gom-model"));
    const onChunk = (chunk) => {
      if (chunk.error) throw new Error(chunk.error.message || "the stream failed");
      if (chunk.gom || chunk.model) showAnsweredBy((chunk.gom && chunk.gom.model) || chunk.model, chunk.gom);
      for (const choice of chunk.choices || []) {
        const piece = (choice.delta && choice.delta.content) || (choice.message && choice.message.content);
        if (piece) { text.appendData(piece); answer.scrollTop = answer.scrollHeight; }
        if (choice.finish_reason) {
          meta.textContent = choice.finish_reason === "length" ? "stopped: reached max_tokens" : `finished: ${choice.finish_reason}`;
        }
      }
    };
    if (!(resp.headers.get("content-type") || "").includes("text/event-stream")) { onChunk(await resp.json()); return; }

    // Server-sent events: events end with a blank line; only complete events are parsed.
    const reader = resp.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "", done = false;
    const onEvent = (raw) => {
      const data = raw.split("\n").filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).replace(/^ /, "")).join("\n");
      if (!data) return;
      if (data.trim() === "[DONE]") { done = true; return; }
      onChunk(JSON.parse(data));
    };
    while (!done) {
      const { value, done: end } = await reader.read();
      buffer += decoder.decode(value || new Uint8Array(), { stream: !end });
      let tail = "";
      if (!end && buffer.endsWith("\r")) { tail = "\r"; buffer = buffer.slice(0, -1); } // maybe half of \r\n
      const events = buffer.replace(/\r\n?/g, "\n").split("\n\n");
      buffer = events.pop() + tail;
      for (const raw of events) { onEvent(raw); if (done) break; }
      if (end) { if (!done && buffer.trim()) onEvent(buffer); break; }
    }
    if (done) reader.cancel().catch(() => {});
  }

  async function ask(ev) {
    ev.preventDefault();
    const query = $("#ask-input").value.trim(), button = $("#ask-button");
    if (button.disabled) return; // still answering the last question
    if (!query) { $("#ask-input").focus(); return; }
    button.disabled = true;
    setState("asking");
    showStatus("");
    for (const id of ["#ranking", "#answered-by", "#answer", "#answer-meta"]) $(id).replaceChildren();
    delete $("#answered-by").dataset.model;
    try {
      const route = await (await api("/v1/route", { query, top_k: 3 })).json();
      renderRanking(route);
      st.routed = route.choice;
      highlight();
      setState("streaming");
      await streamAnswer(query);
      setState("answered");
    } catch (err) {
      $("#answer-meta").textContent = `Error: ${err.message}`;
      showStatus(err.message, "error");
      setState("error");
    } finally {
      button.disabled = false;
    }
  }

  $("#ask-form").addEventListener("submit", ask);
  $("#ask-input").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); $("#ask-form").requestSubmit(); }
  });

  // ---------- controls and start ----------
  $("#metric").addEventListener("change", () => setMetric($("#metric").value));
  $("#threshold").addEventListener("input", () => { drawEdges(); highlight(); });
  $("#topk").addEventListener("input", () => { drawEdges(); highlight(); });
  $("#fit").addEventListener("click", fit);
  // The ask box grows with its answer: keep the whole graph in view until the user zooms or pans.
  new ResizeObserver(() => { if (st.fitted) fit(); }).observe(svg);

  async function start() {
    setState("loading");
    try {
      const data = await (await api("/v1/graph")).json();
      st.metrics = data.metrics && data.metrics.length ? data.metrics
        : [...new Set((data.edges || []).flatMap((e) => Object.keys(e.metrics || {})))];
      $("#metric").replaceChildren(...st.metrics.map((m) => el("option", { value: m }, m)));
      const metric = st.metrics.includes(data.default_metric) ? data.default_metric : st.metrics[0];
      $("#metric").value = metric || "";
      if (data.edges_top_k) $("#topk").title += ` (the server kept each node's ${data.edges_top_k} strongest edges)`;
      buildGraph(data);
      setMetric(metric);
      fit();
      renderPanel();
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      setState("ready");
    } catch (err) {
      showStatus(`Could not load the graph: ${err.message}`, "error");
      $("#panel").replaceChildren(el("p", { class: "hint" }, "The graph could not be loaded."));
      setState("error");
    }
  }

  start();
})();
