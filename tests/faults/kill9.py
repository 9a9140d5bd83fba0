#!/usr/bin/env python3
"""C1 of the reliability matrix: kill -9 pacts (SQLite) in the middle of a write burst.

Each run starts the server, lets 16 writers create sources with client-chosen slugs,
kills the process with SIGKILL at a random moment 0.5-3 s in, restarts it and checks:
every write that was acknowledged (201) is present, PRAGMA integrity_check is ok, no
foreign key points at nothing, and the server becomes ready again. Exit 1 on any loss.

    python3 tests/faults/kill9.py --bin target/release/pacts --runs 20
"""
import argparse
import os
import random
import signal
import sqlite3
import sys
import tempfile
import threading
import time

from common import create_token, free_port, request, start, stop, wait_for


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/pacts")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--writers", type=int, default=16)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="pacts-kill9-")
    db = os.path.join(tmp, "pacts.db")
    url = f"sqlite://{db}"
    token = create_token(args.bin, url, "kill9")
    log = os.path.join(tmp, "server.log")
    totals = dict(acked=0, lost=0, in_doubt_present=0, in_doubt_absent=0, server_5xx=0, integrity_failures=0)
    ready_ms = []
    rng = random.Random(20261127)
    for run in range(args.runs):
        port = free_port()
        proc = start(args.bin, url, port, log)
        if wait_for(port) is None:
            print(f"run {run}: server did not become ready", file=sys.stderr)
            return 1
        acked, in_doubt, errors = [], [], []
        halt = threading.Event()
        lock = threading.Lock()

        def writer(w):
            i = 0
            while not halt.is_set() and i < 5000:
                slug = f"r{run}-w{w}-{i}"
                i += 1
                status, _, _ = request("POST", f"http://127.0.0.1:{port}/v1/sources", {"slug": slug, "title": "kill -9"},
                                       {"Authorization": f"Bearer {token}"}, timeout=5)
                with lock:
                    if status == 201:
                        acked.append(slug)
                    elif status in ("timeout", "conn"):
                        in_doubt.append(slug)
                    else:
                        errors.append(status)

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(args.writers)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.5, 3.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        halt.set()
        for t in threads:
            t.join()
        proc = start(args.bin, url, port, log)
        ms = wait_for(port)
        if ms is None:
            print(f"run {run}: server did not restart", file=sys.stderr)
            return 1
        ready_ms.append(ms)
        con = sqlite3.connect(db)
        present = {r[0] for r in con.execute("select slug from sources")}
        integrity = con.execute("pragma integrity_check").fetchone()[0]
        fk = con.execute("pragma foreign_key_check").fetchall()
        con.close()
        lost = [s for s in acked if s not in present]
        # The server answers for what the file holds.
        for s in acked[-3:]:
            st, _, _ = request("GET", f"http://127.0.0.1:{port}/v1/sources/{s}")
            if st != 200:
                lost.append(s)
        stop(proc)
        totals["acked"] += len(acked)
        totals["lost"] += len(lost)
        totals["in_doubt_present"] += sum(1 for s in in_doubt if s in present)
        totals["in_doubt_absent"] += sum(1 for s in in_doubt if s not in present)
        totals["server_5xx"] += sum(1 for e in errors if isinstance(e, int) and e >= 500)
        totals["integrity_failures"] += int(integrity != "ok" or bool(fk))
        print(f"run {run:2}: acknowledged {len(acked):5}  lost {len(lost)}  in doubt {len(in_doubt)}  "
              f"errors {len(errors)}  integrity {integrity}  fk violations {len(fk)}  restart-to-ready {ms} ms")
    ready_ms.sort()
    print(f"kill -9 x {args.runs}: acknowledged {totals['acked']}, lost {totals['lost']}, "
          f"in doubt present {totals['in_doubt_present']} / absent {totals['in_doubt_absent']}, "
          f"5xx {totals['server_5xx']}, integrity failures {totals['integrity_failures']}, "
          f"restart-to-ready median {ready_ms[len(ready_ms) // 2]} ms, max {ready_ms[-1]} ms")
    ok = totals["lost"] == 0 and totals["integrity_failures"] == 0 and totals["server_5xx"] == 0 and totals["acked"] > 0
    print("kill9: " + ("1 passed, 0 failed" if ok else "0 passed, 1 failed"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
