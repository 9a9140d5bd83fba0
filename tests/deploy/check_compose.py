"""What docker-compose.yml and deploy/nginx.conf do, checked offline (no Docker engine here).

The Compose specification's schema says the file is well formed (check-jsonschema in CI);
this says it does what the README promises:
- the default profile runs one pacts (SQLite unless DATABASE_URL says otherwise), with a
  volume for its data, and nothing else;
- the scale profile runs exactly PACTS_REPLICAS replicas of that one service behind nginx
  (no other pacts service exists), nginx compresses and sets X-Forwarded-For, and pacts
  trusts forwarding headers from nginx's fixed address only;
- no URL is built from the database password (pacts reads PGPASSWORD);
- the health check uses the binary itself, and the image's user is not root.
Prints `compose: N passed, 0 failed`.
"""
import pathlib
import re
import sys

from ruamel.yaml import YAML

root = pathlib.Path(__file__).resolve().parents[2]
compose = YAML(typ="safe").load((root / "docker-compose.yml").read_text())
nginx = (root / "deploy/nginx.conf").read_text()
dockerfile = (root / "Dockerfile").read_text()
services = compose["services"]
checks = []


def check(cond, what):
    checks.append((bool(cond), what))


def enabled(profiles):
    return [n for n, s in services.items() if not s.get("profiles") or set(s["profiles"]) & set(profiles)]


pacts_like = [n for n, s in services.items() if s.get("image", "").startswith("pacts") or "build" in s]
check(pacts_like == ["pacts"], f"one pacts service only: {pacts_like}")
check(enabled([]) == ["pacts"], f"default profile runs only pacts: {enabled([])}")
check(sorted(enabled(["postgres"])) == ["pacts", "postgres"], "postgres profile adds PostgreSQL")
check(sorted(enabled(["scale"])) == ["pacts", "postgres", "proxy"], f"scale profile: {enabled(['scale'])}")
p = services["pacts"]
check(p["deploy"]["replicas"] == "${PACTS_REPLICAS:-1}", "replicas come from PACTS_REPLICAS, one by default")
check(p["environment"]["DATABASE_URL"].startswith("${DATABASE_URL:-sqlite://"), "SQLite by default")
check("pacts-data:/var/lib/pacts" in p["volumes"], "SQLite data on a named volume")
check(p["environment"]["PGPASSWORD"] == "${POSTGRES_PASSWORD:-}", "the password reaches pacts as PGPASSWORD")
for name, s in services.items():
    for k, v in (s.get("environment") or {}).items():
        check(not re.search(r"://[^ ]*PASSWORD", str(v)), f"{name}.{k} builds no URL from a password")
check(p["healthcheck"]["test"] == ["CMD", "pacts", "health"], "health check with the binary")
check(p["depends_on"]["postgres"].get("required") is False, "PostgreSQL is optional for pacts")
ports = p["ports"]
check(len(ports) == 1 and ports[0].startswith("127.0.0.1:8080-"), f"a host port per replica on localhost: {ports}")
proxy = services["proxy"]
proxy_ip = proxy["networks"]["pacts"]["ipv4_address"]
check(p["environment"]["PACTS_TRUSTED_PROXIES"] == proxy_ip, "pacts trusts nginx's address only")
subnet = compose["networks"]["pacts"]["ipam"]["config"][0]["subnet"]
check(proxy_ip.rsplit(".", 1)[0] == subnet.split("/")[0].rsplit(".", 1)[0], "nginx's address is on the network")
check(re.search(r"server\s+pacts:8080\b", nginx), "nginx proxies to the pacts service (every replica)")
check(re.search(r"proxy_set_header\s+X-Forwarded-For\s+\$proxy_add_x_forwarded_for;", nginx), "nginx sets X-Forwarded-For")
check(re.search(r"^\s*gzip on;", nginx, re.M) and "application/json" in nginx, "nginx compresses JSON")
check(re.search(r"^USER\s+\d+", dockerfile, re.M), "the image runs as a numeric non-root user")
check(re.search(r'^VOLUME \["/var/lib/pacts"\]', dockerfile, re.M), "the image declares the data volume")
check("COPY assets" in dockerfile, "the image copies the embedded assets")
check("COPY seeds/releases/*.json" in dockerfile, "the image copies the embedded data releases")
failed = [w for ok, w in checks if not ok]
for w in failed:
    print("FAIL", w)
print(f"compose: {len(checks) - len(failed)} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)
