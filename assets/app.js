// pacts dashboard: built only on the public JSON API. The view and its selection live in
// the URL hash (#/grid?date=2013-01-01&region=central_asia, #/org/csto, #/state/TM,
// #/claims), so every view is a shareable link.
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
  const FIRST_DAY = "1991-01-01";

  function today() { return new Date().toISOString().slice(0, 10); }
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined) continue;
      if (k === "text") e.textContent = v; else if (k.startsWith("data-")) e.setAttribute(k, v); else e[k] = v;
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    return e;
  }
  function roleBadge(role, participation) {
    if (!role) return el("span", { className: "muted", text: "–", title: "no membership" });
    const title = role.replace(/_/g, " ") + (participation ? ` (participation ${participation} on this day)` : "");
    const text = (ROLE_LABEL[role] || role) + (participation ? " *" : "");
    return el("span", { className: "role role-" + role + (participation ? " participation-" + participation : ""), title, text });
  }
  async function api(path) {
    const r = await fetch(path, { headers: { Accept: "application/json" } });
    const body = await r.json();
    if (!r.ok) throw new Error(body.detail || ("HTTP " + r.status));
    return body;
  }
  function parseHash() {
    const h = location.hash.replace(/^#\/?/, "") || "grid";
    const [path, query] = h.split("?");
    return { parts: path.split("/").filter(Boolean), params: new URLSearchParams(query || "") };
  }
  function setCurrent(view) {
    for (const a of document.querySelectorAll("nav a[data-view]")) {
      if (a.dataset.view === view) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    }
  }
  function show(...nodes) { main.replaceChildren(...nodes.filter((n) => n !== null && n !== undefined)); main.dataset.ready = "true"; }
  function fail(e) { show(el("p", { className: "error", role: "alert", text: "Could not load: " + e.message })); }
  function legend() {
    return el("div", { className: "legend", "aria-label": "Legend" },
      Object.keys(ROLE_LABEL).map((r) => el("span", {}, roleBadge(r), " " + r.replace(/_/g, " "))),
      el("span", {}, roleBadge("member", "frozen"), " participation frozen, suspended or inactive on the day"));
  }
  function daysBetween(a, b) { return Math.round((Date.parse(b) - Date.parse(a)) / 86400000); }
  function addDays(d, n) { return new Date(Date.parse(d) + n * 86400000).toISOString().slice(0, 10); }

  // The grid: states x organisations on one day.
  async function grid(params) {
    setCurrent("grid");
    const date = /^\d{4}-\d{2}-\d{2}$/.test(params.get("date") || "") ? params.get("date") : today();
    const region = params.get("region") || "central_asia";
    const q = new URLSearchParams({ as_of: date });
    if (region !== "all") q.set("region", region);
    const m = await api("/v1/matrix?" + q);
    const span = daysBetween(FIRST_DAY, today());
    const slider = el("input", { type: "range", min: 0, max: span, value: Math.max(0, Math.min(span, daysBetween(FIRST_DAY, date))),
      id: "date-slider", "aria-label": "Date" });
    const dateInput = el("input", { type: "date", value: date, min: FIRST_DAY, max: today(), id: "date-input" });
    const regionSel = el("select", { id: "region" },
      ["all", "central_asia", "caucasus", "europe", "east_asia", "south_asia", "southeast_asia", "middle_east", "north_america", "caribbean"]
        .map((r) => el("option", { value: r, text: r.replace(/_/g, " "), selected: r === region })));
    const go = (d, r) => { location.hash = "#/grid?" + new URLSearchParams({ date: d, region: r }); };
    slider.addEventListener("input", () => { dateInput.value = addDays(FIRST_DAY, Number(slider.value)); });
    slider.addEventListener("change", () => go(addDays(FIRST_DAY, Number(slider.value)), regionSel.value));
    dateInput.addEventListener("change", () => { if (dateInput.value) go(dateInput.value, regionSel.value); });
    regionSel.addEventListener("change", () => go(dateInput.value || date, regionSel.value));
    const cols = m.columns;
    const table = el("table", { className: "grid", id: "matrix", "data-as-of": m.as_of },
      el("caption", { className: "muted", text: `Roles held on ${m.as_of}` + (region === "all" ? "" : ` by states in ${region.replace(/_/g, " ")}`) }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "State" }),
        cols.map((c) => el("th", { scope: "col", "data-org": c.slug, title: c.name + (c.membership_coverage === "partial" ? " (members recorded only in part)" : "") },
          el("a", { href: "#/org/" + c.slug, text: c.acronym || c.slug }), c.membership_coverage === "partial" ? "*" : "")))),
      el("tbody", {}, m.data.map((row) => el("tr", { "data-state": row.state },
        el("th", { scope: "row" }, el("a", { href: "#/state/" + row.state, text: row.state_name })),
        row.cells.map((role, i) => el("td", { className: "cell", "data-org": cols[i].slug, "data-role": role || "",
          "data-participation": (row.participation && row.participation[i]) || "" },
          roleBadge(role, row.participation && row.participation[i])))))));
    show(el("h2", { text: "Who belonged to what on " + m.as_of }),
      el("div", { className: "controls" }, el("label", {}, "Date ", slider), el("label", {}, "Day ", dateInput), el("label", {}, "Region ", regionSel)),
      legend(), el("div", { className: "scroll" }, table),
      m.data.length ? null : el("p", { className: "muted", text: "No memberships on that day." }),
      el("p", { className: "muted", text: "* the organisation's members are recorded only in part." }));
  }

  // An organisation's timeline: one bar per state and period.
  async function org(slug) {
    setCurrent("org");
    // Every period, the predecessors' included (the CSTO's timeline starts with the 1992 treaty).
    const [o, h, orgs] = await Promise.all([api("/v1/organisations/" + encodeURIComponent(slug)),
      api("/v1/organisations/" + encodeURIComponent(slug) + "/members?as_of=all&lineage=true"), api("/v1/organisations?limit=100")]);
    const rows = h.data;
    const start = [o.founded_on, ...rows.map((r) => r.joined_on)].filter(Boolean).sort()[0] || FIRST_DAY;
    const end = today();
    const total = Math.max(1, daysBetween(start, end));
    const width = 960, left = 200, rowH = 18;
    const x = (d) => left + ((width - left - 10) * daysBetween(start, d)) / total;
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${rows.length * rowH + 30}`);
    svg.setAttribute("width", "100%");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `Timeline of ${o.name}: ${rows.length} periods`);
    const y0 = Number(start.slice(0, 4)), y1 = Number(end.slice(0, 4));
    for (let y = Math.ceil(y0 / 5) * 5; y <= y1; y += 5) {
      const t = document.createElementNS(ns, "text");
      t.setAttribute("x", x(`${y}-01-01`)); t.setAttribute("y", 12); t.textContent = y;
      svg.append(t);
    }
    rows.forEach((r, i) => {
      const y = 20 + i * rowH;
      const label = document.createElementNS(ns, "text");
      label.setAttribute("x", 2); label.setAttribute("y", y + 12);
      label.textContent = `${r.state_name} (${r.role.replace(/_/g, " ")}${r.lineage ? ", " + (r.acronym || r.organisation) : ""})`;
      const bar = document.createElementNS(ns, "rect");
      const x1 = x(r.joined_on), x2 = x(r.left_on || end);
      bar.setAttribute("x", x1); bar.setAttribute("y", y + 2); bar.setAttribute("height", rowH - 5);
      bar.setAttribute("width", Math.max(2, x2 - x1));
      bar.setAttribute("class", "bar role-" + r.role);
      bar.setAttribute("fill", { member: "#1f6feb", observer: "#d4a72c", partner: "#2da44e", dialogue_partner: "#7ec97e",
        participating_state: "#8250df", associate_member: "#6ea8fe", participant: "#c297ff", pa_observer: "#bbbbbb", holder: "#6e7781" }[r.role] || "#999");
      bar.setAttribute("data-state", r.state);
      bar.setAttribute("data-organisation", r.organisation);
      bar.setAttribute("data-role", r.role);
      bar.setAttribute("data-joined", r.joined_on);
      bar.setAttribute("data-left", r.left_on || "");
      const title = document.createElementNS(ns, "title");
      title.textContent = `${r.state_name}: ${r.role.replace(/_/g, " ")} of ${r.acronym || r.organisation} from ${r.joined_on}${r.left_on ? " to " + r.left_on : ""}` +
        (r.participation !== "active" ? ` (participation ${r.participation})` : "") + ` — sources: ${r.sources.join(", ")}; ${r.confidence}`;
      bar.append(title);
      const tag = document.createElementNS(ns, "text");
      tag.setAttribute("x", x1 + 3); tag.setAttribute("y", y + 12); tag.setAttribute("fill", "#fff");
      tag.textContent = ROLE_LABEL[r.role] || "";
      svg.append(label, bar, tag);
    });
    const picker = el("select", { id: "org-picker", "aria-label": "Organisation" },
      orgs.data.map((x) => el("option", { value: x.slug, text: `${x.acronym || x.slug} — ${x.name}`, selected: x.slug === o.slug })));
    picker.addEventListener("change", () => { location.hash = "#/org/" + picker.value; });
    const link = (s) => s ? el("a", { href: "#/org/" + s, text: s }) : "none";
    show(el("h2", { text: o.name + (o.acronym ? ` (${o.acronym})` : "") }),
      el("div", { className: "controls" }, el("label", {}, "Organisation ", picker)),
      el("p", {}, `Founded ${o.founded_on || "unknown"}${o.ended_on ? ", ended " + o.ended_on : ""}. Predecessor: `, link(o.predecessor),
        ". Successor: ", link(o.successor), ". ", o.membership_coverage === "partial" ? el("strong", { text: "Members recorded only in part: " + (o.size_note || "") }) : (o.size_note || "")),
      legend(), el("div", { className: "timeline scroll", id: "timeline", "data-org": o.slug }, svg),
      el("h3", { text: "Periods" }), periodTable(rows, "state"));
  }

  function periodTable(rows, key) {
    return el("div", { className: "scroll" }, el("table", {},
      el("thead", {}, el("tr", {}, ["", "Role", "From", "Until", "Participation", "Sources", "Confidence"].map((t) => el("th", { scope: "col", text: t })))),
      el("tbody", {}, rows.map((r) => el("tr", {},
        el("td", {}, key === "state" ? el("a", { href: "#/state/" + r.state, text: r.state_name }) : el("a", { href: "#/org/" + r.organisation, text: r.acronym || r.organisation })),
        el("td", {}, roleBadge(r.role), " " + r.role.replace(/_/g, " ")),
        el("td", { text: r.joined_on + (r.joined_precision !== "day" ? ` (${r.joined_precision})` : "") }),
        el("td", { text: r.left_on ? r.left_on + (r.end_reason ? ` (${r.end_reason.replace(/_/g, " ")})` : "") : "—" }),
        el("td", { text: r.participation + (r.participation_since ? " since " + r.participation_since : "") }),
        el("td", { text: r.sources.join(", ") }), el("td", { text: r.confidence }))))));
  }

  // A state's page: memberships and agreements over time.
  async function state(code) {
    setCurrent("state");
    const kinds = "military_alliance,regional_organisation,economic_union,programme,dialogue_forum,dialogue_format,confidence_building_forum,initiative,legal_status";
    const [s, ms, ags, states] = await Promise.all([api("/v1/states/" + encodeURIComponent(code)),
      api(`/v1/states/${encodeURIComponent(code)}/memberships?as_of=all&kind=${kinds}`), api(`/v1/states/${encodeURIComponent(code)}/agreements`),
      api("/v1/states?limit=500&sort=name")]);
    const picker = el("select", { id: "state-picker", "aria-label": "State" },
      states.data.map((x) => el("option", { value: x.code, text: x.name, selected: x.code === s.code })));
    picker.addEventListener("change", () => { location.hash = "#/state/" + picker.value; });
    show(el("h2", { id: "state-name", "data-code": s.code, text: `${s.name} (${s.code} / ${s.iso3})` }),
      el("div", { className: "controls" }, el("label", {}, "State ", picker)),
      el("p", { className: "muted", text: `Region: ${(s.region || "unknown").replace(/_/g, " ")}. Sources: ${s.sources.join(", ")}; ${s.confidence}.` }),
      el("h3", { text: "Memberships, past and present" }), ms.data.length ? periodTable(ms.data, "org") : el("p", { text: "None recorded." }),
      el("h3", { text: "Agreements" }),
      ags.data.length ? el("div", { className: "scroll" }, el("table", { id: "agreements" },
        el("thead", {}, el("tr", {}, ["Agreement", "Role", "Signed", "Ratified", "Left", "Sources", "Confidence"].map((t) => el("th", { scope: "col", text: t })))),
        el("tbody", {}, ags.data.map((p) => el("tr", {}, el("td", { text: p.agreement_name }), el("td", { text: p.role }),
          el("td", { text: p.signed_on || "—" }), el("td", { text: p.ratified_on || "—" }),
          el("td", { text: p.left_on ? p.left_on + (p.left_reason ? ` (${p.left_reason.replace(/_/g, " ")})` : "") : "—" }),
          el("td", { text: p.sources.join(", ") }), el("td", { text: p.confidence }))))))
        : el("p", { text: "None recorded." }));
  }

  // The seed article's claims with their verdicts.
  async function claims() {
    setCurrent("claims");
    const c = await api("/v1/claims?limit=100");
    show(el("h2", { text: "What the seed article claims, and what is true" }),
      el("div", { className: "scroll" }, el("table", { id: "claims" },
        el("thead", {}, el("tr", {}, ["Section", "The article says (paraphrase)", "Verdict", "What is true", "Sources"].map((t) => el("th", { scope: "col", text: t })))),
        el("tbody", {}, c.data.map((x) => el("tr", {}, el("td", { text: x.section_heading }), el("td", { text: x.claim }),
          el("td", {}, el("span", { className: "badge verdict-" + x.verdict, text: x.verdict.replace(/_/g, " ") })),
          el("td", { text: x.what_is_true || "" }), el("td", { text: x.sources.join(", ") })))))));
  }

  async function route() {
    main.dataset.ready = "false";
    const { parts, params } = parseHash();
    try {
      if (parts[0] === "org" && parts[1]) await org(parts[1]);
      else if (parts[0] === "state" && parts[1]) await state(parts[1]);
      else if (parts[0] === "claims") await claims();
      else await grid(params);
    } catch (e) {
      fail(e);
    }
  }
  window.addEventListener("hashchange", route);
  route();
})();
