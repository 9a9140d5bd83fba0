#!/usr/bin/env python3
"""Browser tests of the dashboard with headless Chromium (Debian's `chromium`).

Loads the page for shareable links (the view and date live in the URL), reads the DOM
after the scripts ran, and checks what a person would see: on 2013-01-01 Uzbekistan is
not in the CSTO column, on 2008-01-01 it is; the CSTO timeline shows Uzbekistan's two
periods (the 1992 treaty and the CSTO); Turkmenistan's page; the claims; the API page.
No page may raise a JavaScript error. Saves screenshots.

    python3 tests/browser/run.py --bin target/release/pacts --out docs/screenshots
"""
import argparse
import html.parser
import json
import os
import urllib.request
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "faults"))
from common import free_port, start, stop, wait_for  # noqa: E402

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]


class Dom(html.parser.HTMLParser):
    """Elements with their attributes and text, enough for the checks."""

    def __init__(self, text):
        super().__init__()
        self.elements = []
        self.stack = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        e = {"tag": tag, "attrs": dict(attrs), "text": "", "parents": list(self.stack)}
        self.elements.append(e)
        if tag not in ("input", "meta", "link", "br", "img", "rect"):
            self.stack.append(e)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i]["tag"] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        for e in self.stack:
            e["text"] += data

    def find(self, tag=None, **attrs):
        return [e for e in self.elements if (tag is None or e["tag"] == tag)
                and all(e["attrs"].get(k.replace("_", "-")) == v for k, v in attrs.items())]


class Browser:
    def __init__(self, chromium):
        self.chromium = chromium
        self.profile = tempfile.mkdtemp(prefix="pacts-chromium-")
        self.console_errors = []

    def run(self, args, url):
        out = subprocess.run([self.chromium, *FLAGS, f"--user-data-dir={self.profile}", "--virtual-time-budget=8000", *args, url],
                             capture_output=True, text=True, timeout=120)
        for line in out.stderr.splitlines():
            if "CONSOLE" in line and ("Uncaught" in line or "Error" in line or ":ERROR:" in line):
                self.console_errors.append(line)
        return out.stdout

    def dom(self, url):
        return Dom(self.run(["--dump-dom"], url))

    def screenshot(self, url, path, size="1280,900"):
        self.run([f"--screenshot={path}", f"--window-size={size}"], url)
        return os.path.exists(path) and os.path.getsize(path) > 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/pacts")
    ap.add_argument("--out", default="docs/screenshots")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="pacts-browser-")
    port = free_port()
    proc = start(args.bin, f"sqlite://{tmp}/ui.db", port, os.path.join(tmp, "server.log"))
    base = f"http://127.0.0.1:{port}"
    b = Browser(args.chromium)
    results = []

    def check(name, cond, detail=""):
        results.append((name, bool(cond)))
        print(f"{'ok  ' if cond else 'FAIL'} {name}{(': ' + detail) if detail and not cond else ''}")

    try:
        assert wait_for(port) is not None, "server not ready"
        for date, inside in [("2013-01-01", False), ("2008-01-01", True)]:
            d = b.dom(f"{base}/#/grid?date={date}&region=central_asia")
            table = d.find("table", id="matrix")
            check(f"grid on {date} is drawn", table and table[0]["attrs"].get("data-as-of") == date)
            uz = [e for e in d.find("td", data_org="csto") if any(p["attrs"].get("data-state") == "UZ" for p in e["parents"])]
            kz = [e for e in d.find("td", data_org="csto") if any(p["attrs"].get("data-state") == "KZ" for p in e["parents"])]
            role = uz[0]["attrs"].get("data-role") if uz else None
            check(f"Uzbekistan {'in' if inside else 'not in'} the CSTO column on {date}", (role == "member") == inside, f"cell role {role!r}")
            check(f"Kazakhstan in the CSTO column on {date}", kz and kz[0]["attrs"].get("data-role") == "member")
            check(f"cells carry a text label, not colour alone ({date})", uz and uz[0]["text"].strip() in ("M", "–"))
            check(f"no JavaScript error on the grid ({date})", d.find("body") and d.find("body")[0]["attrs"].get("data-js-errors") == "0")
        d = b.dom(f"{base}/#/org/csto")
        bars = [e for e in d.elements if e["tag"] == "rect" and e["attrs"].get("data-state") == "UZ"]
        periods = sorted((e["attrs"].get("data-organisation"), e["attrs"].get("data-joined"), e["attrs"].get("data-left")) for e in bars)
        check("CSTO timeline shows Uzbekistan's two periods", periods == [("cst", "1992-05-15", "1999-04-20"), ("csto", "2006-08-16", "2012-12-19")],
              str(periods))
        check("CSTO timeline names its predecessor", "Predecessor" in d.find("main")[0]["text"] and d.find("a", href="#/org/cst"))
        d = b.dom(f"{base}/#/state/TM")
        h2 = d.find("h2", id="state-name")
        check("Turkmenistan's page opens", h2 and h2[0]["attrs"].get("data-code") == "TM", str(h2[:1]))
        text = d.find("main")[0]["text"] if d.find("main") else ""
        check("Turkmenistan's page lists its CIS associate membership and neutrality", "associate member" in text and "TM neutrality" in text)
        check("Turkmenistan's page shows sources and confidence", "confirmed" in text and "wiki" in text)
        d = b.dom(f"{base}/#/claims")
        rows = [e for e in d.elements if e["tag"] == "tr" and any(p["attrs"].get("id") == "claims" for p in e["parents"])]
        claims_total = json.loads(urllib.request.urlopen(f"{base}/v1/claims?limit=1").read())["page"]["total"]
        check("the article's claims are listed with verdicts (a row each, and the header)",
              len(rows) == claims_total + 1 and "misleading" in d.find("main")[0]["text"], f"{len(rows)} rows for {claims_total} claims")
        d = b.dom(f"{base}/#/org/eaeu")
        eurasec = [e for e in d.elements if e["tag"] == "rect" and e["attrs"].get("data-organisation") == "eurasec"]
        check("the EAEU timeline shows its predecessor EurAsEC's periods (lineage)", len(eurasec) >= 5, f"{len(eurasec)} bars")
        for date, want in [("2025-01-01", "frozen"), ("2010-01-01", "")]:
            d = b.dom(f"{base}/#/grid?date={date}&region=caucasus")
            am = [e for e in d.find("td", data_org="csto") if any(p["attrs"].get("data-state") == "AM" for p in e["parents"])]
            got = am[0]["attrs"].get("data-participation") if am else None
            check(f"the grid shows Armenia's CSTO participation on {date} ({want or 'active'})", got == want, f"{got!r}")
        d = b.dom(f"{base}/docs")
        main_el = d.find("main")
        check("the API page renders offline", main_el and main_el[0]["attrs"].get("data-ready") == "true"
              and "/v1/organisations/{key}/members" in main_el[0]["text"])
        shots = [("grid-2013-central-asia.png", "/#/grid?date=2013-01-01&region=central_asia", "1280,900"),
                 ("grid-2008-central-asia.png", "/#/grid?date=2008-01-01&region=central_asia", "1280,900"),
                 ("timeline-csto.png", "/#/org/csto", "1280,1100"),
                 ("state-turkmenistan.png", "/#/state/TM", "1280,1200"),
                 ("claims.png", "/#/claims", "1280,1400"),
                 ("docs.png", "/docs", "1280,900"),
                 ("grid-phone.png", "/#/grid?date=2013-01-01&region=central_asia", "390,844")]
        for name, path, size in shots:
            check(f"screenshot {name}", b.screenshot(base + path, os.path.join(args.out, name), size))
        check("no console errors", not b.console_errors, "\n".join(b.console_errors[:5]))
    finally:
        stop(proc)
        shutil.rmtree(b.profile, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    passed = sum(1 for _, ok in results if ok)
    print(f"browser: {passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
