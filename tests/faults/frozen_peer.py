#!/usr/bin/env python3
"""A frozen peer (PostgreSQL): two pacts processes share one database; one of them is
stopped with SIGSTOP while it is inside a write transaction, for 15 s.

How it is frozen there, every time: a psql session holds the row lock of one source, so
that process A's PATCH of that source waits inside its transaction; A is then stopped,
and the psql session lets go. A's session is now `idle in transaction`, holding what its
write took (row lock, advisory locks), and cannot go on.

Meanwhile process B serves 8 writers (new sources, patches of their own sources, new
memberships of other states) and 4 readers. Passes when B keeps >= 95 % of writes and
100 % of reads successful over the 15 s, the server ends A's session within its idle
timeout, and A, continued, serves writes again.

    python3 tests/faults/frozen_peer.py --bin target/release/pacts --pg postgres://postgres@127.0.0.1:5432
"""
import argparse
import datetime
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

from common import create_token, free_port, report, request, start, stop, wait_for

FREEZE_S = 15.0


def psql(url, sql):
    out = subprocess.run(["psql", url, "-qtAX", "-c", sql], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def day_iso(n):
    return (datetime.date(2200, 1, 1) + datetime.timedelta(days=n)).isoformat()


class Load:
    def __init__(self, base, token):
        self.base, self.auth = base, {"Authorization": f"Bearer {token}"}
        self.counts = {"write": {}, "read": {}}
        self.lock = threading.Lock()
        self.halt = threading.Event()

    def note(self, kind, status):
        with self.lock:
            self.counts[kind][status] = self.counts[kind].get(status, 0) + 1

    def writer(self, w):
        state = ["UZ", "TJ", "KG", "TM", "AF", "MN", "AZ", "GE"][w]
        n = 0
        while not self.halt.is_set():
            kind = n % 3
            if kind == 0:
                st, _, _ = request("POST", self.base + "/v1/sources",
                                   {"slug": f"fp-b{w}-{n}", "title": "frozen peer"}, self.auth, timeout=10)
            elif kind == 1:
                st, _, _ = request("PATCH", self.base + f"/v1/sources/fp-own-{w}",
                                   {"title": f"patched {n}"}, self.auth, timeout=10)
            else:
                st, _, _ = request("POST", self.base + "/v1/memberships",
                                   {"state": state, "organisation": "sco", "role": "pa_observer",
                                    "joined_on": day_iso(2 * n), "left_on": day_iso(2 * n + 1),
                                    "sources": ["seed-article"]}, self.auth, timeout=10)
            self.note("write", st)
            n += 1

    def reader(self, i):
        paths = ["/v1/states/KZ", "/v1/organisations/csto/members?as_of=2013-01-01",
                 "/v1/matrix?region=central_asia", "/v1/sources?limit=20"]
        n = 0
        while not self.halt.is_set():
            st, _, _ = request("GET", self.base + paths[(n + i) % len(paths)], timeout=10)
            self.note("read", st)
            n += 1

    def run(self, seconds):
        threads = [threading.Thread(target=self.writer, args=(w,)) for w in range(8)]
        threads += [threading.Thread(target=self.reader, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        time.sleep(seconds)
        self.halt.set()
        for t in threads:
            t.join()
        return self.counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/pacts")
    ap.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    args = ap.parse_args()
    name = f"pacts_frozen_{os.getpid()}"
    psql(f"{args.pg}/postgres", f"drop database if exists {name}")
    psql(f"{args.pg}/postgres", f"create database {name}")
    url = f"{args.pg}/{name}"
    tmp = tempfile.mkdtemp(prefix="pacts-frozen-")
    procs = []
    failures = []
    try:
        token = create_token(args.bin, url, "frozen-peer")
        pa, pb = free_port(), free_port()
        a = start(args.bin, url, pa, os.path.join(tmp, "a.log"))
        procs.append(a)
        if wait_for(pa, limit=60) is None:
            raise SystemExit("A did not become ready")
        b = start(args.bin, url, pb, os.path.join(tmp, "b.log"))
        procs.append(b)
        if wait_for(pb, limit=60) is None:
            raise SystemExit("B did not become ready")
        auth = {"Authorization": f"Bearer {token}"}
        for slug in ["fp-frozen"] + [f"fp-own-{w}" for w in range(8)]:
            st, _, body = request("POST", f"http://127.0.0.1:{pa}/v1/sources", {"slug": slug, "title": "t"}, auth)
            assert st == 201, (st, body)

        # Freeze A inside its transaction.
        holder = subprocess.Popen(["psql", url, "-qtAX", "-c",
                                   "begin; select 1 from sources where slug = 'fp-frozen' for update; select pg_sleep(1); commit;"])
        time.sleep(0.2)
        result = {}
        patch = threading.Thread(target=lambda: result.update(st=request(
            "PATCH", f"http://127.0.0.1:{pa}/v1/sources/fp-frozen", {"title": "frozen"}, auth, timeout=30)[0]))
        patch.start()
        # Stop A once its PATCH waits for the row lock (inside its transaction).
        app = f"pacts/{a.pid}"
        t0 = time.monotonic()
        while time.monotonic() - t0 < 0.7:
            waiting = psql(url, f"select count(*) from pg_stat_activity where application_name = '{app}' and wait_event_type = 'Lock'")
            if waiting != "0":
                break
            time.sleep(0.02)
        a.send_signal(signal.SIGSTOP)
        frozen_at = time.monotonic()
        holder.wait()
        time.sleep(0.3)
        states = psql(url, f"select state from pg_stat_activity where application_name = '{app}'").splitlines()
        print(f"A ({app}) stopped; its sessions: {states}")
        if "idle in transaction" not in states:
            failures.append(f"A was not frozen inside a transaction: {states}")

        # B under load while A stays frozen; watch when the server ends A's session.
        ended = {}

        def watch():
            while time.monotonic() - frozen_at < FREEZE_S:
                s = psql(url, f"select count(*) from pg_stat_activity where application_name = '{app}' and state = 'idle in transaction'")
                if s == "0" and "at" not in ended:
                    ended["at"] = time.monotonic() - frozen_at
                time.sleep(0.2)

        watcher = threading.Thread(target=watch)
        watcher.start()
        counts = Load(f"http://127.0.0.1:{pb}", token).run(FREEZE_S - (time.monotonic() - frozen_at))
        watcher.join()
        w, r = counts["write"], counts["read"]
        w_ok, w_all = w.get(201, 0) + w.get(200, 0), sum(w.values())
        r_ok, r_all = r.get(200, 0), sum(r.values())
        print(f"B while A was frozen {FREEZE_S:.0f} s: writes {w} ({100 * w_ok / max(w_all, 1):.1f} % ok), "
              f"reads {r} ({100 * r_ok / max(r_all, 1):.1f} % ok)")
        print(f"A's frozen session ended by the server after {ended.get('at', 'never'):.3} s" if "at" in ended
              else "A's frozen session was never ended")
        if w_all == 0 or w_ok / w_all < 0.95:
            failures.append(f"B's writes: {w}")
        if r_all == 0 or r_ok != r_all:
            failures.append(f"B's reads: {r}")
        if "at" not in ended:
            failures.append("the server did not end A's idle transaction")

        # A continues: its stuck request ends, and it writes again.
        a.send_signal(signal.SIGCONT)
        patch.join(timeout=30)
        print(f"A continued: its frozen PATCH was answered {result.get('st')}")
        if result.get("st") not in (200, 503):
            failures.append(f"A's frozen PATCH: {result.get('st')}")
        t0 = time.monotonic()
        ok = None
        while time.monotonic() - t0 < 15:
            st, _, _ = request("PATCH", f"http://127.0.0.1:{pa}/v1/sources/fp-frozen", {"title": "thawed"}, auth, timeout=5)
            if st == 200:
                ok = time.monotonic() - t0
                break
            time.sleep(0.2)
        print(f"A writes again after {ok and round(ok, 2)} s")
        if ok is None:
            failures.append("A did not write again after SIGCONT")
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGCONT)
            stop(p)
        psql(f"{args.pg}/postgres", f"drop database if exists {name} with (force)")
    return report("frozen_peer", failures)


if __name__ == "__main__":
    sys.exit(main())
