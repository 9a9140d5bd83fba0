// pacts dashboard: built only on the public JSON API. The view and its selection live in
// the URL hash (#/grid?date=…&region=…, #/map?org=csto&date=…, #/events?org=…,
// #/compare?from=…&to=…, #/org/csto, #/state/TM, #/claims), so every view is a
// shareable link. Vocabularies (regions, roles) come from /openapi.json; sources are
// shown by title, linked to their URL; every view links the CSV and JSON behind it.
"use strict";

(function () {
  const main = document.getElementById("main");
  const errors = [];
  window.addEventListener("error", (e) => { errors.push(String(e.message)); document.body.dataset.jsErrors = errors.length; });
  window.addEventListener("unhandledrejection", (e) => { errors.push(String(e.reason)); document.body.dataset.jsErrors = errors.length; });
  document.body.dataset.jsErrors = "0";

  const ROLE_LABEL = {
    member: "M", associate_member: "AM", observer: "O", dialogue_partner: "DP", partner: "P",
    participating_state: "PS", participant: "Pt", pa_observer: "PA", holder: "H",
  };
  // Fill colours; each with the text colour that keeps a contrast of at least 4.5:1.
  const ROLE_FILL = {
    member: ["#1f5fcc", "#fff"], associate_member: ["#9ec5fe", "#1b1f24"], observer: ["#f2c94c", "#1b1f24"],
    dialogue_partner: ["#a5d6a7", "#1b1f24"], partner: ["#1a7f37", "#fff"], participating_state: ["#7340c8", "#fff"],
    participant: ["#e0c8ff", "#1b1f24"], pa_observer: ["#d0d7de", "#1b1f24"], holder: ["#57606a", "#fff"],
  };
  const FIRST_DAY = "1991-01-01";
  const cache = {};

  function today() { return new Date().toISOString().slice(0, 10); }
  function isDay(d) { return /^\d{4}-\d{2}-\d{2}$/.test(d || "") && !Number.isNaN(Date.parse(d)); }
  function words(s) { return String(s || "").replace(/_/g, " "); }
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") e.textContent = v;
      else if (k.startsWith("data-") || k.startsWith("aria-") || k === "role" || k === "scope" || k === "for") e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    return e;
  }
  const SVG = "http://www.w3.org/2000/svg";
  function svgEl(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) e.setAttribute(k, v);
    return e;
  }
  function roleBadge(role, participation) {
    if (!role) return el("span", { className: "muted", text: "–", title: "no membership" });
    const title = words(role) + (participation ? ` (participation ${participation} on this day)` : "");
    const text = (ROLE_LABEL[role] || role) + (participation ? " *" : "");
    return el("span", { className: "role role-" + role + (participation ? " participation-" + participation : ""), title, text });
  }
  async function api(path) {
    const r = await fetch(path, { headers: { Accept: "application/json" } });
    const body = await r.json();
    if (!r.ok) throw new Error(body.detail || ("HTTP " + r.status));
    return body;
  }
  async function once(key, path) {
    if (!cache[key]) cache[key] = api(path).catch((e) => { delete cache[key]; throw e; });
    return cache[key];
  }
  // Vocabularies as the API documents them.
  async function vocab(name) {
    const doc = await once("openapi", "/openapi.json");
    return doc.components.schemas[name].enum;
  }
  async function sources() {
    const s = await once("sources", "/v1/sources?limit=all&fields=slug,title,url,publisher");
    return new Map(s.data.map((x) => [x.slug, x]));
  }
  async function statesByCode() {
    const s = await once("states", "/v1/states?limit=all&fields=code,name,iso_numeric,region&sort=name");
    return s.data;
  }
  async function pacts() {
    const o = await once("orgs", "/v1/organisations?limit=all&fields=slug,acronym,name,kind,founded_on,ended_on&sort=name");
    return o.data;
  }
  function sourceList(slugs, bySlug) {
    const items = (slugs || []).map((s) => {
      const src = bySlug && bySlug.get(s);
      if (!src) return el("li", { text: s });
      return el("li", {}, src.url ? el("a", { href: src.url, text: src.title, rel: "noreferrer" }) : src.title,
        src.publisher ? el("span", { className: "muted", text: " (" + src.publisher + ")" }) : null);
    });
    return el("ul", { className: "sources" }, items);
  }
  function sourceText(slugs, bySlug) {
    return (slugs || []).map((s) => (bySlug && bySlug.get(s) ? bySlug.get(s).title : s)).join("; ");
  }
  function exportLinks(path, query) {
    const q = query && String(query) ? "?" + query : "";
    const [base] = path.split("?");
    return el("p", { className: "export" }, "Data behind this view: ",
      el("a", { href: base + ".csv" + q, "data-export": "csv", text: "CSV" }), " · ",
      el("a", { href: base + q, "data-export": "json", text: "JSON" }));
  }
  function parseHash() {
    const h = location.hash.replace(/^#\/?/, "") || "grid";
    const [path, query] = h.split("?");
    return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query || "") };
  }
  function setCurrent(view) {
    for (const a of document.querySelectorAll("nav a[data-view]")) {
      if (a.dataset.view === view) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    }
  }
  let moveFocus = false;
  function show(title, ...nodes) {
    const h = el("h2", { id: "view-title", tabIndex: -1, text: title });
    main.replaceChildren(h, ...nodes.filter((n) => n !== null && n !== undefined));
    document.title = title + " — pacts";
    main.dataset.ready = "true";
    main.dataset.renders = String(Number(main.dataset.renders || 0) + 1);
    if (moveFocus) h.focus();
    return h;
  }
  function fail(e) { show("Could not load this view", el("p", { className: "error", role: "alert", text: e.message })); }
  function legend() {
    return el("div", { className: "legend", "aria-label": "Legend", role: "group" },
      Object.keys(ROLE_LABEL).map((r) => el("span", {}, roleBadge(r), " " + words(r))),
      el("span", {}, roleBadge("member", "frozen"), " participation frozen, suspended or inactive on the day"));
  }
  function daysBetween(a, b) { return Math.round((Date.parse(b) - Date.parse(a)) / 86400000); }
  function addDays(d, n) { return new Date(Date.parse(d) + n * 86400000).toISOString().slice(0, 10); }
  function dateControls(date, onPick) {
    const span = daysBetween(FIRST_DAY, today());
    const slider = el("input", { type: "range", min: 0, max: span, value: Math.max(0, Math.min(span, daysBetween(FIRST_DAY, date))),
      id: "date-slider", "aria-label": "Date (slider)", "aria-valuetext": date });
    const dateInput = el("input", { type: "date", value: date, min: FIRST_DAY, max: today(), id: "date-input" });
    slider.addEventListener("input", () => { const d = addDays(FIRST_DAY, Number(slider.value)); dateInput.value = d; slider.setAttribute("aria-valuetext", d); });
    slider.addEventListener("change", () => onPick(addDays(FIRST_DAY, Number(slider.value))));
    dateInput.addEventListener("change", () => { if (isDay(dateInput.value)) onPick(dateInput.value); });
    return [el("label", { for: "date-slider" }, "Date "), slider, el("label", {}, "Day ", dateInput)];
  }
  function select(id, label, options, current, onChange) {
    const s = el("select", { id }, options.map(([v, t]) => el("option", { value: v, text: t, selected: v === current })));
    s.addEventListener("change", () => onChange(s.value));
    return el("label", {}, label + " ", s);
  }
  function go(view, params) { location.hash = "#/" + view + "?" + new URLSearchParams(params); }

  // The grid: states x organisations on one day; rows by name.
  async function grid(params) {
    setCurrent("grid");
    const date = isDay(params.get("date")) ? params.get("date") : today();
    const regions = await vocab("Region");
    const region = regions.includes(params.get("region")) || params.get("region") === "all" ? params.get("region") : "central_asia";
    const q = new URLSearchParams({ as_of: date });
    const mq = new URLSearchParams({ as_of: date, limit: "all", fields: "state,organisation,role,joined_on,left_on,sources" });
    if (region !== "all") { q.set("region", region); mq.set("region", region); }
    const [m, held, bySlug] = await Promise.all([api("/v1/matrix?" + q), api("/v1/memberships?" + mq), sources()]);
    const periods = new Map();
    for (const h of held.data) {
      const k = h.state + "/" + h.organisation;
      if (!periods.has(k)) periods.set(k, []);
      periods.get(k).push(h);
    }
    const pick = (d, r) => go("grid", { date: d, region: r });
    const cols = m.columns;
    const rows = [...m.data].sort((a, b) => a.state_name.localeCompare(b.state_name));
    const table = el("table", { className: "grid", id: "matrix", "data-as-of": m.as_of },
      el("caption", { className: "muted", text: `Roles held on ${m.as_of}` + (region === "all" ? "" : ` by states in ${words(region)}`) }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "State" }),
        cols.map((c) => el("th", { scope: "col", "data-org": c.slug, title: c.name + (c.membership_coverage === "partial" ? " (members recorded only in part)" : "") },
          el("a", { href: "#/org/" + c.slug, text: c.acronym || c.slug }), c.membership_coverage === "partial" ? "*" : "")))),
      el("tbody", {}, rows.map((row) => el("tr", { "data-state": row.state },
        el("th", { scope: "row" }, el("a", { href: "#/state/" + row.state, text: row.state_name })),
        row.cells.map((role, i) => {
          const part = row.participation && row.participation[i];
          const ps = (periods.get(row.state + "/" + cols[i].slug) || []).filter((p) => p.role === role);
          const tip = role ? `${row.state_name}, ${words(role)} of ${cols[i].acronym || cols[i].slug}: ` +
            ps.map((p) => `from ${p.joined_on}${p.left_on ? " until " + p.left_on : ""}; sources: ${sourceText(p.sources, bySlug)}`).join(" / ") : "";
          const badge = roleBadge(role, part);
          if (tip) badge.title = tip;
          return el("td", { className: "cell", "data-org": cols[i].slug, "data-role": role || "", "data-participation": part || "" },
            role ? el("a", { href: "#/state/" + row.state, className: "cell-link", title: tip, "aria-label": badge.textContent + ": " + tip }, badge) : badge);
        })))));
    show("Who belonged to what on " + m.as_of,
      el("div", { className: "controls" }, dateControls(date, (d) => pick(d, region)),
        select("region", "Region", [["all", "all regions"], ...regions.map((r) => [r, words(r)])], region, (r) => pick(date, r))),
      legend(), el("div", { className: "scroll" }, table),
      m.data.length ? null : el("p", { className: "muted", text: "No memberships on that day." }),
      el("p", { className: "muted", text: "* the organisation's members are recorded only in part. Hover or focus a cell for its period and sources." }),
      exportLinks("/v1/matrix", q));
  }

  // TopoJSON (world-atlas, Natural Earth 1:110m) to SVG path data, equirectangular.
  function topoPaths(topo, project) {
    const [sx, sy] = topo.transform.scale, [tx, ty] = topo.transform.translate;
    const arcs = topo.arcs.map((arc) => {
      let x = 0, y = 0;
      return arc.map(([dx, dy]) => { x += dx; y += dy; return [x * sx + tx, y * sy + ty]; });
    });
    const ring = (idx) => {
      const pts = [];
      for (const i of idx) {
        const a = i < 0 ? arcs[~i].slice().reverse() : arcs[i];
        pts.push(...(pts.length ? a.slice(1) : a));
      }
      // Unwrap longitudes so that a ring crossing the antimeridian (Chukotka, Fiji) runs on
      // past the map's edge, where it is clipped, instead of across the whole map.
      let prev = null;
      const unwrapped = pts.map(([lon, lat]) => {
        if (prev !== null) while (lon - prev > 180) lon -= 360;
        if (prev !== null) while (prev - lon > 180) lon += 360;
        prev = lon;
        return [lon, lat];
      });
      return "M" + unwrapped.map((p) => project(p).map((n) => n.toFixed(1)).join(",")).join("L") + "Z";
    };
    return topo.objects.countries.geometries.map((g) => {
      const polys = g.type === "Polygon" ? [g.arcs] : g.type === "MultiPolygon" ? g.arcs : [];
      return { id: g.id, name: g.properties && g.properties.name, d: polys.map((p) => p.map(ring).join("")).join("") };
    });
  }

  // The map: states coloured by their role in one organisation on one day.
  async function map(params) {
    setCurrent("map");
    const orgs = await pacts();
    const slug = orgs.some((o) => o.slug === params.get("org")) ? params.get("org") : "csto";
    const date = isDay(params.get("date")) ? params.get("date") : today();
    const q = new URLSearchParams({ as_of: date });
    const [topo, members, states, bySlug] = await Promise.all([once("topo", "/assets/countries-110m.json"),
      api(`/v1/organisations/${encodeURIComponent(slug)}/members?` + q), statesByCode(), sources()]);
    const byNumeric = new Map(states.filter((s) => s.iso_numeric).map((s) => [String(s.iso_numeric).padStart(3, "0"), s]));
    const held = new Map();
    for (const r of members.data) if (!held.has(r.state)) held.set(r.state, r);
    const W = 960, H = 480;
    const project = ([lon, lat]) => [((lon + 180) / 360) * W, ((90 - lat) / 180) * H];
    const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", role: "group", id: "world-map",
      "aria-label": `Map: ${held.size} states hold a role in ${members.organisation.name} on ${date}; the table below lists them` });
    let box = null;
    const drawn = new Set();
    for (const f of topoPaths(topo, project)) {
      const st = byNumeric.get(f.id);
      const h = st && held.get(st.code);
      const path = svgEl("path", { d: f.d, class: "land" + (h ? " held role-fill-" + h.role : ""), "data-state": st ? st.code : "",
        "data-role": h ? h.role : "", fill: h ? (ROLE_FILL[h.role] || ["#888"])[0] : null });
      const title = svgEl("title");
      title.textContent = (st ? st.name : f.name || "") + (h ? `: ${words(h.role)} since ${h.joined_on}` : "");
      path.append(title);
      if (h) {
        drawn.add(st.code);
        const a = svgEl("a", { href: "#/state/" + st.code, "aria-label": title.textContent });
        a.append(path);
        svg.append(a);
        const bb = f.d.match(/-?\d+(\.\d+)?/g).map(Number);
        for (let i = 0; i + 1 < bb.length; i += 2) {
          bb[i] = Math.max(0, Math.min(W, bb[i]));
          box = box ? [Math.min(box[0], bb[i]), Math.min(box[1], bb[i + 1]), Math.max(box[2], bb[i]), Math.max(box[3], bb[i + 1])] : [bb[i], bb[i + 1], bb[i], bb[i + 1]];
        }
      } else svg.append(path);
    }
    if (box) {
      const pad = 30, w = Math.max(200, box[2] - box[0] + 2 * pad), h = Math.max(120, box[3] - box[1] + 2 * pad);
      svg.setAttribute("viewBox", `${Math.max(0, box[0] - pad)} ${Math.max(0, box[1] - pad)} ${Math.min(W, w)} ${Math.min(H, h)}`);
    }
    const rows = [...held.values()].map((r) => ({ ...r, name: r.state_name })).sort((a, b) => a.name.localeCompare(b.name));
    const table = el("table", { id: "map-table" },
      el("caption", { text: `States holding a role in ${members.organisation.name} on ${date}` }),
      el("thead", {}, el("tr", {}, ["State", "Role", "Since", "On the map", "Sources"].map((t) => el("th", { scope: "col", text: t })))),
      el("tbody", {}, rows.map((r) => el("tr", { "data-state": r.state },
        el("th", { scope: "row" }, el("a", { href: "#/state/" + r.state, text: r.name })),
        el("td", {}, roleBadge(r.role), " " + words(r.role)), el("td", { text: r.joined_on }),
        el("td", { text: drawn.has(r.state) ? "yes" : "too small at this scale" }),
        el("td", {}, sourceList(r.sources, bySlug))))));
    const pick = (o, d) => go("map", { org: o, date: d });
    show(`${members.organisation.name} on ${date}: a map`,
      el("div", { className: "controls" }, select("map-org", "Organisation", orgs.map((o) => [o.slug, `${o.acronym || o.slug} — ${o.name}`]), slug, (o) => pick(o, date)),
        dateControls(date, (d) => pick(slug, d))),
      legend(), el("div", { className: "map scroll" }, svg),
      el("p", { className: "muted" }, "Boundaries: Natural Earth 1:110m (public domain), from the world-atlas package. ",
        members.complete ? "" : el("strong", { text: "Members are recorded only in part for this organisation." })),
      el("div", { className: "scroll" }, table),
      exportLinks(`/v1/organisations/${encodeURIComponent(slug)}/members`, q));
  }

  // Events: who joined, left or changed role, and when.
  async function events(params) {
    setCurrent("events");
    const [orgs, kinds, bySlug] = await Promise.all([pacts(), vocab("EventKind"), sources()]);
    const org = orgs.some((o) => o.slug === params.get("org")) ? params.get("org") : "";
    const kind = kinds.includes(params.get("kind")) ? params.get("kind") : "";
    const from = isDay(params.get("from")) ? params.get("from") : "";
    const to = isDay(params.get("to")) ? params.get("to") : "";
    const st = /^[A-Z]{2}$/.test(params.get("state") || "") ? params.get("state") : "";
    const q = new URLSearchParams();
    if (st) q.set("state", st);
    if (org) q.set("organisation", org);
    if (kind) q.set("kind", kind);
    if (from) q.set("from", from);
    if (to) q.set("to", to);
    // One page of at most 500 events (the largest page) is shown; the export links give them all.
    const shown = new URLSearchParams(q);
    shown.set("limit", "500");
    const e = await api("/v1/events?" + shown);
    const state = { org, kind, from, to, state: st };
    const pick = (k, v) => { const s = { ...state, [k]: v }; go("events", Object.fromEntries(Object.entries(s).filter(([, x]) => x))); };
    const dateBox = (id, label, value, key) => {
      const i = el("input", { type: "date", id, value, min: FIRST_DAY, max: "2100-12-31" });
      i.addEventListener("change", () => pick(key, isDay(i.value) ? i.value : ""));
      return el("label", {}, label + " ", i);
    };
    const what = (r) => {
      if (r.kind === "join") return `joined as ${words(r.role)}`;
      if (r.kind === "exit") return `left (was ${words(r.previous_role)})`;
      if (r.kind === "role_change") return `${words(r.previous_role)} → ${words(r.role)}`;
      if (r.kind === "succession") return `${r.previous_organisation} → ${r.organisation} (${words(r.role)})`;
      return `participation ${r.participation}`;
    };
    const rows = e.data;
    const about = [org && orgs.find((o) => o.slug === org).name, st && e.data.length && e.data[0].state_name].filter(Boolean).join(", ");
    show(about ? `Events: ${about}` : "Events: who joined, left or changed role",
      el("div", { className: "controls" },
        select("events-org", "Organisation", [["", "every pact"], ...orgs.map((o) => [o.slug, `${o.acronym || o.slug} — ${o.name}`])], org, (v) => pick("org", v)),
        select("events-kind", "Kind", [["", "every kind"], ...kinds.map((k) => [k, words(k)])], kind, (v) => pick("kind", v)),
        dateBox("events-from", "From", from, "from"), dateBox("events-to", "To", to, "to")),
      el("p", { className: "muted", id: "events-count", text: `${e.page.total} events` + (e.page.total > rows.length ? `, the first ${rows.length} shown` : "") }),
      el("div", { className: "scroll" }, el("table", { id: "events" },
        el("thead", {}, el("tr", {}, ["Date", "Kind", "State", "Organisation", "What", "Reason", "Sources", "Confidence"].map((t) => el("th", { scope: "col", text: t })))),
        el("tbody", {}, rows.map((r) => el("tr", { "data-kind": r.kind, "data-state": r.state, "data-organisation": r.organisation },
          el("td", { text: r.date + (r.date_precision !== "day" ? ` (${r.date_precision})` : "") }), el("td", { text: words(r.kind) }),
          el("td", {}, el("a", { href: "#/state/" + r.state, text: r.state_name })),
          el("td", {}, el("a", { href: "#/org/" + r.organisation, text: r.organisation })),
          el("td", { text: what(r) }), el("td", { text: r.end_reason ? `${words(r.end_reason)} (${words(r.end_category)})` : "" }),
          el("td", {}, sourceList(r.sources, bySlug)), el("td", { text: r.confidence })))))),
      exportLinks("/v1/events", q));
  }

  // Compare two days: the cells that differ.
  async function compare(params) {
    setCurrent("compare");
    const regions = await vocab("Region");
    const from = isDay(params.get("from")) ? params.get("from") : "2012-01-01";
    const to = isDay(params.get("to")) ? params.get("to") : "2013-01-01";
    const region = regions.includes(params.get("region")) || params.get("region") === "all" ? params.get("region") : "central_asia";
    const q = new URLSearchParams({ from, to });
    if (region !== "all") q.set("region", region);
    const d = await api("/v1/diff?" + q);
    const state = { from, to, region };
    const pick = (k, v) => go("compare", { ...state, [k]: v });
    const dateBox = (id, label, value, key) => {
      const i = el("input", { type: "date", id, value, min: FIRST_DAY, max: "2100-12-31" });
      i.addEventListener("change", () => { if (isDay(i.value)) pick(key, i.value); });
      return el("label", {}, label + " ", i);
    };
    const rows = [...d.data].sort((a, b) => a.state_name.localeCompare(b.state_name) || a.organisation.localeCompare(b.organisation));
    show(`What changed between ${from} and ${to}`,
      el("div", { className: "controls" }, dateBox("compare-from", "First day", from, "from"), dateBox("compare-to", "Second day", to, "to"),
        select("compare-region", "Region", [["all", "all regions"], ...regions.map((r) => [r, words(r)])], region, (v) => pick("region", v))),
      el("p", { className: "muted", id: "compare-count", text: `${rows.length} cells differ` }),
      el("div", { className: "scroll" }, el("table", { id: "compare" },
        el("thead", {}, el("tr", {}, ["State", "Organisation", "Change", "On " + from, "On " + to].map((t) => el("th", { scope: "col", text: t })))),
        el("tbody", {}, rows.map((r) => el("tr", { "data-state": r.state, "data-organisation": r.organisation, "data-change": r.change },
          el("th", { scope: "row" }, el("a", { href: "#/state/" + r.state, text: r.state_name })),
          el("td", {}, el("a", { href: "#/org/" + r.organisation, text: r.organisation_name })),
          el("td", { text: words(r.change) }),
          el("td", {}, roleBadge(r.from_role, r.from_participation), " " + words(r.from_role || "none")),
          el("td", {}, roleBadge(r.to_role, r.to_participation), " " + words(r.to_role || "none"))))))),
      rows.length ? null : el("p", { text: "Nothing changed between those days." }),
      exportLinks("/v1/diff", q));
  }

  // An organisation's timeline: one bar per state and period.
  async function org(slug) {
    setCurrent("org");
    // Every period, the predecessors' included (the CSTO's timeline starts with the 1992 treaty).
    const path = "/v1/organisations/" + encodeURIComponent(slug) + "/members";
    const q = new URLSearchParams({ as_of: "all", lineage: "true" });
    const [o, h, orgs, bySlug] = await Promise.all([api("/v1/organisations/" + encodeURIComponent(slug)), api(path + "?" + q), pacts(), sources()]);
    // By state name, then date: a state's periods stay together.
    const rows = [...h.data].sort((a, b) => a.state_name.localeCompare(b.state_name) || a.joined_on.localeCompare(b.joined_on));
    const start = [o.founded_on, ...rows.map((r) => r.joined_on)].filter(Boolean).sort()[0] || FIRST_DAY;
    const end = today();
    const total = Math.max(1, daysBetween(start, end));
    const width = 960, left = 200, rowH = 18;
    const x = (d) => left + ((width - left - 10) * daysBetween(start, d)) / total;
    const svg = svgEl("svg", { viewBox: `0 0 ${width} ${rows.length * rowH + 30}`, width: "100%", role: "img",
      "aria-label": `Timeline of ${o.name}: ${rows.length} periods; the table below lists them` });
    const y0 = Number(start.slice(0, 4)), y1 = Number(end.slice(0, 4));
    for (let y = Math.ceil(y0 / 5) * 5; y <= y1; y += 5) {
      const t = svgEl("text", { x: x(`${y}-01-01`), y: 12 });
      t.textContent = y;
      svg.append(t);
    }
    rows.forEach((r, i) => {
      const y = 20 + i * rowH;
      const label = svgEl("text", { x: 2, y: y + 12 });
      label.textContent = `${r.state_name} (${words(r.role)}${r.lineage ? ", " + (r.acronym || r.organisation) : ""})`;
      const x1 = x(r.joined_on), x2 = x(r.left_on || end);
      const [fill, ink] = ROLE_FILL[r.role] || ["#57606a", "#fff"];
      const bar = svgEl("rect", { x: x1, y: y + 2, height: rowH - 5, width: Math.max(2, x2 - x1), class: "bar role-" + r.role, fill,
        "data-state": r.state, "data-organisation": r.organisation, "data-role": r.role, "data-joined": r.joined_on, "data-left": r.left_on || "" });
      const title = svgEl("title");
      title.textContent = `${r.state_name}: ${words(r.role)} of ${r.acronym || r.organisation} from ${r.joined_on}${r.left_on ? " to " + r.left_on : ""}` +
        (r.participation !== "active" ? ` (participation ${r.participation})` : "") + ` — sources: ${sourceText(r.sources, bySlug)}; ${r.confidence}`;
      bar.append(title);
      const tag = svgEl("text", { x: x1 + 3, y: y + 12, fill: ink });
      tag.textContent = ROLE_LABEL[r.role] || "";
      svg.append(label, bar, tag);
    });
    const link = (s) => s ? el("a", { href: "#/org/" + s, text: s }) : "none";
    show(o.name + (o.acronym ? ` (${o.acronym})` : ""),
      el("div", { className: "controls" }, select("org-picker", "Organisation", orgs.map((x) => [x.slug, `${x.acronym || x.slug} — ${x.name}`]), o.slug,
        (v) => { location.hash = "#/org/" + v; }),
        el("a", { href: `#/map?org=${o.slug}&date=${today()}`, text: "Map" }), el("a", { href: `#/events?org=${o.slug}`, text: "Events" })),
      el("p", {}, `Founded ${o.founded_on || "unknown"}${o.ended_on ? ", ended " + o.ended_on : ""}. Predecessor: `, link(o.predecessor),
        ". Successor: ", link(o.successor), ". ", o.membership_coverage === "partial" ? el("strong", { text: "Members recorded only in part: " + (o.size_note || "") }) : (o.size_note || "")),
      legend(), el("div", { className: "timeline scroll", id: "timeline", "data-org": o.slug }, svg),
      el("h3", { text: "Periods" }), periodTable(rows, "state", bySlug), exportLinks(path, q));
  }

  function periodTable(rows, key, bySlug) {
    return el("div", { className: "scroll" }, el("table", {},
      el("thead", {}, el("tr", {}, [key === "state" ? "State" : "Organisation", "Role", "From", "Until", "Participation", "Sources", "Confidence"].map((t) => el("th", { scope: "col", text: t })))),
      el("tbody", {}, rows.map((r) => el("tr", {},
        el("td", {}, key === "state" ? el("a", { href: "#/state/" + r.state, text: r.state_name }) : el("a", { href: "#/org/" + r.organisation, text: r.acronym || r.organisation })),
        el("td", {}, roleBadge(r.role), " " + words(r.role)),
        el("td", { text: r.joined_on + (r.joined_precision !== "day" ? ` (${r.joined_precision})` : "") }),
        el("td", { text: r.left_on ? r.left_on + (r.end_reason ? ` (${words(r.end_reason)})` : "") : "—" }),
        el("td", { text: r.participation + (r.participation_since ? " since " + r.participation_since : "") }),
        el("td", {}, sourceList(r.sources, bySlug)), el("td", { text: r.confidence }))))));
  }

  // A state's page: memberships and agreements over time.
  async function state(code) {
    setCurrent("state");
    const kinds = (await vocab("OrganisationKind")).join(",");
    const path = `/v1/states/${encodeURIComponent(code)}/memberships`;
    const q = new URLSearchParams({ as_of: "all", kind: kinds });
    const [s, ms, ags, states, bySlug] = await Promise.all([api("/v1/states/" + encodeURIComponent(code)),
      api(path + "?" + q), api(`/v1/states/${encodeURIComponent(code)}/agreements`), statesByCode(), sources()]);
    const h = show(`${s.name} (${s.code} / ${s.iso3})`,
      el("div", { className: "controls" }, select("state-picker", "State", states.map((x) => [x.code, x.name]), s.code, (v) => { location.hash = "#/state/" + v; }),
        el("a", { href: `#/events?state=${s.code}`, text: "Events" })),
      el("p", { className: "muted", text: `Region: ${words(s.region || "unknown")}. ${s.confidence}.` }), sourceList(s.sources, bySlug),
      el("h3", { text: "Memberships, past and present" }), ms.data.length ? periodTable(ms.data, "org", bySlug) : el("p", { text: "None recorded." }),
      exportLinks(path, q),
      el("h3", { text: "Agreements" }),
      ags.data.length ? el("div", { className: "scroll" }, el("table", { id: "agreements" },
        el("thead", {}, el("tr", {}, ["Agreement", "Role", "Signed", "Ratified", "Left", "Sources", "Confidence"].map((t) => el("th", { scope: "col", text: t })))),
        el("tbody", {}, ags.data.map((p) => el("tr", {}, el("td", { text: p.agreement_name }), el("td", { text: p.role }),
          el("td", { text: p.signed_on || "—" }), el("td", { text: p.ratified_on || "—" }),
          el("td", { text: p.left_on ? p.left_on + (p.left_reason ? ` (${words(p.left_reason)})` : "") : "—" }),
          el("td", {}, sourceList(p.sources, bySlug)), el("td", { text: p.confidence }))))))
        : el("p", { text: "None recorded." }));
    h.dataset.code = s.code;
  }

  // The seed article's claims with their verdicts.
  async function claims() {
    setCurrent("claims");
    const [c, bySlug] = await Promise.all([api("/v1/claims?limit=all"), sources()]);
    show("What the seed article claims, and what is true",
      el("div", { className: "scroll" }, el("table", { id: "claims" },
        el("thead", {}, el("tr", {}, ["Section", "The article says (paraphrase)", "Verdict", "What is true", "Sources"].map((t) => el("th", { scope: "col", text: t })))),
        el("tbody", {}, c.data.map((x) => el("tr", {}, el("td", { text: x.section_heading }), el("td", { text: x.claim }),
          el("td", {}, el("span", { className: "badge verdict-" + x.verdict, text: words(x.verdict) })),
          el("td", { text: x.what_is_true || "" }), el("td", {}, sourceList(x.sources, bySlug))))))),
      exportLinks("/v1/claims", new URLSearchParams({ limit: "all" })));
  }

  async function route() {
    main.dataset.ready = "false";
    const { parts, params } = parseHash();
    try {
      if (parts[0] === "org" && parts[1]) await org(parts[1]);
      else if (parts[0] === "state" && parts[1]) await state(parts[1]);
      else if (parts[0] === "claims") await claims();
      else if (parts[0] === "map") await map(params);
      else if (parts[0] === "events") await events(params);
      else if (parts[0] === "compare") await compare(params);
      else await grid(params);
    } catch (e) {
      fail(e);
    }
  }
  // Focus moves to the new view's heading on every route change after the first load.
  window.addEventListener("hashchange", () => { moveFocus = true; route(); });
  route();
})();
