#!/usr/bin/env python3
"""Complete exports at 1000x: every membership as CSV in one request. pacts on SQLite and on PostgreSQL (the same rows, from bench/scale.py's generator)
against Datasette's streamed CSV of the same SQLite file (`_stream=on`, every row), its
peer for "the whole table as CSV". Per target: the median time of BENCH_ROUNDS downloads
(default 3, interleaved), the rows received, and the server's resident memory before and
at its peak during the downloads (sampled every 20 ms), to show the export is streamed
rather than held. Writes bench/EXPORTS.md. Run after bench/run.sh has installed Datasette.
"""
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import PACTS, PG, ROOT, VENV, start  # noqa: E402
from scale import generate, load_postgres  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "tests", "faults"))
from common import free_port, wait_for  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def download(url, pid):
    """Seconds, bytes, CSV records, and the peak RSS seen while downloading."""
    peak = [rss_mb(pid)]
    done = threading.Event()

    def sample():
        while not done.is_set():
            try:
                peak[0] = max(peak[0], rss_mb(pid))
            except OSError:
                return
            time.sleep(0.02)

    t = threading.Thread(target=sample)
    t.start()
    started = time.monotonic()
    body = urllib.request.urlopen(url, timeout=600).read()
    took = time.monotonic() - started
    done.set()
    t.join()
    text = body.decode()
    records, quoted = 0, False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch == "\n" and not quoted:
            records += 1
    return took, len(body), records - 1, peak[0]


def main():
    tmp = tempfile.mkdtemp(prefix="pacts-exports-")
    db = os.path.join(tmp, "scale.db")
    env = {"DATABASE_URL": f"sqlite://{db}", "PACTS_LOG": "warn", "PACTS_CACHE_BYTES": "0"}
    subprocess.run([PACTS, "seed"], env=dict(os.environ, **env), check=True, capture_output=True)
    tables = generate(db)
    n = len(tables["memberships"])
    pg_url = f"{PG}/pacts_exports"
    subprocess.run(["psql", f"{PG}/postgres", "-qc", "drop database if exists pacts_exports with (force)"], check=True, capture_output=True)
    subprocess.run(["psql", f"{PG}/postgres", "-qc", "create database pacts_exports"], check=True, capture_output=True)
    subprocess.run([PACTS, "seed"], env=dict(os.environ, DATABASE_URL=pg_url, PACTS_LOG="warn"), check=True, capture_output=True)
    load_postgres(pg_url, tables, tmp)
    procs = {}
    try:
        ports = {name: free_port() for name in ("pacts-sqlite", "pacts-postgres", "datasette")}
        log = open(os.path.join(tmp, "servers.log"), "w")
        for name, url in (("pacts-sqlite", f"sqlite://{db}"), ("pacts-postgres", pg_url)):
            procs[name] = start([PACTS, "serve"], env=dict(os.environ, DATABASE_URL=url, PACTS_LOG="warn", PACTS_CACHE_BYTES="0",
                                                            PACTS_BIND=f"127.0.0.1:{ports[name]}"), log=log)
        procs["datasette"] = start([f"{VENV}/bin/datasette", "serve", "-i", db, "-p", str(ports["datasette"]),
                                    "--setting", "sql_time_limit_ms", "600000"], log=log)
        for name, port in ports.items():
            path = "/-/versions.json" if name == "datasette" else "/readyz"
            assert wait_for(port, path=path, limit=120) is not None, f"{name} did not start"
        urls = {
            "pacts-sqlite": f"http://127.0.0.1:{ports['pacts-sqlite']}/v1/memberships.csv?limit=all",
            "pacts-postgres": f"http://127.0.0.1:{ports['pacts-postgres']}/v1/memberships.csv?limit=all",
            "datasette": f"http://127.0.0.1:{ports['datasette']}/scale/memberships.csv?_stream=on&_size=max",
        }
        results = {name: [] for name in urls}
        before = {name: rss_mb(procs[name].pid) for name in urls}
        for _ in range(ROUNDS):
            for name, url in urls.items():
                results[name].append(download(url, procs[name].pid))
    finally:
        for p in procs.values():
            p.terminate()
        subprocess.run(["psql", f"{PG}/postgres", "-qc", "drop database if exists pacts_exports with (force)"], capture_output=True)
    write(n, results, before)


def write(n, results, before):
    day = datetime.date.today().isoformat()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
    ds = statistics.median(r[0] for r in results["datasette"])
    lines = [f"# Complete exports at 1000x ({day})", "",
             f"Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}. "
             f"Data: {n:,} memberships (bench/scale.py's generator). {ROUNDS} downloads per target, interleaved; "
             "memory is the server's resident set before the downloads and its peak during them.", "",
             "| target | request | median s | rows | MB | vs Datasette (time) | RSS before MB | RSS peak MB |",
             "|---|---|---|---|---|---|---|---|"]
    req = {"pacts-sqlite": "/v1/memberships.csv?limit=all", "pacts-postgres": "/v1/memberships.csv?limit=all",
           "datasette": "/scale/memberships.csv?_stream=on&_size=max"}
    for name, rs in results.items():
        med = statistics.median(r[0] for r in rs)
        lines.append(f"| {name} | `{req[name]}` | {med:.2f} | {rs[0][2]:,} | {rs[0][1] / 1e6:.1f} | "
                     f"{ds / med:.2f}x | {before[name]:.0f} | {max(r[3] for r in rs):.0f} |")
    path = os.path.join(ROOT, "bench", "EXPORTS.md")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
