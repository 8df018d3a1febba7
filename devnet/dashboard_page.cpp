// The dashboard's one page: HTML, CSS and script in one string, nothing loaded from
// elsewhere (no CDN, no fonts). The script polls GET /api/state every second and draws the
// peer graph, the block tree, the nodes' table, the propagation of the latest blocks and the
// partition/heal marks as SVG and HTML. The block tree's <svg> carries data-tips (distinct
// tips the running nodes sit on) and data-leaves (branch ends in the window) for tests.
#include "devnet/dashboard_page.h"

namespace tally::devnet {

const char* dashboard_page() {
  return R"PAGE(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tally devnet</title>
<link rel="icon" href="data:,">
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:16px;background:#fafafa;color:#222}
h1{font-size:18px;margin:0 0 4px} h2{font-size:14px;margin:16px 0 6px}
.row{display:flex;gap:16px;flex-wrap:wrap} .card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px}
table{border-collapse:collapse} td,th{padding:2px 8px;text-align:right;border-bottom:1px solid #eee} th{color:#666}
td.l,th.l{text-align:left} .down{color:#b00} .mono{font-family:ui-monospace,monospace}
#status{color:#666} .mark{margin:2px 0} .bar{fill:#4a7fd0}
</style></head><body>
<h1>tally devnet <span id="dir" class="mono"></span></h1>
<div id="status">connecting…</div>
<div class="row">
 <div class="card"><h2>Peers</h2><svg id="graph" width="360" height="360" role="img" aria-label="peer graph"></svg></div>
 <div class="card"><h2>Nodes</h2><table id="nodes"><thead><tr><th class="l">node</th><th>height</th><th class="l">tip</th><th>mempool</th><th>in/out</th><th class="l">mining</th></tr></thead><tbody></tbody></table></div>
</div>
<div class="card"><h2>Block tree <span id="treeinfo"></span></h2><svg id="tree" width="1100" height="160" data-tips="0" data-leaves="0" role="img" aria-label="block tree"></svg></div>
<div class="row">
 <div class="card"><h2>Propagation of the latest blocks (ms after the first node)</h2><div id="prop"></div></div>
 <div class="card"><h2>Partitions and heals</h2><div id="marks"></div></div>
</div>
<script>
"use strict";
const SVG = "http://www.w3.org/2000/svg";
const palette = ["#4a7fd0","#d0704a","#4ab07a","#a04ad0","#d0b04a","#4ac0d0","#d04a8a","#7a7a7a"];
function el(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
function short(h) { return h ? h.slice(0, 8) : ""; }
function tipColors(state) {
  const tips = [...new Set(state.nodes.filter(n => n.up).map(n => n.tip))];
  const color = {};
  tips.forEach((t, i) => { color[t] = palette[i % palette.length]; });
  return color;
}
function groupOf(state, i) {
  for (let g = 0; g < state.partition.length; g++) if (state.partition[g].includes(i)) return g;
  return -1;
}
function drawGraph(state, color) {
  const svg = document.getElementById("graph"); clear(svg);
  const n = state.nodes.length, cx = 180, cy = 180, r = n > 1 ? 140 : 0;
  const pos = state.nodes.map((_, i) => [cx + r * Math.cos(2 * Math.PI * i / n - Math.PI / 2),
                                          cy + r * Math.sin(2 * Math.PI * i / n - Math.PI / 2)]);
  for (const [a, b] of state.edges) {
    if (!pos[a] || !pos[b]) continue;
    const cut = state.partition.length > 0 && groupOf(state, a) !== groupOf(state, b);
    svg.appendChild(el("line", {x1: pos[a][0], y1: pos[a][1], x2: pos[b][0], y2: pos[b][1],
      stroke: cut ? "#d33" : "#999", "stroke-dasharray": cut ? "4 4" : "", "stroke-width": 1.5}));
  }
  state.nodes.forEach((node, i) => {
    svg.appendChild(el("circle", {cx: pos[i][0], cy: pos[i][1], r: 14,
      fill: node.up ? (color[node.tip] || "#ccc") : "#fff", stroke: node.mining ? "#000" : "#888", "stroke-width": node.mining ? 2.5 : 1}));
    svg.appendChild(el("text", {x: pos[i][0], y: pos[i][1] + 4, "text-anchor": "middle", "font-size": 11}, String(i)));
  });
}
function drawNodes(state, color) {
  const body = document.querySelector("#nodes tbody"); clear(body);
  for (const n of state.nodes) {
    const tr = document.createElement("tr");
    const cells = [[n.name, "l"], [n.up ? n.height : "down", n.up ? "" : "down"], [n.up ? short(n.tip) : (n.error || ""), "l mono"],
                   [n.up ? n.mempool : "", ""], [n.up ? n.inbound + "/" + n.outbound : "", ""], [n.mining ? "yes" : "no", "l"]];
    for (const [text, cls] of cells) { const td = document.createElement("td"); td.className = cls; td.textContent = text; tr.appendChild(td); }
    if (n.up && color[n.tip]) tr.firstChild.style.borderLeft = "4px solid " + color[n.tip];
    body.appendChild(tr);
  }
}
function drawTree(state, color) {
  const svg = document.getElementById("tree"); clear(svg);
  svg.setAttribute("data-tips", String(state.tips));
  svg.setAttribute("data-leaves", String(state.leaves));
  document.getElementById("treeinfo").textContent = "(" + state.tips + (state.tips === 1 ? " tip, " : " tips, ") + state.leaves + (state.leaves === 1 ? " branch end)" : " branch ends)");
  const blocks = state.blocks;
  if (blocks.length === 0) return;
  const byHash = {}; for (const b of blocks) byHash[b.hash] = b;
  const children = {}; for (const b of blocks) (children[b.prev] = children[b.prev] || []).push(b);
  const nodesOn = {}; for (const n of state.nodes) if (n.up) (nodesOn[n.tip] = nodesOn[n.tip] || []).push(n.index);
  // Lanes: the branch ending where most nodes sit gets lane 0, each other branch the next free lane.
  const weight = {};
  function w(b) { if (weight[b.hash] !== undefined) return weight[b.hash];
    let v = (nodesOn[b.hash] || []).length * 1000 + 1; for (const c of (children[b.hash] || [])) v = Math.max(v, w(c) + 1);
    return (weight[b.hash] = v); }
  const roots = blocks.filter(b => !byHash[b.prev]).sort((a, b) => a.height - b.height);
  const minH = Math.min(...blocks.map(b => b.height)), maxH = Math.max(...blocks.map(b => b.height));
  const dx = Math.max(24, Math.min(60, 1000 / Math.max(1, maxH - minH + 1))), lane = {}; let lanes = 0;
  function place(b, l) { lane[b.hash] = l;
    const kids = (children[b.hash] || []).slice().sort((x, y) => w(y) - w(x));
    kids.forEach((c, k) => place(c, k === 0 ? l : ++lanes)); }
  roots.forEach((r, k) => { if (k > 0) ++lanes; place(r, lanes); });
  svg.setAttribute("height", String(40 + (lanes + 1) * 34));
  svg.setAttribute("width", String(Math.max(600, 20 + (maxH - minH + 1) * dx + 260)));
  const x = b => 20 + (b.height - minH) * dx, y = b => 20 + lane[b.hash] * 34;
  for (const b of blocks) { const p = byHash[b.prev]; if (p) svg.appendChild(el("line", {x1: x(p) + 10, y1: y(p) + 8, x2: x(b), y2: y(b) + 8, stroke: "#999"})); }
  for (const b of blocks) {
    const on = nodesOn[b.hash] || [];
    svg.appendChild(el("rect", {x: x(b), y: y(b), width: 20, height: 16, rx: 3, fill: on.length ? color[b.hash] : (b.leaf ? "#eee" : "#cfd8e6"), stroke: "#667"}));
    const t = el("title", {}, "height " + b.height + "\n" + b.hash); svg.lastChild.appendChild(t);
    if (on.length) svg.appendChild(el("text", {x: x(b) + 24, y: y(b) + 12, "font-size": 11}, "← " + on.map(i => "node" + i).join(", ")));
  }
  svg.appendChild(el("text", {x: 20, y: 14 + (lanes + 1) * 34 + 10, "font-size": 10, fill: "#666"}, "height " + minH + " … " + maxH));
}
function drawPropagation(state) {
  const div = document.getElementById("prop"); clear(div);
  for (const p of state.propagation) {
    const delays = Object.entries(p.delay_ms).sort((a, b) => a[1] - b[1]);
    const max = Math.max(1, ...delays.map(d => d[1]));
    const line = document.createElement("div"); line.className = "mono";
    line.textContent = "#" + p.height + " " + short(p.hash) + ": " + delays.map(([n, d]) => "node" + n + " " + d.toFixed(1)).join(", ");
    div.appendChild(line);
    const svg = el("svg", {width: 300, height: 6 * delays.length + 4});
    delays.forEach(([n, d], k) => svg.appendChild(el("rect", {class: "bar", x: 0, y: 2 + 6 * k, height: 4, width: Math.max(1, 290 * d / max)})));
    div.appendChild(svg);
  }
  if (state.propagation.length === 0) div.textContent = "no block seen yet";
}
function drawMarks(state) {
  const div = document.getElementById("marks"); clear(div);
  if (state.partition.length) { const p = document.createElement("div"); p.className = "mark";
    p.textContent = "now partitioned: " + state.partition.map(g => "{" + g.join(",") + "}").join(" "); div.appendChild(p); }
  for (const m of state.marks.slice().reverse()) {
    const p = document.createElement("div"); p.className = "mark";
    const ago = ((state.now_us - m.ts_us) / 1e6).toFixed(0);
    p.textContent = ago + " s ago: " + m.event + (m.groups ? " " + m.groups.map(g => "{" + g.join(",") + "}").join(" ") : "") + (m.node !== undefined ? " node" + m.node : "");
    div.appendChild(p);
  }
  if (!div.firstChild) div.textContent = "none";
}
async function refresh() {
  try {
    const r = await fetch("/api/state", {cache: "no-store"});
    if (!r.ok) throw new Error("HTTP " + r.status);
    const state = await r.json();
    const color = tipColors(state);
    document.getElementById("dir").textContent = state.dir;
    const up = state.nodes.filter(n => n.up).length;
    document.getElementById("status").textContent = up + " of " + state.nodes.length + " nodes up, " + state.tips + (state.tips === 1 ? " tip" : " tips") + ", updated " + new Date(state.now_us / 1000).toLocaleTimeString();
    drawGraph(state, color); drawNodes(state, color); drawTree(state, color); drawPropagation(state); drawMarks(state);
    document.body.setAttribute("data-updates", String(Number(document.body.getAttribute("data-updates") || 0) + 1));
  } catch (e) {
    document.getElementById("status").textContent = "dashboard server unreachable (" + e.message + ")";
  }
}
refresh(); setInterval(refresh, 1000);
</script></body></html>
)PAGE";
}

}  // namespace tally::devnet
