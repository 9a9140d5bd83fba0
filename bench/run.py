#!/usr/bin/env python3
"""Load benchmark: pacts (SQLite and PostgreSQL) against Datasette on the same data and
against a bare axum handler (the framework's ceiling), on 127.0.0.1 only.

Same four reads on each: a state by code; the members of an organisation as of a date;
the pacts two states share; the matrix of the Central Asian states. Interleaved rounds,
16 and 64 connections, wrk for BENCH_DURATION seconds (default 10) after a warm-up;
requests/s, p50, p99, errors, peak RSS under load, and pacts' start-up time. Writes
bench/RESULTS.md. Run through bench/run.sh, which installs wrk and Datasette.
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "faults"))
from common import free_port, wait_for  # noqa: E402

DURATION = int(os.environ.get("BENCH_DURATION", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNS = [16, 64]
PACTS = os.path.join(ROOT, "target", "release", "pacts")
CEILING = os.path.join(ROOT, "target", "release", "examples", "ceiling")
VENV = os.environ.get("PACTS_BENCH_VENV", "/tmp/pacts-bench-venv")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")

READS = {
    "state": ("/v1/states/KZ", "/pacts/state_by_code.json?code=KZ&_shape=objects"),
    "members": ("/v1/organisations/csto/members?as_of=2013-01-01",
                "/pacts/members_as_of.json?org=csto&d=2013-01-01&_shape=objects"),
    "shared": ("/v1/shared?states=KZ,KG&as_of=2026-03-31", "/pacts/shared.json?a=KZ&b=KG&d=2026-03-31&_shape=objects"),
    "matrix": ("/v1/matrix?as_of=2026-03-31&region=central_asia",
               "/pacts/matrix.json?region=central_asia&d=2026-03-31&_shape=objects"),
    # The members again, asked for compressed (pacts answers brotli from its cache).
    "members-br": ("/v1/organisations/csto/members?as_of=2013-01-01",
                   "/pacts/members_as_of.json?org=csto&d=2013-01-01&_shape=objects"),
}
HEADERS = {"members-br": {"Accept-Encoding": "br, gzip"}}

# The same questions with a new `as_of` on every request (a dashboard's date slider, or many
# different clients): `{d}` becomes a day between 1992-01-01 and 2026-12-31, a different one
# for each request until the range is used up (wrk's two threads take even and odd days), so
# the response cache answers (almost) none of them. `None`: Datasette has no canned query for it.
NEW_DATE = {
    "members@date": ("/v1/organisations/csto/members?as_of={d}",
                     "/pacts/members_as_of.json?org=csto&d={d}&_shape=objects"),
    "shared@date": ("/v1/shared?states=KZ,RU&as_of={d}", "/pacts/shared.json?a=KZ&b=RU&d={d}&_shape=objects"),
    "state-memberships@date": ("/v1/states/UZ/memberships?as_of={d}", None),
    "matrix-ca@date": ("/v1/matrix?as_of={d}&region=central_asia",
                       "/pacts/matrix.json?region=central_asia&d={d}&_shape=objects"),
    "matrix-all@date": ("/v1/matrix?as_of={d}", None),
}
DAYS = 12784  # 1992-01-01 .. 2026-12-31

NEW_DATE_LUA = """
local template = "%s"
local first = os.time({year = 1992, month = 1, day = 1, hour = 12})
local threads = 0
setup = function(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local n = 0
local start = 0
init = function(args)
  start = tonumber(args[1] or "0")
end
-- Thread 0 asks for even days, thread 1 for odd ones, from a different start each run.
request = function()
  n = n + 1
  local day = (start + 2 * n + tid) %% %d
  local d = os.date("!%%Y-%%m-%%d", first + day * 86400)
  return wrk.format(nil, (template:gsub("{d}", d)))
end
"""


def lua_for(template, tmp):
    path = os.path.join(tmp, f"newdate-{abs(hash(template))}.lua")
    with open(path, "w") as f:
        f.write(NEW_DATE_LUA % (template, DAYS))
    return path


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def wrk(url, conns, seconds, pid=None, headers=None, script=None, script_args=()):
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            if pid:
                peak[0] = max(peak[0], rss_kb(pid))
            time.sleep(0.25)

    t = threading.Thread(target=sample)
    t.start()
    hdrs = [a for k, v in (headers or {}).items() for a in ("-H", f"{k}: {v}")]
    lua = ["-s", script] if script else []
    extra = ["--", *script_args] if script_args else []
    out = subprocess.run(["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--latency", *hdrs, *lua, url, *extra],
                         capture_output=True, text=True).stdout
    done.set()
    t.join()

    def unit(v, u):
        return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[u]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {m.group(1): unit(m.group(2), m.group(3)) for m in re.finditer(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)", out, re.M)}
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
    return {"rps": rps, "p50": lat.get("50", 0.0), "p99": lat.get("99", 0.0), "errors": errors, "rss_mb": peak[0] / 1024}


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, r.read()


def start(cmd, env=None, log=None):
    return subprocess.Popen(cmd, env=dict(os.environ, **(env or {})), stdout=log or subprocess.DEVNULL,
                            stderr=log or subprocess.DEVNULL)


def startup_ms(tmp):
    """Spawn to first 200 of /v1/states/KZ on an empty SQLite file (migrations and seed included)."""
    times = []
    for i in range(5):
        port = free_port()
        db = os.path.join(tmp, f"startup{i}.db")
        t0 = time.monotonic()
        p = start([PACTS], {"DATABASE_URL": f"sqlite://{db}", "PACTS_BIND": f"127.0.0.1:{port}", "PACTS_LOG": "warn"})
        while True:
            try:
                if get(f"http://127.0.0.1:{port}/v1/states/KZ")[0] == 200:
                    break
            except OSError:
                time.sleep(0.005)
            if time.monotonic() - t0 > 30:
                raise SystemExit("pacts did not start")
        times.append((time.monotonic() - t0) * 1000)
        p.terminate()
        p.wait()
    return statistics.median(times)


def main():
    tmp = tempfile.mkdtemp(prefix="pacts-bench-")
    procs = []
    log = open(os.path.join(tmp, "servers.log"), "ab")
    try:
        # pacts on SQLite
        sqlite_db = os.path.join(tmp, "pacts.db")
        p_sqlite = free_port()
        procs.append(("pacts-sqlite", start([PACTS], {"DATABASE_URL": f"sqlite://{sqlite_db}", "PACTS_BIND": f"127.0.0.1:{p_sqlite}",
                                                     "PACTS_LOG": "warn"}, log)))
        assert wait_for(p_sqlite) is not None
        # pacts on PostgreSQL
        subprocess.run(["psql", f"{PG}/postgres", "-qc", "drop database if exists pacts_bench"], check=True, capture_output=True)
        subprocess.run(["psql", f"{PG}/postgres", "-qc", "create database pacts_bench"], check=True, capture_output=True)
        p_pg = free_port()
        procs.append(("pacts-postgres", start([PACTS], {"DATABASE_URL": f"{PG}/pacts_bench", "PACTS_BIND": f"127.0.0.1:{p_pg}",
                                                       "PACTS_LOG": "warn"}, log)))
        assert wait_for(p_pg) is not None
        # The same two with the response cache off, for the questions with a new date on
        # every request (issue #13: any question, any date, without the response cache).
        p_sqlite_nc, p_pg_nc = free_port(), free_port()
        procs.append(("pacts-sqlite-nocache", start([PACTS], {"DATABASE_URL": f"sqlite://{sqlite_db}", "PACTS_BIND": f"127.0.0.1:{p_sqlite_nc}",
                                                             "PACTS_LOG": "warn", "PACTS_CACHE_BYTES": "0"}, log)))
        procs.append(("pacts-postgres-nocache", start([PACTS], {"DATABASE_URL": f"{PG}/pacts_bench", "PACTS_BIND": f"127.0.0.1:{p_pg_nc}",
                                                               "PACTS_LOG": "warn", "PACTS_CACHE_BYTES": "0"}, log)))
        assert wait_for(p_sqlite_nc) is not None and wait_for(p_pg_nc) is not None
        # Datasette on a copy of pacts' own SQLite file, immutable (its fastest mode).
        ds_db = os.path.join(tmp, "pacts-datasette.db")
        subprocess.run(["sqlite3", sqlite_db, f".backup '{ds_db}'"], check=False)
        if not os.path.exists(ds_db):
            import sqlite3
            src = sqlite3.connect(sqlite_db)
            dst = sqlite3.connect(ds_db)
            src.backup(dst)
            dst.close()
            src.close()
        shutil.move(ds_db, os.path.join(tmp, "pacts.db.ds"))
        ds_dir = os.path.join(tmp, "ds")
        os.makedirs(ds_dir)
        shutil.move(os.path.join(tmp, "pacts.db.ds"), os.path.join(ds_dir, "pacts.db"))
        p_ds = free_port()
        procs.append(("datasette", start([f"{VENV}/bin/datasette", "serve", "-i", os.path.join(ds_dir, "pacts.db"), "-p", str(p_ds),
                                          "--metadata", os.path.join(ROOT, "bench", "datasette-metadata.json")], log=log)))
        for _ in range(200):
            try:
                if get(f"http://127.0.0.1:{p_ds}/-/versions.json")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        # Responses must agree before they are timed.
        sizes = []
        for name, (pacts_path, ds_path) in READS.items():
            for port in (p_sqlite, p_pg):
                st, body = get(f"http://127.0.0.1:{port}{pacts_path}")
                assert st == 200, (name, port)
                sizes.append(len(body))
            st, body = get(f"http://127.0.0.1:{p_ds}{ds_path}")
            assert st == 200, name
            assert len(json.loads(body)["rows"]) > 0, name
        for port in (p_sqlite, p_pg):
            req = urllib.request.Request(f"http://127.0.0.1:{port}{READS['members-br'][0]}", headers=HEADERS["members-br"])
            with urllib.request.urlopen(req) as r:
                assert r.headers.get("content-encoding") == "br", "members-br must be answered compressed"
        ceiling_bytes = int(statistics.median(sizes))
        p_ceil = free_port()
        procs.append(("ceiling", start([CEILING], {"CEILING_BIND": f"127.0.0.1:{p_ceil}", "CEILING_BYTES": str(ceiling_bytes)}, log)))
        time.sleep(0.5)
        pids = {name: p.pid for name, p in procs}
        targets = {"ceiling": lambda read: f"http://127.0.0.1:{p_ceil}/",
                   "pacts-sqlite": lambda read: f"http://127.0.0.1:{p_sqlite}{READS[read][0]}",
                   "pacts-postgres": lambda read: f"http://127.0.0.1:{p_pg}{READS[read][0]}",
                   "datasette": lambda read: f"http://127.0.0.1:{p_ds}{READS[read][1]}"}
        results = {}
        for rnd in range(ROUNDS):
            for conns in CONNS:
                for read in READS:
                    for target, url in targets.items():
                        if target == "ceiling" and read != "state":
                            continue
                        hdrs = HEADERS.get(read)
                        wrk(url(read), conns, 2, headers=hdrs)  # warm-up
                        r = wrk(url(read), conns, DURATION, pids[target], headers=hdrs)
                        results.setdefault((target, read, conns), []).append(r)
                        print(f"round {rnd + 1} c{conns} {read:8} {target:15} {r['rps']:10.0f} req/s  p50 {r['p50']:.2f} ms  "
                              f"p99 {r['p99']:.2f} ms  errors {r['errors']}  rss {r['rss_mb']:.1f} MB", flush=True)
        # New date on every request: pacts on both backends and Datasette where it has the query.
        first = "1992-01-01"
        for name, (pacts_path, ds_path) in NEW_DATE.items():
            for port in (p_sqlite, p_pg):
                assert get(f"http://127.0.0.1:{port}{pacts_path.format(d=first)}")[0] == 200, name
            if ds_path:
                assert get(f"http://127.0.0.1:{p_ds}{ds_path.format(d=first)}")[0] == 200, name
        bases = {"pacts-sqlite": (p_sqlite_nc, 0), "pacts-postgres": (p_pg_nc, 0), "datasette": (p_ds, 1)}
        pids["pacts-sqlite@date"] = pids["pacts-sqlite-nocache"]
        pids["pacts-postgres@date"] = pids["pacts-postgres-nocache"]
        for rnd in range(ROUNDS):
            for conns in CONNS:
                for name, paths in NEW_DATE.items():
                    for target, (port, which) in bases.items():
                        if paths[which] is None:
                            continue
                        script = lua_for(paths[which], tmp)
                        url = f"http://127.0.0.1:{port}/"
                        # Warm-up and run start half the range apart, so the run's dates are new.
                        wrk(url, conns, 2, script=script, script_args=[str(DAYS // 2)])
                        pid = pids.get(f"{target}@date", pids[target])
                        r = wrk(url, conns, DURATION, pid, script=script, script_args=["0"])
                        results.setdefault((target, name, conns), []).append(r)
                        print(f"round {rnd + 1} c{conns} {name:22} {target:15} {r['rps']:10.0f} req/s  p50 {r['p50']:.2f} ms  "
                              f"p99 {r['p99']:.2f} ms  errors {r['errors']}  rss {r['rss_mb']:.1f} MB", flush=True)
        sweep = {}
        for rnd in range(ROUNDS):
            for target, (port, path) in {"pacts-sqlite": (p_sqlite_nc, SWEEP[0]), "pacts-postgres": (p_pg_nc, SWEEP[0]),
                                         "datasette": (p_ds, SWEEP[1])}.items():
                sweep.setdefault(target, []).append(dashboard_sweep(port, path))
                print(f"round {rnd + 1} sweep {target:15} {sweep[target][-1]:.3f} s", flush=True)
        start_ms = startup_ms(tmp)
        write_results(results, start_ms, ceiling_bytes, sweep)
    finally:
        for _, p in procs:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


# A dashboard's year: the Central Asia matrix for 365 consecutive days, one client on one
# keep-alive connection, each request sent when the last is answered.
SWEEP = ("/v1/matrix?as_of={d}&region=central_asia", "/pacts/matrix.json?region=central_asia&d={d}&_shape=objects")
SWEEP_FIRST = "2025-01-01"


def dashboard_sweep(port, template):
    """Seconds for the 365 requests of the sweep; every answer must be a 200."""
    import datetime
    import http.client
    first = datetime.date.fromisoformat(SWEEP_FIRST)
    conn = http.client.HTTPConnection("127.0.0.1", port)
    started = time.monotonic()
    for i in range(365):
        conn.request("GET", template.format(d=(first + datetime.timedelta(days=i)).isoformat()))
        r = conn.getresponse()
        r.read()
        assert r.status == 200, (port, r.status)
    took = time.monotonic() - started
    conn.close()
    return took


def summary(rs):
    return {"rps": statistics.median(r["rps"] for r in rs), "p50": statistics.median(r["p50"] for r in rs),
            "p99": statistics.median(r["p99"] for r in rs), "errors": sum(r["errors"] for r in rs),
            "rss_mb": max(r["rss_mb"] for r in rs)}


def write_results(results, start_ms, ceiling_bytes, sweep):
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    lines = [
        "# Load benchmark results",
        "",
        f"Date: {time.strftime('%Y-%m-%d', time.gmtime())}. Machine: {os.cpu_count()} cores ({cpu}), "
        f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB. Commit: {commit}. "
        f"Command: `bench/run.sh`. wrk -t2, {DURATION} s per run after a 2 s warm-up, {ROUNDS} interleaved rounds "
        f"(figures are medians of the rounds; errors summed; RSS the peak). Everything on 127.0.0.1, wrk on the same 2 cores. "
        f"The ceiling is a bare axum handler returning a fixed {ceiling_bytes}-byte JSON body (the median size of the pacts answers).",
        "",
        "| read | conns | target | req/s | p50 ms | p99 ms | errors | RSS MB | ×ceiling | ×Datasette |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for conns in CONNS:
        ceil = summary(results[("ceiling", "state", conns)])
        lines.append(f"| (fixed body) | {conns} | ceiling | {ceil['rps']:.0f} | {ceil['p50']:.2f} | {ceil['p99']:.2f} | "
                     f"{ceil['errors']} | {ceil['rss_mb']:.1f} | 1.00 | |")
        for read in READS:
            ds = summary(results[("datasette", read, conns)])
            for target in ["pacts-sqlite", "pacts-postgres", "datasette"]:
                s = summary(results[(target, read, conns)])
                lines.append(f"| {read} | {conns} | {target} | {s['rps']:.0f} | {s['p50']:.2f} | {s['p99']:.2f} | {s['errors']} | "
                             f"{s['rss_mb']:.1f} | {s['rps'] / ceil['rps']:.2f} | {s['rps'] / ds['rps']:.1f} |")
                if target.startswith("pacts") and conns == 64:
                    verdicts.append((read, target, s, s["rps"] / ceil["rps"], s["rps"] / ds["rps"]))
    lines += ["", f"Start-up on an empty SQLite file, migrations and seed included, to the first 200: **{start_ms:.0f} ms** "
              f"(median of 5; target < 1000 ms: {'met' if start_ms < 1000 else 'not met'}).", "",
              "## Targets (64 connections)", "",
              "| read | target | ≥ 50 % of ceiling | ≥ 50 × Datasette | p99 ≤ 5 ms | 0 errors | RSS ≤ 64 MB |", "|---|---|---|---|---|---|---|"]
    for read, target, s, rc, rd in verdicts:
        def yes(c, v):
            return f"{'yes' if c else '**no**'} ({v})"
        p99, errors, rss = s["p99"], s["errors"], s["rss_mb"]
        lines.append(f"| {read} | {target} | {yes(rc >= 0.5, f'{rc:.2f}')} | {yes(rd >= 50, f'{rd:.0f}×')} | "
                     f"{yes(p99 <= 5, f'{p99:.2f} ms')} | {yes(errors == 0, errors)} | {yes(rss <= 64, f'{rss:.1f}')} |")
    lines += ["", "## A new date on every request", "",
              f"The same questions with a different `as_of` on each request (days 1992-01-01 to 2026-12-31; "
              f"wrk's two threads take even and odd days), asked of pacts processes started with the response cache "
              f"off (`PACTS_CACHE_BYTES=0`), so every answer is computed: from the facts in memory. This is what issue "
              f"#13 is about. Targets there (64 connections): members, shared and "
              f"state memberships ≥ 25 % of the ceiling, the Central Asia matrix ≥ 20 %, the full matrix ≥ 10 %, "
              f"p99 ≤ 5 ms.", "",
              "| question | conns | target | req/s | p50 ms | p99 ms | errors | RSS MB | ×ceiling | ×Datasette | #13 ratio | #13 p99 ≤ 5 ms (ceiling's own p99) | RSS ≤ 64 MB |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    goal = {"members@date": 0.25, "shared@date": 0.25, "state-memberships@date": 0.25,
            "matrix-ca@date": 0.20, "matrix-all@date": 0.10}
    for conns in CONNS:
        ceil = summary(results[("ceiling", "state", conns)])
        for name in NEW_DATE:
            ds_runs = results.get(("datasette", name, conns))
            ds = summary(ds_runs) if ds_runs else None
            for target in ["pacts-sqlite", "pacts-postgres", "datasette"]:
                runs = results.get((target, name, conns))
                if not runs:
                    continue
                s = summary(runs)
                rc = s["rps"] / ceil["rps"]
                vs = f"{s['rps'] / ds['rps']:.1f}" if ds else ""
                ratio_met = p99_met = rss_met = ""
                if target.startswith("pacts") and conns == 64:
                    ratio_met = f"{'met' if rc >= goal[name] else '**not met**'} (≥ {goal[name]:.2f})"
                    p99_met = f"{'met' if s['p99'] <= 5 else '**not met**'} ({ceil['p99']:.2f} ms)"
                    rss_met = "met" if s["rss_mb"] <= 64 else "**not met**"
                lines.append(f"| {name} | {conns} | {target} | {s['rps']:.0f} | {s['p50']:.2f} | {s['p99']:.2f} | "
                             f"{s['errors']} | {s['rss_mb']:.1f} | {rc:.3f} | {vs} | {ratio_met} | {p99_met} | {rss_met} |")
    med = {t: statistics.median(v) for t, v in sweep.items()}
    lines += ["", "## A dashboard's year", "",
              f"The Central Asia matrix for 365 consecutive days from {SWEEP_FIRST}, one client on one keep-alive "
              "connection, sequential (a date slider dragged across a year); pacts with its response cache off, "
              "Datasette with the same SQL as a canned query. Total seconds, median of the rounds:", "",
              "| target | seconds | ms per day | ÷ Datasette's time |", "|---|---|---|---|"]
    for t in ["pacts-sqlite", "pacts-postgres", "datasette"]:
        lines.append(f"| {t} | {med[t]:.3f} | {med[t] / 365 * 1000:.2f} | {med[t] / med['datasette']:.3f} |")
    path = os.path.join(ROOT, "bench", "RESULTS.md")
    scale = os.path.join(ROOT, "bench", "SCALE.md")
    if os.path.exists(scale):
        lines += ["", "## The 1000× dataset", "", "See [SCALE.md](SCALE.md)."]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
