#!/usr/bin/env python3
"""D1, D4 and D7 of the reliability matrix, on a throwaway PostgreSQL cluster of this
script's own (its own data directory and port, removed afterwards).

D7: pacts starts while PostgreSQL is down: /healthz answers, /v1 and /readyz say 503,
    and it becomes ready by itself once the database starts.
D1: under read and write load, PostgreSQL is stopped (fast, then immediate) and started
    again: no 500, no request hangs, 503 + Retry-After during the outage, recovery without
    restarting pacts; every acknowledged write present, no duplicates from retries with
    an Idempotency-Key.
D4: PostgreSQL frozen with SIGSTOP, then SIGCONT: requests end in 503 within the query
    deadline, and pacts recovers.

    python3 tests/faults/pg_outage.py --bin target/release/pacts
"""
import argparse
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from common import create_token, free_port, request, start, stop, wait_for


class Cluster:
    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bins:
            raise SystemExit("no PostgreSQL server binaries under /usr/lib/postgresql")
        self.bin = bins[-1]
        self.dir = tempfile.mkdtemp(prefix="pacts-pg-")
        self.port = free_port()
        shutil.chown(self.dir, "postgres", "postgres")
        self.as_pg([f"{self.bin}/initdb", "-D", f"{self.dir}/data", "-A", "trust", "-U", "postgres"])

    def as_pg(self, cmd):
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run(prefix + cmd, check=True, capture_output=True)

    def start(self):
        self.as_pg([f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/log", "-w", "-o",
                    f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1", "start"])

    def stop(self, mode="fast"):
        self.as_pg([f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-m", mode, "-w", "stop"])

    def postmaster_pid(self):
        with open(f"{self.dir}/data/postmaster.pid") as f:
            return int(f.readline())

    def signal_all(self, sig):
        """Send a signal to the postmaster and all its children."""
        pid = self.postmaster_pid()
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True).stdout.split()
        for p in [pid] + [int(c) for c in children]:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass

    def url(self, db="postgres"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def remove(self):
        try:
            self.stop("immediate")
        except Exception:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class Load:
    """Readers and idempotent writers; every outcome recorded with its time."""

    def __init__(self, port, token, readers=12, writers=4):
        self.base = f"http://127.0.0.1:{port}"
        self.token = token
        self.halt = threading.Event()
        self.events = []  # (t_start, t_end, kind, status, retry_after)
        self.acked = {}  # idempotency key -> membership id
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.reader, args=(i,)) for i in range(readers)]
        self.threads += [threading.Thread(target=self.writer, args=(i,)) for i in range(writers)]
        self.t0 = time.monotonic()

    def record(self, t, kind, status, headers):
        with self.lock:
            self.events.append((t - self.t0, time.monotonic() - self.t0, kind, status, headers.get("retry-after")))

    def reader(self, i):
        paths = ["/v1/states/KZ", "/v1/organisations/csto/members?as_of=2013-01-01", "/v1/matrix?region=central_asia",
                 "/v1/memberships?organisation=sco&limit=20"]
        n = 0
        while not self.halt.is_set() and n < 100000:
            t = time.monotonic()
            status, headers, _ = request("GET", self.base + paths[n % len(paths)], timeout=8)
            self.record(t, "read", status, headers)
            n += 1

    def writer(self, w):
        n = 0
        while not self.halt.is_set() and n < 2000:
            key = f"w{w}-{n}"
            day = 10000 + w * 2000 + n  # distinct one-day periods
            body = {"state": "KZ", "organisation": "csto", "role": "pa_observer", "note": key,
                    "joined_on": day_iso(day), "left_on": day_iso(day + 1), "sources": ["seed-article"]}
            for _ in range(200):  # retry the same request, with the same key, until it is answered
                t = time.monotonic()
                status, headers, text = request("POST", self.base + "/v1/memberships", body,
                                                {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key}, timeout=8)
                self.record(t, "write", status, headers)
                if status == 201:
                    with self.lock:
                        self.acked[key] = text
                    break
                if self.halt.is_set() and status != 201:
                    break
                time.sleep(0.05)
            n += 1

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.halt.set()
        for t in self.threads:
            t.join()

    def now(self):
        return time.monotonic() - self.t0


def day_iso(n):
    import datetime
    # After every organisation began (a membership may not start earlier), clear of real data.
    return (datetime.date(2200, 1, 1) + datetime.timedelta(days=n)).isoformat()


def summarise(name, load, down_at, up_at):
    ev = sorted(load.events)
    bad = [e for e in ev if isinstance(e[3], int) and e[3] >= 500 and e[3] != 503]
    no_answer = [e for e in ev if e[3] in ("timeout", "conn")]
    unavailable = [e for e in ev if e[3] == 503]
    without_retry_after = [e for e in unavailable if not e[4]]
    longest = max((e[1] - e[0] for e in ev), default=0)
    first_503 = next((e[1] - down_at for e in ev if e[3] == 503 and e[1] >= down_at), None)
    first_ok_after = next((e[1] - up_at for e in ev if e[0] >= up_at and e[3] in (200, 201)), None)
    last_err = max((e[1] for e in ev if e[3] not in (200, 201, 304)), default=None)
    settle = (last_err - up_at) if last_err is not None and last_err > up_at else 0.0
    fig = dict(requests=len(ev), ok=sum(1 for e in ev if e[3] in (200, 201)), s503=len(unavailable),
               other_5xx=len(bad), no_answer=len(no_answer), missing_retry_after=len(without_retry_after),
               longest_request_s=round(longest, 2),
               first_503_after_stop_s=None if first_503 is None else round(first_503, 2),
               first_success_after_start_s=None if first_ok_after is None else round(first_ok_after, 2),
               errors_end_after_start_s=round(settle, 2))
    print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in fig.items()))
    return fig


def check_writes(cluster, load):
    out = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "-d", "pacts", "-At", "-c",
                          "select note, count(*) from memberships where role = 'pa_observer' and note like 'w%' group by note"],
                         capture_output=True, text=True, check=True).stdout
    counts = dict(line.split("|") for line in out.split() if "|" in line)
    lost = [k for k in load.acked if k not in counts]
    dup = [k for k, n in counts.items() if int(n) > 1]
    print(f"writes: acknowledged {len(load.acked)}, lost {len(lost)}, duplicated {len(dup)}")
    return not lost and not dup


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/pacts")
    args = ap.parse_args()
    cluster = Cluster()
    failures = []
    proc = None
    try:
        # D7: start pacts with the database down.
        port = free_port()
        log = os.path.join(cluster.dir, "pacts.log")
        url = cluster.url("pacts")
        proc = start(args.bin, url, port, log)
        time.sleep(1.5)
        health = request("GET", f"http://127.0.0.1:{port}/healthz")[0]
        ready = request("GET", f"http://127.0.0.1:{port}/readyz")[0]
        api, api_headers, _ = request("GET", f"http://127.0.0.1:{port}/v1/states/KZ")
        print(f"D7 database down at start: process alive {proc.poll() is None}, /healthz {health}, /readyz {ready}, /v1 {api} "
              f"(Retry-After {api_headers.get('retry-after')})")
        if not (proc.poll() is None and health == 200 and ready == 503 and api == 503 and api_headers.get("retry-after")):
            failures.append("D7 while down")
        cluster.start()
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "-qc", "create database pacts"], check=True)
        t = time.monotonic()
        ms = wait_for(port, limit=30)
        print(f"D7 ready {ms} ms after the database came up (waited {time.monotonic() - t:.1f} s)")
        if ms is None:
            failures.append("D7 never ready")
            return 1
        token = create_token(args.bin, url, "faults")

        for name, down, up in [("D1 fast stop", lambda: cluster.stop("fast"), cluster.start),
                               ("D1 immediate stop", lambda: cluster.stop("immediate"), cluster.start),
                               ("D4 frozen (SIGSTOP)", lambda: cluster.signal_all(signal.SIGSTOP),
                                lambda: cluster.signal_all(signal.SIGCONT))]:
            with Load(port, token) as load:
                time.sleep(3)
                down_at = load.now()
                down()
                time.sleep(5)
                up_at = load.now()
                up()
                time.sleep(6)
            fig = summarise(name, load, down_at, up_at)
            if fig["other_5xx"] or fig["no_answer"] or fig["missing_retry_after"] or fig["longest_request_s"] > 5 \
                    or fig["first_503_after_stop_s"] is None or fig["first_success_after_start_s"] is None \
                    or fig["errors_end_after_start_s"] > 5:
                failures.append(name)
            if not check_writes(cluster, load):
                failures.append(name + " writes")
    finally:
        if proc is not None:
            stop(proc)
        cluster.remove()
    print("pg_outage: " + ("1 passed, 0 failed" if not failures else f"0 passed, 1 failed ({', '.join(failures)})"))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
