"""PostgreSQL over TLS, on a throwaway cluster of its own (its own port, `ssl = on`, a CA
and a server certificate made here with openssl), which refuses unencrypted connections.

Checks, with the release binary:
- sslmode=require connects, migrates, seeds and serves (readyz 200, a question answers);
- sslmode=verify-full with sslrootcert = the test's CA connects (host name checked);
- verify-full with another CA is refused, and so is sslmode=disable (hba allows TLS only);
- the password reaches pacts as PGPASSWORD, never in the URL, and may hold @ : / # ?.
Prints `pg_tls: 1 passed, 0 failed`.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

from common import free_port, request, start, stop, wait_for
from pg_outage import Cluster

PASSWORD = "p@ss:w/rd#?&x"


def sh(*cmd, cwd=None):
    subprocess.run(cmd, check=True, capture_output=True, cwd=cwd)


def make_certs(d):
    """A CA, and a server certificate for localhost / 127.0.0.1 signed by it; another CA."""
    for ca in ("ca", "other-ca"):
        sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
           "-subj", f"/CN=pacts test {ca}", "-keyout", f"{ca}.key", "-out", f"{ca}.crt", cwd=d)
    with open(os.path.join(d, "san.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
       "-keyout", "server.key", "-out", "server.csr", cwd=d)
    sh("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
       "-CAcreateserial", "-days", "2", "-extfile", "san.cnf", "-out", "server.crt", cwd=d)


def pacts(binary, url, *args, password=None):
    env = dict(os.environ, DATABASE_URL=url, PACTS_LOG="warn")
    env.pop("PGPASSWORD", None)
    if password is not None:
        env["PGPASSWORD"] = password
    return subprocess.run([binary, *args], env=env, capture_output=True, text=True, timeout=60)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/pacts")
    binary = os.path.abspath(ap.parse_args().bin)
    failures = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)

    certs = tempfile.mkdtemp(prefix="pacts-tls-")
    cluster = Cluster()
    try:
        make_certs(certs)
        data = f"{cluster.dir}/data"
        for name in ("server.crt", "server.key"):
            shutil.copy(os.path.join(certs, name), data)
            shutil.chown(os.path.join(data, name), "postgres", "postgres")
        os.chmod(os.path.join(data, "server.key"), 0o600)
        with open(f"{data}/postgresql.conf", "a") as f:
            f.write("\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\npassword_encryption = 'scram-sha-256'\n")
        with open(f"{data}/pg_hba.conf", "w") as f:
            f.write("local all all trust\n"
                    "hostssl all pacts 127.0.0.1/32 scram-sha-256\n"
                    "hostssl all all 127.0.0.1/32 trust\n"
                    "host all all 127.0.0.1/32 reject\n")
        cluster.start()
        for sql in (f"create role pacts login password '{PASSWORD}'", "create database pacts owner pacts"):
            cluster.as_pg(["psql", "-h", cluster.dir, "-p", str(cluster.port), "-U", "postgres", "-qc", sql])
        base = f"postgres://postgres@localhost:{cluster.port}/postgres"
        ca = os.path.join(certs, "ca.crt")
        other = os.path.join(certs, "other-ca.crt")

        r = pacts(binary, f"{base}?sslmode=disable", "migrate")
        check(r.returncode != 0, "sslmode=disable is refused (TLS only)")
        r = pacts(binary, f"{base}?sslmode=require", "migrate")
        check(r.returncode == 0, f"sslmode=require migrates: {r.stderr.strip()[:200]}")
        r = pacts(binary, f"{base}?sslmode=verify-full&sslrootcert={ca}", "check")
        check(r.returncode == 0 and "states" in r.stdout, f"verify-full with the CA: {r.stderr.strip()[:200]}")
        r = pacts(binary, f"{base}?sslmode=verify-full&sslrootcert={other}", "check")
        check(r.returncode != 0, "verify-full with another CA is refused")

        user_url = f"postgres://pacts@localhost:{cluster.port}/pacts?sslmode=verify-full&sslrootcert={ca}"
        r = pacts(binary, user_url, "migrate", password=None)
        check(r.returncode != 0, "without PGPASSWORD the password-protected role is refused")
        r = pacts(binary, user_url, "seed", password=PASSWORD)
        check(r.returncode == 0, f"PGPASSWORD with @ : / # ? works: {r.stderr.strip()[:200]}")
        check(PASSWORD not in r.stdout + r.stderr, "the password is never printed")

        port = free_port()
        env_backup = os.environ.get("PGPASSWORD")
        os.environ["PGPASSWORD"] = PASSWORD
        try:
            proc = start(binary, user_url, port, os.path.join(certs, "serve.log"))
        finally:
            if env_backup is None:
                os.environ.pop("PGPASSWORD", None)
            else:
                os.environ["PGPASSWORD"] = env_backup
        try:
            check(wait_for(port) is not None, "serve over TLS gets ready")
            status, _, body = request("GET", f"http://127.0.0.1:{port}/v1/organisations/csto/members?as_of=2013-01-01")
            check(status == 200 and '"KZ"' in body, f"a question answers over TLS ({status})")
        finally:
            stop(proc)
        with open(os.path.join(certs, "serve.log"), errors="replace") as f:
            check(PASSWORD not in f.read(), "the password is not in the server's log")
    finally:
        cluster.remove()
        shutil.rmtree(certs, ignore_errors=True)
    print(f"pg_tls: {0 if failures else 1} passed, {1 if failures else 0} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
