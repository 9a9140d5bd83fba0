#!/usr/bin/env python3
"""Storage faults under a running pacts (SQLite), on a small tmpfs of this script's own
(needs root, for mount).

Disk full: 8 writers create sources while a filler file takes the last free space.
  While the disk is full every write is answered 507 (insufficient-storage) with
  Retry-After, never 500; reads keep working; /readyz says 503. When the filler is
  removed, writes succeed again within seconds, without a restart, and /readyz is 200.
Read-only: the server (running as an unprivileged user, as in the image) is restarted on
  a database file it may not write: writes are 503 (read-only) with Retry-After, reads
  work, /readyz says 503. When the file's permissions are restored, writes succeed again
  within seconds, without a restart, and /readyz is 200.
At the end the server is stopped and the file is checked: every acknowledged write is
present (0 lost), integrity_check is ok.

    python3 tests/faults/disk_full.py --bin target/release/pacts
"""
import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

from common import create_token, free_port, report, request, start, stop, wait_for


def sh(*cmd):
    subprocess.run(cmd, check=True, capture_output=True)


def fill(path):
    """Write zeros to `path` until the file system is full."""
    block = b"\0" * (64 * 1024)
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(block)
        except OSError:
            pass
        try:  # the last few bytes
            while True:
                f.write(b"\0" * 512)
        except OSError:
            pass


class Load:
    """Writers creating sources with client-chosen slugs, counting every answer."""

    def __init__(self, port, token, prefix, writers=8):
        self.prefix = prefix
        self.port, self.token = port, token
        self.acked, self.statuses, self.bad = [], {}, []
        self.halt = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(w,)) for w in range(writers)]
        self.seq = 0

    def run(self, w):
        i = 0
        while not self.halt.is_set():
            slug = f"{self.prefix}-{w}-{i}"
            i += 1
            st, h, body = request("POST", f"http://127.0.0.1:{self.port}/v1/sources",
                                  {"slug": slug, "title": "disk full " + "x" * 2000},
                                  {"Authorization": f"Bearer {self.token}"}, timeout=10)
            with self.lock:
                self.statuses[st] = self.statuses.get(st, 0) + 1
                if st == 201:
                    self.acked.append(slug)
                elif st in (503, 507):
                    kind = json.loads(body).get("type", "") if body.startswith("{") else ""
                    if "retry-after" not in h or not kind:
                        self.bad.append((st, "no Retry-After or type", body[:200]))
                else:
                    self.bad.append((st, body[:200]))
            if st != 201:
                time.sleep(0.05)

    def start(self):
        for t in self.threads:
            t.start()

    def snapshot(self):
        with self.lock:
            return dict(self.statuses)

    def stop(self):
        self.halt.set()
        for t in self.threads:
            t.join()


def until(pred, limit):
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if pred():
            return time.monotonic() - t0
        time.sleep(0.1)
    return None


def recovered(load, base_url, what, failures, limit):
    """After a fault cleared: 20 more writes acknowledged and /readyz 200, within `limit` s."""
    before = load.snapshot().get(201, 0)
    t = until(lambda: load.snapshot().get(201, 0) >= before + 20, limit)
    ready = until(lambda: request("GET", f"{base_url}/readyz")[0] == 200, limit)
    print(f"{what}: writes succeed again after {t and round(t, 2)} s, /readyz 200 after {ready and round(ready, 2)} s")
    if t is None:
        failures.append(f"writes did not recover ({what}): {load.snapshot()}")
    if ready is None:
        failures.append(f"/readyz did not recover ({what})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/pacts")
    ap.add_argument("--size", default="24m")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("disk_full: needs root to mount a tmpfs")
        print("disk_full: 0 passed, 1 failed")
        return 1
    base = tempfile.mkdtemp(prefix="pacts-disk-")
    os.chmod(base, 0o755)  # the server runs as nobody
    mnt = os.path.join(base, "mnt")
    os.mkdir(mnt)
    sh("mount", "-t", "tmpfs", "-o", f"size={args.size}", "tmpfs", mnt)
    failures = []
    proc = None
    try:
        db = os.path.join(mnt, "pacts.db")
        url = f"sqlite://{db}"
        token = create_token(args.bin, url, "disk-full")
        subprocess.run(["chown", "-R", "nobody", mnt], check=True)
        port = free_port()
        log = os.path.join(base, "server.log")
        proc = start(args.bin, url, port, log, user="nobody")
        if wait_for(port) is None:
            print(open(log).read()[-2000:])
            raise SystemExit("server did not become ready")
        base_url = f"http://127.0.0.1:{port}"
        load = Load(port, token, "full")
        load.start()
        time.sleep(1.0)

        # 1. Disk full.
        filler = os.path.join(mnt, "filler")
        fill(filler)
        saw_full = until(lambda: load.snapshot().get(507, 0) >= 20, 30)
        if saw_full is None:
            failures.append(f"no 507 while the disk was full: {load.snapshot()}")
        st, body = 200, ""
        for _ in range(50):
            st, _, body = request("GET", f"{base_url}/readyz")
            if st == 503:
                break
            time.sleep(0.1)
        print(f"disk full: writes {load.snapshot()}, /readyz {st}: {body[:120]}")
        if st != 503:
            failures.append(f"/readyz during disk full: {st}")
        st, _, _ = request("GET", f"{base_url}/v1/organisations/csto/members?as_of=2013-01-01")
        if st != 200:
            failures.append(f"read during disk full: {st}")
        os.remove(filler)
        recovered(load, base_url, "space freed", failures, 20)

        # 2. A database file the server may not write.
        load.stop()
        stop(proc)
        files = [os.path.join(mnt, f) for f in os.listdir(mnt) if f.startswith("pacts.db")]
        for f in files:
            os.chmod(f, 0o444)
        proc = start(args.bin, url, port, log, user="nobody")
        if wait_for(port, path="/healthz") is None:
            raise SystemExit("server did not start on a read-only file")
        first = load
        load = Load(port, token, "ro")
        load.start()
        saw_ro = until(lambda: load.snapshot().get(503, 0) >= 20, 20)
        st, _, body = request("GET", f"{base_url}/readyz")
        rst, _, _ = request("GET", f"{base_url}/v1/states/KZ")
        print(f"read-only: writes {load.snapshot()}, read {rst}, /readyz {st}: {body[:120]}")
        if saw_ro is None:
            failures.append(f"no 503 while read-only: {load.snapshot()}")
        if st != 503:
            failures.append(f"/readyz while read-only: {st}")
        if rst != 200:
            failures.append(f"read while read-only: {rst}")
        for f in files:
            os.chmod(f, 0o644)
        recovered(load, base_url, "permissions restored", failures, 30)
        load.stop()
        stop(proc)
        proc = None

        # 3. Nothing acknowledged was lost; the file is sound.
        con = sqlite3.connect(db)
        present = {r[0] for r in con.execute("select slug from sources")}
        integrity = con.execute("pragma integrity_check").fetchone()[0]
        con.close()
        acked = first.acked + load.acked
        lost = [s for s in acked if s not in present]
        totals = {}
        for phase in (first, load):
            for k, v in phase.snapshot().items():
                totals[k] = totals.get(k, 0) + v
        bad = first.bad + load.bad
        print(f"answers {totals}; acknowledged {len(acked)}, lost {len(lost)}, integrity {integrity}")
        if lost:
            failures.append(f"{len(lost)} acknowledged writes lost, e.g. {lost[:3]}")
        if integrity != "ok":
            failures.append(f"integrity_check: {integrity}")
        if totals.get(500, 0):
            failures.append(f"{totals[500]} answers were 500")
        if bad:
            failures.append(f"{len(bad)} unexpected answers, e.g. {bad[:3]}")
    finally:
        if proc is not None:
            stop(proc)
        subprocess.run(["umount", mnt], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
    return report("disk_full", failures)


if __name__ == "__main__":
    sys.exit(main())
