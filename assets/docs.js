// A readable API reference rendered from /openapi.json, with no outside scripts.
"use strict";
(async function () {
  const main = document.getElementById("main");
  const errors = [];
  window.addEventListener("error", (e) => { errors.push(String(e.message)); document.body.dataset.jsErrors = errors.length; });
  document.body.dataset.jsErrors = "0";
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) { if (k === "text") e.textContent = v; else e.setAttribute(k, v); }
    for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    return e;
  }
  function schemaText(s) {
    if (!s) return "";
    if (s.$ref) return s.$ref.split("/").pop();
    if (s.enum) return s.enum.filter((x) => x !== null).join(" | ");
    const t = Array.isArray(s.type) ? s.type.join(" or ") : (s.type || "");
    return t + (s.format ? ` (${s.format})` : "") + (s.pattern ? ` matching ${s.pattern}` : "");
  }
  const doc = await (await fetch("/openapi.json")).json();
  const byTag = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (method === "parameters") continue;
      const tag = (op.tags || ["other"])[0];
      (byTag[tag] = byTag[tag] || []).push({ path, method, op, shared: item.parameters || [] });
    }
  }
  const toc = el("ul", {}, Object.keys(byTag).map((t) => el("li", {}, el("a", { href: "#tag-" + t, text: t }))));
  const sections = Object.entries(byTag).map(([tag, ops]) => el("section", { id: "tag-" + tag }, el("h2", { text: tag }),
    ops.map(({ path, method, op, shared }) => {
      const params = [...shared, ...(op.parameters || [])];
      return el("article", { class: "op", id: op.operationId || "" },
        el("h3", {}, el("code", { text: method.toUpperCase() + " " + path })), el("p", { text: op.summary || "" }),
        op.security ? el("p", { class: "muted", text: "Needs Authorization: Bearer <token>." }) : null,
        params.length ? el("table", {}, el("thead", {}, el("tr", {}, ["Parameter", "In", "Type", "Description"].map((h) => el("th", { text: h })))),
          el("tbody", {}, params.map((p) => el("tr", {}, el("td", {}, el("code", { text: p.name + (p.required ? " *" : "") })),
            el("td", { text: p.in }), el("td", { text: schemaText(p.schema) }), el("td", { text: p.description || "" }))))) : null,
        op.requestBody ? el("p", { text: "Body: " + Object.entries(op.requestBody.content).map(([ct, c]) => `${ct} ${schemaText(c.schema)}`).join("; ") }) : null,
        el("p", { class: "muted", text: "Answers: " + Object.entries(op.responses).map(([code, r]) => `${code} ${r.description || ""}`).join(" · ") }));
    })));
  const schemas = el("section", { id: "schemas" }, el("h2", { text: "Schemas" }),
    Object.entries(doc.components.schemas).map(([name, s]) => el("article", { id: "schema-" + name }, el("h3", { text: name }),
      s.description ? el("p", { text: s.description }) : null,
      s.properties ? el("table", {}, el("tbody", {}, Object.entries(s.properties).map(([k, v]) => el("tr", {},
        el("td", {}, el("code", { text: k + ((s.required || []).includes(k) ? " *" : "") })), el("td", { text: schemaText(v) }),
        el("td", { text: v.description || "" }))))) : null)));
  main.replaceChildren(el("h1", { text: `${doc.info.title} ${doc.info.version}` }), el("p", { text: doc.info.description }), toc, ...sections, schemas);
  main.dataset.ready = "true";
})();
