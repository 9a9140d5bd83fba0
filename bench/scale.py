#!/usr/bin/env python3
"""The 1000x dataset: synthetic data through pacts' own schema, and the members-as-of
read on it: pacts on SQLite and on PostgreSQL (the same rows) against Datasette with the
same indexes (the same SQLite file).

Scale: 676 states (every two-letter code: the schema keeps ISO alpha-2 keys, so "thousands
of states" cannot exist; the other tables carry the growth), 2,000 organisations,
339,000 memberships (1000x the seed) with 339,000 source links. Two loads per target:
"hot" (one URL again and again) and "varied" (a random date per request from 1950-2030).
pacts runs with its response cache off (PACTS_CACHE_BYTES=0): every answer is computed,
from the facts it holds in memory.
Writes bench/SCALE.md with the figures and the query plans.
"""
import datetime
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import DURATION, PACTS, PG, ROOT, VENV, get, start, wrk  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "tests", "faults"))
from common import free_port, wait_for  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
ORGS = 2000
MEMBERSHIPS = 339_000
ROLES = ["member", "observer", "partner", "dialogue_partner"]

LUA = """
local template = os.getenv("BENCH_TEMPLATE")
math.randomseed(42)
request = function()
  local days = math.random(0, 80 * 365)
  local d = os.date("!%Y-%m-%d", -631152000 + days * 86400)
  return wrk.format("GET", string.format(template, d))
end
"""


def generate(db):
    """Write the synthetic rows into the SQLite file at `db`; returns them per table, for
    the same load into PostgreSQL."""
    rng = random.Random(1000)
    con = sqlite3.connect(db)
    con.execute("pragma journal_mode=wal")
    con.execute("pragma synchronous=off")
    con.execute("begin")
    con.execute("insert into sources (slug, title, kind) values ('scale', 'synthetic scale data', 'data') on conflict do nothing")
    codes = [a + b for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
    con.executemany(
        "insert into states (code, iso3, name, region, central_asian, confidence, search) values (?, ?, ?, ?, false, 'unverified', ?) "
        "on conflict do nothing",
        [(c, c + "X", f"State {c}", "europe", f"state {c.lower()}") for c in codes])
    con.executemany("insert into state_sources (fact, source, position) values (?, 'scale', 0) on conflict do nothing",
                    [(c,) for c in codes])
    orgs = [f"org-{i:04d}" for i in range(ORGS)]
    con.executemany(
        "insert into organisations (slug, name, kind, founded_on, membership_coverage, confidence, aliases, search) "
        "values (?, ?, 'regional_organisation', '1950-01-01', 'complete', 'unverified', '[]', ?)",
        [(o, f"Organisation {o}", f"organisation {o}") for o in orgs])
    con.executemany("insert into organisation_sources (fact, source, position) values (?, 'scale', 0)", [(o,) for o in orgs])
    base = datetime.date(1950, 1, 1)
    rows, links = [], []
    mid = 1_000_000
    per_org = MEMBERSHIPS // ORGS
    for o in orgs:
        for c in rng.sample(codes, per_org):
            start_day = rng.randrange(0, 70 * 365)
            end = None if rng.random() < 0.6 else base + datetime.timedelta(days=start_day + rng.randrange(30, 20 * 365))
            rows.append((mid, c, o, rng.choice(ROLES), (base + datetime.timedelta(days=start_day)).isoformat(),
                         end.isoformat() if end else None))
            links.append((mid,))
            mid += 1
    con.executemany(
        "insert into memberships (id, state, organisation, role, founding, joined_on, joined_precision, left_on, left_precision, "
        "participation, confidence, search) values (?, ?, ?, ?, false, ?, 'day', ?, 'day', 'active', 'unverified', '')", rows)
    con.executemany("insert into membership_sources (fact, source, position) values (?, 'scale', 0)", links)
    con.execute("update data_version set version = version + 1")
    con.execute("commit")
    con.execute("analyze")
    con.close()
    return {
        "states": [(c, c + "X", f"State {c}", "europe", "false", "unverified", f"state {c.lower()}") for c in codes],
        "state_sources": [(c, "scale", 0) for c in codes],
        "organisations": [(o, f"Organisation {o}", "regional_organisation", "1950-01-01", "complete", "unverified", "[]",
                           f"organisation {o}") for o in orgs],
        "organisation_sources": [(o, "scale", 0) for o in orgs],
        "memberships": [(r[0], r[1], r[2], r[3], "false", r[4], "day", r[5], "day", "active", "unverified", "") for r in rows],
        "membership_sources": [(r[0], "scale", 0) for r in rows],
    }


PG_COLUMNS = {
    "states": "code, iso3, name, region, central_asian, confidence, search",
    "state_sources": "fact, source, position",
    "organisations": "slug, name, kind, founded_on, membership_coverage, confidence, aliases, search",
    "organisation_sources": "fact, source, position",
    "memberships": "id, state, organisation, role, founding, joined_on, joined_precision, left_on, left_precision, "
                   "participation, confidence, search",
    "membership_sources": "fact, source, position",
}


def load_postgres(url, tables, tmp):
    """The same rows into a seeded PostgreSQL database: COPY into a temporary table each,
    then insert what is not there yet (the seed's own states stay as they are)."""
    import csv
    script = ["insert into sources (slug, title, kind) values ('scale', 'synthetic scale data', 'data') on conflict do nothing;"]
    for table, cols in PG_COLUMNS.items():
        path = os.path.join(tmp, f"{table}.csv")
        with open(path, "w", newline="") as f:
            csv.writer(f).writerows([["\\N" if v is None else v for v in r] for r in tables[table]])
        script += [f"create temp table t_{table} as select {cols} from {table} limit 0;",
                   f"\\copy t_{table} ({cols}) from '{path}' with (format csv, null '\\N')",
                   f"insert into {table} ({cols}) select {cols} from t_{table} on conflict do nothing;"]
    script += ["update data_version set version = version + 1 where id = 1;", "analyze;"]
    sql = os.path.join(tmp, "load.sql")
    with open(sql, "w") as f:
        f.write("\n".join(script) + "\n")
    subprocess.run(["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-f", sql], check=True, capture_output=True)


MEMBERS_SQL = ("select m.id, m.state, s.name, s.region, m.organisation, o.name, o.acronym, o.kind, o.membership_coverage, m.role, "
               "m.founding, m.joined_on, m.joined_precision, m.left_on, m.left_precision, m.end_reason, m.participation, "
               "m.participation_since, m.note, m.confidence, (select group_concat(l.source, ',') from "
               "membership_sources l where l.fact = m.id) from memberships m join states s on s.code = m.state join organisations o "
               "on o.slug = m.organisation where m.organisation in (?) and m.joined_on <= ? and (m.left_on is null or m.left_on > ?) "
               "order by m.state, m.role")


def plans(db):
    import json
    con = sqlite3.connect(db)
    ours = con.execute("explain query plan " + MEMBERS_SQL, ("org-0001", "2000-01-01", "2000-01-01")).fetchall()
    meta = json.load(open(os.path.join(ROOT, "bench", "datasette-metadata.json")))
    ds_sql = meta["databases"]["pacts"]["queries"]["members_as_of"]["sql"]
    theirs = con.execute("explain query plan " + ds_sql, {"org": "org-0001", "d": "2000-01-01"}).fetchall()
    con.close()
    return [r[-1] for r in ours], [r[-1] for r in theirs]


def main():
    tmp = tempfile.mkdtemp(prefix="pacts-scale-")
    db = os.path.join(tmp, "scale.db")
    env = {"DATABASE_URL": f"sqlite://{db}", "PACTS_LOG": "warn", "PACTS_CACHE_BYTES": "0"}
    subprocess.run([PACTS, "seed"], env=dict(os.environ, **env), check=True, capture_output=True)
    t = time.monotonic()
    tables = generate(db)
    n = len(tables["memberships"])
    load_s = time.monotonic() - t
    # The same rows in PostgreSQL, seeded by pacts first (its schema, indexes and release).
    pg_url = f"{PG}/pacts_scale"
    subprocess.run(["psql", f"{PG}/postgres", "-qc", "drop database if exists pacts_scale with (force)"], check=True, capture_output=True)
    subprocess.run(["psql", f"{PG}/postgres", "-qc", "create database pacts_scale"], check=True, capture_output=True)
    subprocess.run([PACTS, "seed"], env=dict(os.environ, DATABASE_URL=pg_url, PACTS_LOG="warn"), check=True, capture_output=True)
    t = time.monotonic()
    load_postgres(pg_url, tables, tmp)
    pg_load_s = time.monotonic() - t
    ours, theirs = plans(db)
    ds_dir = os.path.join(tmp, "ds")
    os.makedirs(ds_dir)
    shutil.copy(db, os.path.join(ds_dir, "pacts.db"))
    lua = os.path.join(tmp, "dates.lua")
    with open(lua, "w") as f:
        f.write(LUA)
    procs = []
    try:
        p_port = free_port()
        t = time.monotonic()
        procs.append(start([PACTS], dict(env, PACTS_BIND=f"127.0.0.1:{p_port}")))
        assert wait_for(p_port, limit=120) is not None
        ready_s = {"pacts-sqlite": time.monotonic() - t}
        g_port = free_port()
        t = time.monotonic()
        procs.append(start([PACTS], {"DATABASE_URL": pg_url, "PACTS_LOG": "warn", "PACTS_BIND": f"127.0.0.1:{g_port}",
                                     "PACTS_CACHE_BYTES": "0"}))
        assert wait_for(g_port, limit=120) is not None
        ready_s["pacts-postgres"] = time.monotonic() - t
        d_port = free_port()
        procs.append(start([f"{VENV}/bin/datasette", "serve", "-i", os.path.join(ds_dir, "pacts.db"), "-p", str(d_port),
                            "--metadata", os.path.join(ROOT, "bench", "datasette-metadata.json"),
                            "--setting", "sql_time_limit_ms", "10000"]))
        for _ in range(300):
            try:
                if get(f"http://127.0.0.1:{d_port}/-/versions.json")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        pacts_t = f"http://127.0.0.1:{p_port}/v1/organisations/org-0001/members?as_of=%s"
        pg_t = f"http://127.0.0.1:{g_port}/v1/organisations/org-0001/members?as_of=%s"
        ds_t = f"http://127.0.0.1:{d_port}/pacts/members_as_of.json?org=org-0001&d=%s&_shape=objects"
        st, body = get(pacts_t % "2000-01-01")
        import json
        members = len(json.loads(body)["data"])
        assert len(json.loads(get(ds_t % "2000-01-01")[1])["rows"]) == members
        assert get(pg_t % "2000-01-01")[1] == body, "the two backends must answer alike"
        results = {}
        for rnd in range(ROUNDS):
            for mode in ["hot", "varied"]:
                for name, template, pid in [("pacts-sqlite", pacts_t, procs[0].pid), ("pacts-postgres", pg_t, procs[1].pid),
                                            ("datasette", ds_t, procs[2].pid)]:
                    if mode == "hot":
                        url, extra = template % "2000-01-01", []
                    else:
                        url, extra = template.split("?")[0], ["-s", lua]
                        os.environ["BENCH_TEMPLATE"] = "/" + template.split("/", 3)[3]
                    r = wrk_with(url, extra, pid)
                    results.setdefault((name, mode), []).append(r)
                    print(f"round {rnd + 1} {mode:6} {name:13} {r['rps']:9.0f} req/s p50 {r['p50']:.2f} ms p99 {r['p99']:.2f} ms "
                          f"errors {r['errors']} rss {r['rss_mb']:.1f} MB", flush=True)
        peak = {name: vm_hwm_mb(p.pid) for name, p in zip(["pacts-sqlite", "pacts-postgres"], procs)}
        write(results, n, members, (load_s, pg_load_s, ready_s), ours, theirs, peak)
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run(["psql", f"{PG}/postgres", "-qc", "drop database if exists pacts_scale with (force)"], capture_output=True)


def wrk_with(url, extra, pid):
    import run
    original = run.subprocess.run

    def patched(cmd, **kw):
        if cmd and cmd[0] == "wrk" and extra:
            cmd = cmd[:-1] + extra + [cmd[-1]]
        return original(cmd, **kw)

    run.subprocess.run = patched
    try:
        wrk(url, 64, 2)
        return wrk(url, 64, DURATION, pid)
    finally:
        run.subprocess.run = original


def vm_hwm_mb(pid):
    """The process's peak resident memory so far (start-up's load included), in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def write(results, n, members, timing, ours, theirs, peak):
    load_s, pg_load_s, ready_s = timing
    def s(k):
        rs = results[k]
        return {x: statistics.median(r[x] for r in rs) for x in ["rps", "p50", "p99"]} | {
            "errors": sum(r["errors"] for r in rs), "rss_mb": max(r["rss_mb"] for r in rs)}
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    lines = ["# The 1000x dataset", "",
             f"Date: {time.strftime('%Y-%m-%d', time.gmtime())}. Machine: {os.cpu_count()} cores, this project's build machine. "
             f"Commit: {commit}. Command: `bench/run.sh` (runs `bench/scale.py`). 64 connections, wrk -t2, {DURATION} s after a "
             f"2 s warm-up, {ROUNDS} interleaved rounds, medians.", "",
             f"Data: 676 states (every two-letter code; keys stay ISO alpha-2, so the states cannot grow 1000x), {ORGS} "
             f"organisations, {n} memberships with {n} source links, loaded through pacts' own schema and indexes "
             f"(SQLite {load_s:.1f} s; the same rows into PostgreSQL by COPY, {pg_load_s:.1f} s). Start-up to ready on the "
             f"loaded data: SQLite {ready_s['pacts-sqlite']:.2f} s, PostgreSQL {ready_s['pacts-postgres']:.2f} s. The read: the members of `org-0001` as of a date ({members} members on 2000-01-01). "
             "Datasette serves a copy of the same file (same indexes), immutable, with the same join as a canned query. "
             "pacts runs with its response cache off (`PACTS_CACHE_BYTES=0`): every answer, hot or varied, is computed "
             "from the facts it holds in memory.", "",
             "| load | target | req/s | p50 ms | p99 ms | errors | RSS MB | pacts ÷ Datasette |", "|---|---|---|---|---|---|---|---|"]
    for mode in ["hot", "varied"]:
        ds = s(("datasette", mode))
        for name in ["pacts-sqlite", "pacts-postgres", "datasette"]:
            x = s((name, mode))
            lines.append(f"| {mode} | {name} | {x['rps']:.0f} | {x['p50']:.2f} | {x['p99']:.2f} | {x['errors']} | {x['rss_mb']:.1f} | "
                         f"{x['rps'] / ds['rps']:.1f} |")
    lines += ["", "Targets (varied dates; issue #13 asks ≥ 20 × Datasette with p99 < 10 ms on both backends, "
              "start-up to ready < 3 s, RSS ≤ 512 MB):", ""]
    for name in ["pacts-sqlite", "pacts-postgres"]:
        v = s((name, "varied"))
        ratio = v["rps"] / s(("datasette", "varied"))["rps"]
        lines.append(f"- {name}: {ratio:.1f} × Datasette (**{'met' if ratio >= 20 else 'not met'}**), "
                     f"p99 {v['p99']:.2f} ms (**{'met' if v['p99'] < 10 else 'not met'}**); start-up to ready "
                     f"{ready_s[name]:.2f} s (< 3 s: **{'met' if ready_s[name] < 3 else 'not met'}**); peak RSS "
                     f"{peak[name]:.0f} MB over the whole run, start-up's load included (≤ 512 MB: "
                     f"**{'met' if peak[name] <= 512 else 'not met'}**).")
    lines += ["",
              "Query plan of pacts' members-as-of (SQLite `EXPLAIN QUERY PLAN`):", "", "```", *ours, "```", "",
              "Datasette's canned query:", "", "```", *theirs, "```", ""]
    with open(os.path.join(ROOT, "bench", "SCALE.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
