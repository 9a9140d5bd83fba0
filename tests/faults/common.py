"""Helpers shared by the fault scripts: start and stop pacts, send requests, count outcomes.

Only the standard library; every server listens on 127.0.0.1 and every loop is bounded.
"""
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, url, port, log_path, user=None, extra_env=None):
    env = dict(os.environ, DATABASE_URL=url, PACTS_BIND=f"127.0.0.1:{port}", PACTS_LOG="warn")
    env.update(extra_env or {})
    log = open(log_path, "ab")
    return subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=log, user=user)


def request(method, url, body=None, headers=None, timeout=10):
    """(status, headers, body text); status is 'timeout' or 'conn' when no answer came."""
    data = json.dumps(body).encode() if body is not None else None
    h = {"Content-Type": "application/json"} if data is not None else {}
    h.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read().decode("utf-8", "replace")
    except (TimeoutError, socket.timeout):
        return "timeout", {}, ""
    except (urllib.error.URLError, ConnectionError, OSError):
        return "conn", {}, ""


def wait_for(port, path="/readyz", limit=30.0):
    """Milliseconds until `path` answers 200, or None."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        status, _, _ = request("GET", f"http://127.0.0.1:{port}{path}", timeout=1)
        if status == 200:
            return int((time.monotonic() - t0) * 1000)
        time.sleep(0.02)
    return None


def create_token(binary, url, name):
    env = dict(os.environ, DATABASE_URL=url, PACTS_LOG="warn")
    out = subprocess.run([binary, "token", "create", name], env=env, capture_output=True, check=True)
    return out.stdout.decode().strip()


def stop(proc, sig=None):
    if proc.poll() is None:
        if sig is None:
            proc.terminate()
        else:
            proc.send_signal(sig)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def report(name, failures):
    """Print each failure and the script's one-line verdict; the exit code."""
    for f in failures:
        print("FAIL:", f)
    print(f"{name}: " + ("1 passed, 0 failed" if not failures else "0 passed, 1 failed"))
    return 0 if not failures else 1
