#!/usr/bin/env python3
"""Browser tests of the dashboard: Playwright for Python drives Debian's Chromium
(executable_path, no browser download) as a person would: it opens shareable links,
drags the date slider and picks a day, switches views from the menu, follows links,
and checks what is shown against the API's own answers. axe-core audits every view
(no serious or critical violation allowed). Screenshots go to --out.

    python3 -m venv /tmp/pacts-browser-venv
    /tmp/pacts-browser-venv/bin/pip install -r tests/browser/requirements.txt
    (cd tests/browser && npm ci)
    /tmp/pacts-browser-venv/bin/python tests/browser/run.py --bin target/release/pacts --out docs/screenshots
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import urllib.parse
import urllib.request

from playwright.sync_api import sync_playwright

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "faults"))
from common import free_port, start, stop, wait_for  # noqa: E402

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
AXE = os.path.join(HERE, "node_modules", "axe-core", "axe.min.js")


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
    results = []

    def check(name, cond, detail=""):
        results.append((name, bool(cond)))
        print(f"{'ok  ' if cond else 'FAIL'} {name}{(': ' + str(detail)) if detail and not cond else ''}", flush=True)

    def api(path):
        return json.loads(urllib.request.urlopen(base + path).read())

    try:
        assert wait_for(port) is not None, "server not ready"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, headless=True, args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            console_errors = []
            page.on("pageerror", lambda e: console_errors.append(str(e)))
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.on("response", lambda r: console_errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            run_checks(page, base, api, check, args.out)
            check("no JavaScript or console errors", not console_errors, "\n".join(console_errors[:5]))
            browser.close()
    finally:
        stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    passed = sum(1 for _, ok in results if ok)
    print(f"browser: {passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


def renders(page):
    return int(page.evaluate("document.getElementById('main').dataset.renders || '0'"))


def wait_view(page, before):
    """Wait until the dashboard has drawn its next view after `before` draws (or its first,
    after a page load). CSS selectors only: the page's CSP forbids evaluated strings."""
    page.wait_for_selector(f"main[data-ready=true][data-renders='{before + 1}'], "
                           "main[data-ready=true][data-renders='1']", timeout=15000, state="attached")


def open_view(page, url):
    try:
        before = renders(page)
    except Exception:
        before = 0
    page.goto(url)
    wait_view(page, before)


def attrs(page, selector, name):
    return page.eval_on_selector_all(selector, f"els => els.map(e => e.getAttribute('{name}'))")


def axe_audit(page):
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        with open(AXE) as f:
            page.evaluate(f.read() + "\n;true")
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} x{len(v['nodes'])}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def run_checks(page, base, api, check, out):
    # The grid on two days: Uzbekistan left the CSTO in 2012.
    for date, inside in [("2013-01-01", False), ("2008-01-01", True)]:
        open_view(page, f"{base}/#/grid?date={date}&region=central_asia")
        check(f"grid on {date} is drawn", page.get_attribute("#matrix", "data-as-of") == date)
        uz = page.get_attribute("tr[data-state=UZ] td[data-org=csto]", "data-role")
        check(f"Uzbekistan {'in' if inside else 'not in'} the CSTO column on {date}", (uz == "member") == inside, uz)
        check(f"Kazakhstan in the CSTO column on {date}",
              page.get_attribute("tr[data-state=KZ] td[data-org=csto]", "data-role") == "member")
    names = page.eval_on_selector_all("#matrix tbody th[scope=row]", "els => els.map(e => e.textContent)")
    check("grid rows are sorted by name (Kazakhstan before Kyrgyzstan)", names == sorted(names) and names.index("Kazakhstan") < names.index("Kyrgyzstan"), names)
    regions = api("/openapi.json")["components"]["schemas"]["Region"]["enum"]
    options = attrs(page, "#region option", "value")
    check("the region menu offers every region the API knows", options == ["all"] + regions, options)
    cell = page.locator("tr[data-state=KZ] td[data-org=csto] a.cell-link")
    tip = cell.get_attribute("title") or ""
    kz_src = api("/v1/memberships?state=KZ&organisation=csto&as_of=2008-01-01&embed=sources")["data"][0]["sources"][0]["title"]
    check("a grid cell's tooltip gives the period and the sources by title", "from 2002-10-07" in tip and kz_src in tip, tip)
    n = renders(page)
    cell.click()
    wait_view(page, n)
    check("a grid cell links to the state's page", page.get_attribute("#view-title", "data-code") == "KZ")
    check("focus moves to the new view's heading", page.evaluate("document.activeElement.id") in ("view-title", "state-name"))

    # The slider, dragged as a person drags it, and a day picked in the date box.
    open_view(page, f"{base}/#/grid?date=2013-01-01&region=central_asia")
    box = page.locator("#date-slider").bounding_box()
    n = renders(page)
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    wait_view(page, n)
    dragged = page.get_attribute("#matrix", "data-as-of")
    hash_date = urllib.parse.parse_qs(page.evaluate("location.hash").split("?", 1)[1])["date"][0]
    check("dragging the slider redraws the grid for an earlier day", dragged == hash_date and dragged < "2013-01-01", dragged)
    n = renders(page)
    page.fill("#date-input", "2008-01-01")
    page.dispatch_event("#date-input", "change")
    wait_view(page, n)
    check("picking a day redraws the grid for it", page.get_attribute("#matrix", "data-as-of") == "2008-01-01")

    # The map: the CSTO on 2013-01-01, drawn from Natural Earth boundaries.
    open_view(page, f"{base}/#/map?org=csto&date=2013-01-01")
    members = sorted(r["state"] for r in api("/v1/organisations/csto/members?as_of=2013-01-01")["data"])
    held = sorted(set(s for s in attrs(page, "#world-map path.held", "data-state") if s))
    table = sorted(attrs(page, "#map-table tbody tr", "data-state"))
    check("the map colours the CSTO's members on 2013-01-01", set(held) <= set(members) and {"KZ", "RU", "AM"} <= set(held), held)
    check("the table under the map lists every member (text alternative)", table == members, table)
    check("Uzbekistan is not coloured on the 2013 map", "UZ" not in held)
    check("the map draws every country from the vendored boundaries", page.locator("#world-map path").count() > 150)
    n = renders(page)
    page.select_option("#map-org", "sco")
    wait_view(page, n)
    check("choosing an organisation redraws the map", "Shanghai" in page.inner_text("#view-title"))
    open_view(page, f"{base}/#/map?org=csto&date=2013-01-01")
    box = page.locator("#date-slider").bounding_box()
    n = renders(page)
    page.mouse.click(box["x"] + box["width"] * 0.55, box["y"] + box["height"] / 2)
    wait_view(page, n)
    check("clicking the map's slider picks another day", "2013-01-01" not in page.inner_text("#view-title"), page.inner_text("#view-title"))
    open_view(page, f"{base}/#/map?org=csto&date=2013-01-01")
    page.screenshot(path=os.path.join(out, "map-csto-2013.png"), full_page=True)

    # Events: the SCO's 2025 status merger is sixteen role changes.
    open_view(page, f"{base}/#/events?org=sco&from=2025-09-01&to=2025-09-01")
    kinds = attrs(page, "#events tbody tr", "data-kind")
    check("the events view shows the SCO merger as 16 role changes", kinds.count("role_change") == 16 and "exit" not in kinds, kinds)
    links = page.eval_on_selector_all("#events .sources a", "els => els.map(e => e.href)")
    check("events show sources by title, linked to their URL", links and all(h.startswith("http") for h in links))
    n = renders(page)
    page.select_option("#events-kind", "join")
    wait_view(page, n)
    check("filtering events by kind", set(attrs(page, "#events tbody tr", "data-kind")) == {"join"})
    open_view(page, f"{base}/#/events?org=sco&from=2025-09-01&to=2025-09-01")
    page.screenshot(path=os.path.join(out, "events-sco-2025.png"), full_page=True)

    # Compare two days.
    open_view(page, f"{base}/#/compare?from=2012-01-01&to=2013-01-01&region=central_asia")
    rows = page.eval_on_selector_all("#compare tbody tr", "els => els.map(e => [e.dataset.state, e.dataset.organisation, e.dataset.change])")
    check("compare shows Uzbekistan leaving the CSTO between 2012 and 2013", rows == [["UZ", "csto", "left"]], rows)
    page.screenshot(path=os.path.join(out, "compare-2012-2013.png"), full_page=True)

    # The menu switches views and moves focus to the heading.
    open_view(page, f"{base}/#/grid?date=2013-01-01&region=central_asia")
    for view, selector in [("events", "#events"), ("compare", "#compare"), ("map", "#world-map"), ("grid", "#matrix")]:
        n = renders(page)
        page.click(f"nav a[data-view={view}]")
        wait_view(page, n)
        check(f"the menu opens the {view} view, focus on its heading",
              page.locator(selector).count() == 1 and page.evaluate("document.activeElement.id") == "view-title")

    # Every view: an export link to its CSV and JSON (each answering), and no serious a11y violation.
    views = ["/#/grid?date=2013-01-01&region=central_asia", "/#/map?org=csto&date=2013-01-01",
             "/#/events?org=csto", "/#/compare?from=2012-01-01&to=2013-01-01", "/#/org/csto", "/#/state/TM", "/#/claims"]
    for v in views:
        open_view(page, base + v)
        csv = page.get_attribute("a[data-export=csv]", "href")
        js = page.get_attribute("a[data-export=json]", "href")
        ok = False
        if csv and js:
            r = urllib.request.urlopen(base + csv)
            body = json.loads(urllib.request.urlopen(base + js).read())
            ok = r.headers["content-type"].startswith("text/csv") and "data" in body
        check(f"{v}: CSV and JSON export links answer", ok, f"{csv} {js}")
        problems = axe_audit(page)
        check(f"{v}: axe-core finds no serious or critical violation", not problems, "; ".join(problems))

    # The earlier views, still right.
    open_view(page, f"{base}/#/org/csto")
    bars = page.eval_on_selector_all("rect[data-state=UZ]", "els => els.map(e => [e.dataset.organisation, e.dataset.joined, e.dataset.left])")
    check("CSTO timeline shows Uzbekistan's two periods", sorted(bars) == [["cst", "1992-05-15", "1999-04-20"], ["csto", "2006-08-16", "2012-12-19"]], bars)
    check("CSTO timeline links its predecessor", page.locator("a[href='#/org/cst']").count() > 0)
    page.screenshot(path=os.path.join(out, "timeline-csto.png"), full_page=True)
    open_view(page, f"{base}/#/state/TM")
    text = page.inner_text("main")
    check("Turkmenistan's page lists its CIS associate membership and neutrality", "associate member" in text and "TM neutrality" in text)
    open_view(page, f"{base}/#/org/eaeu")
    check("the EAEU timeline shows its predecessor EurAsEC's periods (lineage)", page.locator("rect[data-organisation=eurasec]").count() >= 5)
    for date, want in [("2025-01-01", "frozen"), ("2010-01-01", "")]:
        open_view(page, f"{base}/#/grid?date={date}&region=caucasus")
        got = page.get_attribute("tr[data-state=AM] td[data-org=csto]", "data-participation")
        check(f"the grid shows Armenia's CSTO participation on {date} ({want or 'active'})", got == want, got)
    open_view(page, f"{base}/#/claims")
    total = api("/v1/claims?limit=1")["page"]["total"]
    check("the article's claims are listed, one row each", page.locator("#claims tbody tr").count() == total)
    page.goto(f"{base}/docs")
    page.wait_for_selector("main[data-ready=true]")
    check("the API page renders offline", "/v1/events" in page.inner_text("main"))
    for name, path in [("grid-2013-central-asia.png", "/#/grid?date=2013-01-01&region=central_asia"),
                       ("state-turkmenistan.png", "/#/state/TM"), ("claims.png", "/#/claims")]:
        open_view(page, base + path)
        page.screenshot(path=os.path.join(out, name), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    open_view(page, f"{base}/#/map?org=sco&date=2025-09-01")
    page.screenshot(path=os.path.join(out, "map-phone.png"))
    for name in ["map-csto-2013.png", "events-sco-2025.png", "compare-2012-2013.png", "timeline-csto.png", "map-phone.png"]:
        f = os.path.join(out, name)
        check(f"screenshot {name}", os.path.exists(f) and os.path.getsize(f) > 5000)


if __name__ == "__main__":
    sys.exit(main())
