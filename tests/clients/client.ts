// A real user of the generated TypeScript types (openapi-typescript) with openapi-fetch,
// against a live pacts: no casts, no `any`, checked with `tsc --strict`.
// Reads the CSTO's members on 2013-01-01 as typed rows, a matrix with its columns, a CSV
// as text; creates a source and a membership with a token, patches the membership with a
// typed patch, and reverts all three writes through the change log.
//   PACTS_BASE=http://127.0.0.1:8080 PACTS_TOKEN=pacts_… node build/client.js
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/pacts.js";

type MembershipRow = components["schemas"]["MembershipRow"];
type MembershipPatch = components["schemas"]["MembershipPatch"];

function expect(cond: boolean, what: string): void {
  if (!cond) {
    throw new Error(`FAIL: ${what}`);
  }
}

function env(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === "") {
    throw new Error(`${name} is not set`);
  }
  return v;
}

const baseUrl = env("PACTS_BASE");
const anon = createClient<paths>({ baseUrl });
const auth = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${env("PACTS_TOKEN")}` } });

const members = await anon.GET("/v1/organisations/{key}/members", {
  params: { path: { key: "csto" }, query: { as_of: "2013-01-01" } },
});
if (members.data === undefined) throw new Error(`members: ${JSON.stringify(members.error)}`);
const rows: MembershipRow[] = members.data.data;
const states = new Set(rows.filter((r) => r.role === "member").map((r) => r.state));
for (const s of ["AM", "BY", "KZ", "KG", "RU", "TJ"]) expect(states.has(s), `CSTO member ${s} in 2013`);
expect(!states.has("UZ"), "Uzbekistan had left the CSTO by 2013");
expect(members.data.complete === (members.data.organisation.membership_coverage === "complete"), "complete follows coverage");

const grid = await anon.GET("/v1/matrix", { params: { query: { region: "central_asia", as_of: "2013-01-01" } } });
if (grid.data === undefined) throw new Error(`matrix: ${JSON.stringify(grid.error)}`);
const slugs: string[] = grid.data.columns.map((c) => c.slug);
const uz = grid.data.data.find((r) => r.state === "UZ");
if (uz === undefined) throw new Error("no row for Uzbekistan");
expect(uz.cells[slugs.indexOf("csto")] === null, "no CSTO cell for Uzbekistan in 2013");
expect(uz.cells[slugs.indexOf("sco")] === "member", "Uzbekistan in the SCO");

const csv = await anon.GET("/v1/matrix.csv", {
  params: { query: { region: "central_asia", as_of: "2013-01-01" } },
  parseAs: "text",
});
if (csv.data === undefined) throw new Error("no CSV");
const text: string = csv.data;
expect(text.startsWith("state,state_name,region,"), `CSV header: ${text.slice(0, 60)}`);

const slug = `ts-client-${process.pid}`;
const source = await auth.POST("/v1/sources", { body: { slug, title: "Written by the TypeScript client" } });
if (source.data === undefined) throw new Error(`create source: ${JSON.stringify(source.error)}`);
const created = await auth.POST("/v1/memberships", {
  body: { state: "KZ", organisation: "csto", role: "pa_observer", joined_on: "2202-01-01", left_on: "2202-06-01", sources: [slug] },
});
if (created.data === undefined) throw new Error(`create membership: ${JSON.stringify(created.error)}`);
const id: number = created.data.id;
const patch: MembershipPatch = { note: "typed patch" };
const patched = await auth.PATCH("/v1/memberships/{key}", { params: { path: { key: id } }, body: patch });
if (patched.data === undefined) throw new Error(`patch: ${JSON.stringify(patched.error)}`);
expect(patched.data.note === "typed patch", "patched note");

const log = await auth.GET("/v1/changes", { params: { query: { collection: "memberships", key: String(id) } } });
if (log.data === undefined) throw new Error("change log");
// Newest first: this run's patch, then its create (SQLite may reuse a deleted id, so
// older entries for the same key can follow).
const ours = log.data.data.slice(0, 2);
expect(ours.map((c) => c.action).join(",") === "replace,create", "patch and create logged");
for (const change of ours) {
  const undone = await auth.POST("/v1/changes/{id}/revert", { params: { path: { id: change.id } } });
  if (undone.data === undefined) throw new Error(`revert ${change.id}: ${JSON.stringify(undone.error)}`);
  expect(undone.data.reverted === change.id, "reverted the change asked for");
}
const srcLog = await auth.GET("/v1/changes", { params: { query: { collection: "sources", key: slug } } });
const first = srcLog.data?.data[0];
if (first === undefined) throw new Error("source change");
const undone = await auth.POST("/v1/changes/{id}/revert", { params: { path: { id: first.id } } });
expect(undone.data !== undefined, "source create reverted");
const gone = await anon.GET("/v1/memberships/{key}", { params: { path: { key: id } } });
expect(gone.response.status === 404 && gone.error?.type === "/problems/not-found", "membership gone");
console.log("typescript client: read members, matrix, CSV; wrote, patched and reverted through the change log");
