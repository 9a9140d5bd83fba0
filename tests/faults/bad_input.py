#!/usr/bin/env python3
"""The bad-input rows of the reliability matrix (I1-I15, A1-A2, H3) against a running
pacts: injection strings in every parameter and path, traversal, huge and negative page
sizes, malformed bodies, oversized and chunked bodies, header abuse. Every answer must be
below 500, every error must be problem+json with nothing internal in it, and nothing
may change.

    python3 tests/faults/bad_input.py --base http://127.0.0.1:8080 --token pacts_…
"""
import argparse
import http.client
import json
import sys
import urllib.parse

from common import request

INJECTIONS = ["' OR '1'='1", "1; DROP TABLE states;--", "1) UNION SELECT sqlite_version()--", "'||(SELECT pg_sleep(5))||'",
              "randomblob(1000000000)", "%", "_", "\\", "\"", "`", "$1", "?", "%00", "\u0000", "../../etc/passwd",
              "\u202e\u200b", "😀" * 50, "x" * 5000, "-1", "0", "9223372036854775808", "1e999", "NaN", "null", "[]", "{}"]
LEAKS = ["select ", "insert into", "sqlx", "sqlite", "postgres", "constraint", "syntax error", "panicked", "/work/", "src/",
         ".rs:", "stack backtrace", "sqlstate", "root:"]
GET_PATHS = {
    "/v1/states": ["region", "central_asian", "name", "q", "sort", "limit", "cursor", "format", "code", "sources", "zzz"],
    "/v1/memberships": ["state", "organisation", "role", "joined_on", "q", "sort", "limit", "cursor"],
    "/v1/organisations/csto/members": ["as_of", "role", "region", "lineage", "format"],
    "/v1/states/KZ/memberships": ["as_of", "role", "organisation", "kind"],
    "/v1/shared": ["states", "as_of", "role", "kind"],
    "/v1/overlap": ["organisations", "as_of", "role"],
    "/v1/matrix": ["as_of", "states", "organisations", "region", "kind", "role"],
    "/v1/changes": ["collection", "key", "limit", "cursor"],
}


class Sweep:
    def __init__(self, base, token):
        self.base, self.token = base, token
        self.sent = self.server_errors = self.bad_problems = self.leaks = 0
        self.failures = []

    def check(self, what, status, headers, body, sent=""):
        self.sent += 1
        if not isinstance(status, int):
            self.failures.append(f"{what}: no answer ({status})")
            return
        if status >= 500:
            self.server_errors += 1
            self.failures.append(f"{what}: {status} {body[:200]}")
        if status >= 400 and status not in (405,) and not headers.get("content-type", "").startswith("application/problem+json"):
            if status != 431:
                self.bad_problems += 1
                self.failures.append(f"{what}: {status} without problem+json")
        low = body.lower()
        # What the client sent may be quoted back; anything else on the list is a leak.
        sent = urllib.parse.unquote_plus(sent).lower()
        if status >= 400:
            for leak in LEAKS:
                if leak in low and leak not in sent:
                    self.leaks += 1
                    self.failures.append(f"{what}: leaks {leak!r}: {body[:200]}")

    def get(self, path, auth=False):
        st, h, body = request("GET", self.base + path, headers={"Authorization": f"Bearer {self.token}"} if auth else None)
        self.check(f"GET {path[:120]}", st, h, body, path)
        return st

    def write(self, method, path, raw, content_type="application/json", extra=None, may_close=False):
        """`may_close`: the server may answer 413 and close before the body is sent."""
        u = urllib.parse.urlsplit(self.base)
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": content_type}
        headers.update(extra or {})
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        try:
            c.request(method, path, body=raw, headers=headers)
            r = c.getresponse()
            st, h, body = r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as e:
            if may_close and isinstance(e, (BrokenPipeError, ConnectionResetError)):
                self.sent += 1
                return "closed"
            st, h, body = f"error {e.__class__.__name__}", {}, ""
        finally:
            c.close()
        sent = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
        self.check(f"{method} {path} {str(raw)[:60]!r}", st, h, body, path + sent)
        return st


def totals(base):
    out = {}
    for c in ["states", "organisations", "agreements", "memberships", "agreement-parties", "sources", "claims"]:
        _, _, body = request("GET", f"{base}/v1/{c}?limit=1")
        out[c] = json.loads(body)["page"]["total"]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--token", required=True)
    args = ap.parse_args()
    s = Sweep(args.base.rstrip("/"), args.token)
    before = totals(s.base)

    # I10: injection strings in every query parameter, path segment and sort key.
    for path, params in GET_PATHS.items():
        for p in params:
            for v in INJECTIONS:
                s.get(f"{path}?{urllib.parse.urlencode({p: v})}", auth=path.startswith("/v1/changes"))
    # Bytes that are not UTF-8 (a lone surrogate, a stray byte), already percent-encoded.
    for raw in ["%ED%A0%80", "%FF%FE", "%C0%AE"]:
        s.get(f"/v1/states?name={raw}")
        s.get(f"/v1/organisations/csto/members?as_of={raw}")
        s.get(f"/v1/states/{raw}")
    s.write("POST", "/v1/sources", '{"slug": "s", "title": "\\ud800"}')
    for v in INJECTIONS:
        q = urllib.parse.quote(v, safe="")
        for coll in ["states", "organisations", "agreements", "memberships", "agreement-parties", "sources", "claims"]:
            s.get(f"/v1/{coll}/{q}")
        s.get(f"/v1/organisations/{q}/members")
        s.get(f"/v1/states/{q}/agreements")
    # I11: traversal and odd paths.
    for p in ["/v1/states/..%2F..%2Fetc%2Fpasswd", "/v1/states/%2e%2e/%2e%2e/etc/passwd", "/v1/states/%252e%252e",
              "/v1/states/KZ%00", "/v1/states/%C0%AE%C0%AE", "/v1/" + "a" * 10000, "/v1/states/", "//v1//states",
              "/v1/states/KZ/../../../etc/passwd"]:
        s.get(p)
    # I12: page sizes and cursors.
    for v in ["0", "-1", "501", "2147483648", "9223372036854775808", "1e9", "abc", ""]:
        s.get(f"/v1/memberships?limit={v}")
    for v in ["zz", "00", "7b7d", "7b2273223a22222c226b223a6e756c6c7d", "a" * 3000]:
        s.get(f"/v1/memberships?cursor={v}")
    # I2-I6, I13-I14: bodies.
    bodies = ["{", "{\"slug\": \"x\",}", "{'slug': 'x'}", b"\xff\xfe{}", "\ufeff{}", "{\"title\": NaN}", "{\"cow_code\": 1e999}",
              "{\"slug\":\"a\",\"slug\":\"b\",\"title\":\"t\"}", "[" * 10000 + "]" * 10000, "", "null", "[]", "\"x\"", "1",
              json.dumps({"slug": "x", "title": "\u0000"}), json.dumps({"slug": "x", "title": "t", "id": 999, "is_admin": True}),
              json.dumps({"slug": "x", "title": "x" * 1_000_000}), json.dumps({"slug": "x", "title": ["t"]}),
              json.dumps({"slug": "x" * 100, "title": "t"}), json.dumps({"slug": "BAD SLUG", "title": "t"})]
    for b in bodies:
        s.write("POST", "/v1/sources", b)
    for b in [json.dumps({"joined_on": d}) for d in ["2023-02-30", "2023-13-01", "0000-01-01", "10000-01-01", "", "yesterday", "2023-1-5", "2023-01-01T00:00:00Z"]]:
        s.write("PATCH", "/v1/memberships/1", b, "application/merge-patch+json")
    for b in [json.dumps({"cow_code": v}) for v in [2**31, 2**63, -2**63 - 1, 1.5, "1", True]]:
        s.write("PATCH", "/v1/states/KZ", b, "application/merge-patch+json")
    for b in [json.dumps({"state": "QQ", "organisation": "nope", "role": "member", "joined_on": "2030-01-01", "sources": ["nope"]})] * 10:
        s.write("POST", "/v1/memberships", b)
    # I3: content types.
    for ct in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""]:
        s.write("POST", "/v1/sources", json.dumps({"slug": "ct", "title": "t"}), ct)
    # I1: oversized, with and without Content-Length.
    s.write("POST", "/v1/sources", b"{\"slug\":\"big\",\"title\":\"" + b"x" * (3 * 1024 * 1024) + b"\"}", may_close=True)
    s.write("POST", "/v1/sources", iter([b"{\"slug\":\"big\",\"title\":\"", b"x" * (3 * 1024 * 1024), b"\"}"]),
            extra={"Transfer-Encoding": "chunked"}, may_close=True)
    # I15 and A1/A2: methods and headers.
    for m in ["TRACE", "PUT", "PATCH", "DELETE"]:
        s.write(m, "/v1/states", "{}")
    s.write("POST", "/v1/sources", "{}", extra={"X-Many": "y" * 100000})
    for h in ["", "Bearer", "Bearer  x", "Basic eDp5", "Bearer " + "x" * 10000]:
        s.write("POST", "/v1/sources", json.dumps({"slug": "auth", "title": "t"}), extra={"Authorization": h})
    s.get(f"/v1/states?api_key={args.token}")

    after = totals(s.base)
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    print(f"bad input: sent {s.sent}, 5xx {s.server_errors}, errors without problem+json {s.bad_problems}, leaks {s.leaks}, "
          f"rows changed {changed or 0}")
    for f in s.failures[:20]:
        print("  " + f)
    ok = not s.failures and not changed
    print("bad_input: " + ("1 passed, 0 failed" if ok else "0 passed, 1 failed"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
