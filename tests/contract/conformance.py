"""Real answers against /openapi.json, strictly.

Sends requests to every endpoint (successes and errors, reads and writes), and checks each
answer: its status is declared for that operation, its media type is one the operation
declares, and a JSON body validates against the declared schema with
`additionalProperties: false` applied to every declared object, so an undeclared key fails.

  python3 conformance.py --base http://127.0.0.1:8080 --token pacts_…
Prints `conformance: N passed, M failed`; exits 1 on any failure or fewer than 50 answers.
Needs `jsonschema` (installed with check-jsonschema in CI's venv).
"""
import argparse
import copy
import json
import os
import sys
import time
import urllib.error
import urllib.request

import jsonschema


def strict(schema):
    """A copy where every object schema with properties admits no other keys."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


class Contract:
    def __init__(self, doc):
        self.doc = doc
        self.components = strict(copy.deepcopy(doc["components"]))
        self.ops = []
        for template, item in doc["paths"].items():
            for method, op in item.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    self.ops.append((template.split("/"), template, method.upper(), op))

    @staticmethod
    def matches(segments, path):
        parts = path.split("/")
        return len(parts) == len(segments) and all(
            (s.startswith("{") and s.endswith("}") and p) or s == p for s, p in zip(segments, parts))

    def operation(self, method, path):
        """The most specific template matching the path (fewest parameters)."""
        found = [(t.count("{"), t, op) for segs, t, m, op in self.ops if m == method and self.matches(segs, path)]
        if not found:
            return None, None
        found.sort()
        return found[0][1], found[0][2]

    def check(self, method, path, status, ctype, body):
        template, op = self.operation(method, path.split("?")[0])
        if op is None:
            return f"{method} {path}: no operation documents this path"
        resp = op["responses"].get(str(status))
        if resp is None:
            return f"{method} {template}: status {status} is not declared ({sorted(op['responses'])})"
        content = resp.get("content")
        if not content:
            return None if not body else f"{method} {template} {status}: a body where none is declared"
        media = (ctype or "").split(";")[0].strip()
        if media not in content:
            return f"{method} {template} {status}: {media} is not declared ({list(content)})"
        if not media.endswith("json"):
            return None
        schema = strict(copy.deepcopy(content[media]["schema"]))
        root = dict(schema)
        root["components"] = self.components
        root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        try:
            jsonschema.Draft202012Validator(root).validate(json.loads(body))
        except jsonschema.ValidationError as e:
            where = "/".join(str(p) for p in e.absolute_path)
            return f"{method} {template} {status}: at {where or '(root)'}: {e.message[:300]}"
        return None


def send(base, method, path, body=None, token=None, headers=None):
    h = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        h.setdefault("Content-Type", "application/json")
    if token:
        h["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers.get("content-type"), r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("content-type"), e.read().decode(), dict(e.headers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--token", required=True)
    args = ap.parse_args()
    base, token = args.base, args.token
    contract = Contract(json.loads(send(base, "GET", "/openapi.json")[2]))
    passed, failures = 0, []
    # The check must bite: an undeclared key, a missing required key, a wrong enum value.
    for bad in ['{"status": "ok", "extra": 1}', '{}']:
        assert contract.check("GET", "/healthz", 200, "application/json", bad), bad
    row = json.loads(send(base, "GET", "/v1/organisations/csto/members?as_of=2013-01-01")[2])
    row["data"][0]["role"] = "emperor"
    assert contract.check("GET", "/v1/organisations/csto/members", 200, "application/json", json.dumps(row))

    def run(method, path, body=None, auth=False, headers=None, expect=None):
        nonlocal passed
        status, ctype, text, hdrs = send(base, method, path, body, token if auth else None, headers)
        problem = contract.check(method, path, status, ctype, text)
        if expect is not None and status != expect:
            problem = f"{method} {path}: expected {expect}, got {status}: {text[:200]}"
        if problem:
            failures.append(problem)
        else:
            passed += 1
        return status, text, hdrs

    for p in ["/v1", "/healthz", "/readyz", "/problems/not-found", "/problems/nonsense"]:
        run("GET", p)
    keys = {"states": "KZ", "organisations": "csto", "agreements": "cst", "memberships": "1",
            "agreement-parties": "1", "sources": "seed-article", "claims": "c01"}
    for name, key in keys.items():
        run("GET", f"/v1/{name}", expect=200)
        run("GET", f"/v1/{name}?limit=2&sort=-confidence" if name != "sources" else f"/v1/{name}?limit=2", expect=200)
        run("GET", f"/v1/{name}?colour=red", expect=400)
        run("GET", f"/v1/{name}.csv?limit=3", expect=200)
        _, _, h = run("GET", f"/v1/{name}/{key}", expect=200)
        run("GET", f"/v1/{name}/{key}", headers={"If-None-Match": h.get("ETag", h.get("etag", ""))}, expect=304)
        run("GET", f"/v1/{name}/999999" if name in ("memberships", "agreement-parties") else f"/v1/{name}/zz-none", expect=404)
    questions = [
        "/v1/organisations/csto/members?as_of=2013-01-01", "/v1/organisations/csto/members?as_of=all&lineage=true",
        "/v1/organisations/sco/history", "/v1/states/UZ/memberships?as_of=2008-01-01", "/v1/states/KZ/agreements",
        "/v1/agreements/cst/parties", "/v1/shared?states=KZ,KG&as_of=2013-01-01", "/v1/overlap?organisations=csto,sco",
        "/v1/matrix?region=central_asia&as_of=2013-01-01", "/v1/matrix?states=KZ,UZ&organisations=csto,sco",
        "/v1/events?organisation=sco&from=2025-09-01&to=2025-09-01", "/v1/events?state=UZ&limit=2",
        "/v1/organisations/sco/counts?role=member", "/v1/organisations/csto/counts?by=month&limit=3",
        "/v1/diff?from=2012-01-01&to=2013-01-01&region=central_asia", "/v1/organisations/nato/history?limit=5",
    ]
    for q in questions:
        run("GET", q, expect=200)
        path, _, query = q.partition("?")
        run("GET", f"{path}.csv?{query}", expect=200)
    for bad in ["/v1/organisations/nope/members", "/v1/states/QQ/memberships", "/v1/agreements/nope/parties"]:
        run("GET", bad, expect=404)
    for bad in ["/v1/matrix?as_of=all", "/v1/shared", "/v1/overlap?organisations=csto&as_of=yesterday",
                "/v1/events?kind=joined", "/v1/diff?from=2013-01-01", "/v1/memberships?joined_on=gt.soon"]:
        run("GET", bad, expect=400)
    # List operators, field selection, embedded sources and a whole list in one answer.
    for q in ["/v1/memberships?joined_on=gte.2020-01-01&joined_on=lt.2022-01-01", "/v1/memberships?left_on=is.null&organisation=in.(csto,cst)",
              "/v1/memberships?as_of=2013-01-01&region=central_asia", "/v1/memberships?fields=state,organisation,role&limit=3",
              "/v1/memberships?embed=sources&limit=3", "/v1/sources?limit=all", "/v1/memberships.csv?limit=all"]:
        run("GET", q, expect=200)
    run("GET", "/v1/states/KZ", headers={"Authorization": "Bearer nope"}, expect=401)

    # Writes, with the change log; names of this run's own.
    src = f"conf-{os.getpid()}-{int(time.time())}"
    run("POST", "/v1/sources", {"slug": src, "title": "Conformance"}, expect=401)
    status, text, h = run("POST", "/v1/sources", {"slug": src, "title": "Conformance", "kind": "reference"}, auth=True, expect=201)
    run("POST", "/v1/sources", {"slug": src, "title": "Again"}, auth=True, expect=409)
    run("POST", "/v1/sources", {"slug": "conf-bad", "title": 7}, auth=True, expect=422)
    run("POST", "/v1/sources", b"not json", auth=True, expect=400)
    run("POST", "/v1/sources", b"{}", auth=True, headers={"Content-Type": "text/plain"}, expect=415)
    run("PUT", f"/v1/sources/{src}", {"title": "Replaced"}, auth=True, headers={"If-None-Match": "*"}, expect=412)
    run("PUT", f"/v1/sources/{src}", {"title": "Replaced"}, auth=True, expect=200)
    status, text, h = run("POST", "/v1/memberships", {"state": "KZ", "organisation": "csto", "role": "pa_observer",
                          "joined_on": "2200-01-01", "left_on": "2200-06-01", "end_reason": "withdrew", "sources": [src]}, auth=True, expect=201)
    mid = json.loads(text)["id"] if status == 201 else 0
    run("PATCH", f"/v1/memberships/{mid}", {"note": "checked"}, auth=True,
        headers={"Content-Type": "application/merge-patch+json"}, expect=200)
    run("PATCH", f"/v1/memberships/{mid}", {"note": "stale"}, auth=True, headers={"If-Match": '"0"'}, expect=412)
    run("PATCH", f"/v1/memberships/{mid}", {"role": "king"}, auth=True, expect=422)
    run("DELETE", f"/v1/sources/{src}", auth=True, expect=409)
    status, text, _ = run("GET", "/v1/changes?limit=5", auth=True, expect=200)
    changes = json.loads(text)["data"] if status == 200 else []
    run("GET", "/v1/changes", expect=401)
    if changes:
        run("GET", f"/v1/changes/{changes[0]['id']}", auth=True, expect=200)
        run("POST", f"/v1/changes/{changes[0]['id']}/revert", auth=True, expect=200)
    run("GET", "/v1/changes/999999", auth=True, expect=404)
    run("DELETE", f"/v1/memberships/{mid}", auth=True, expect=204)
    run("DELETE", f"/v1/memberships/{mid}", auth=True, expect=404)

    for f in failures:
        print("FAIL", f)
    print(f"conformance: {passed} passed, {len(failures)} failed")
    sys.exit(1 if failures or passed < 50 else 0)


if __name__ == "__main__":
    main()
