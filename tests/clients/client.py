"""A real user of the generated Python client (openapi-python-client), against a live pacts.

Reads the CSTO's members on 2013-01-01 as typed rows, a matrix with its columns, a CSV as
text; creates a source and a membership with a token, patches the membership with a typed
patch, and reverts all three writes through the change log.

  PYTHONPATH=<dir holding pacts_client> python3 client.py --base URL --token TOKEN
"""
import argparse
import datetime
import os
import sys

from pacts_client import AuthenticatedClient, Client
from pacts_client.api.changes import list_changes, revert_change
from pacts_client.api.memberships import create_membership, get_membership, patch_membership
from pacts_client.api.queries import matrix, matrix_csv, organisation_members
from pacts_client.api.sources import create_source, get_source
from pacts_client.models import (
    Change, Coverage, MatrixAnswer, MembersAnswer, Membership, MembershipInput, MembershipPatch,
    MembershipRow, Problem, Region, RevertResult, Role, Source, SourceInput,
)


def expect(cond, what):
    if not cond:
        print(f"FAIL: {what}")
        sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--token", required=True)
    args = ap.parse_args()
    anon = Client(base_url=args.base)
    auth = AuthenticatedClient(base_url=args.base, token=args.token)

    members = organisation_members.sync("csto", client=anon, as_of="2013-01-01")
    expect(isinstance(members, MembersAnswer), f"members answer: {members!r}")
    rows = members.data
    expect(all(isinstance(r, MembershipRow) for r in rows), "typed rows")
    states = {r.state for r in rows if r.role == Role.MEMBER}
    expect({"AM", "BY", "KZ", "KG", "RU", "TJ"} <= states, f"CSTO members 2013: {sorted(states)}")
    expect("UZ" not in states, "Uzbekistan had left the CSTO by 2013")
    expect(members.organisation.slug == "csto", "envelope names the organisation")
    expect(members.complete == (members.organisation.membership_coverage == Coverage.COMPLETE), "complete follows coverage")
    expect(all(isinstance(r.joined_on, datetime.date) for r in rows), "dates are dates")

    grid = matrix.sync(client=anon, region=Region.CENTRAL_ASIA, as_of=datetime.date(2013, 1, 1))
    expect(isinstance(grid, MatrixAnswer), f"matrix answer: {grid!r}")
    slugs = [c.slug for c in grid.columns]
    expect("csto" in slugs and "sco" in slugs, f"columns {slugs}")
    expect(all(len(r.cells) == len(grid.columns) for r in grid.data), "a cell per column")
    uz = next(r for r in grid.data if r.state == "UZ")
    expect(uz.cells[slugs.index("csto")] is None, "no CSTO cell for Uzbekistan in 2013")
    expect(uz.cells[slugs.index("sco")] == Role.MEMBER, "Uzbekistan in the SCO")

    csv = matrix_csv.sync(client=anon, region=Region.CENTRAL_ASIA, as_of=datetime.date(2013, 1, 1))
    expect(isinstance(csv, str) and csv.startswith("state,state_name,region,"), f"CSV: {csv!r:.80}")
    expect(len(csv.strip().splitlines()) == len(grid.data) + 1, "CSV rows = JSON rows + header")

    slug = f"py-client-{os.getpid()}"
    src = create_source.sync(client=auth, body=SourceInput(slug=slug, title="Written by the generated Python client"))
    expect(isinstance(src, Source) and src.slug == slug, f"created source: {src!r}")
    m = create_membership.sync(client=auth, body=MembershipInput(
        state="KZ", organisation="csto", role=Role.PA_OBSERVER,
        joined_on=datetime.date(2201, 1, 1), left_on=datetime.date(2201, 6, 1), sources=[slug]))
    expect(isinstance(m, Membership) and m.id > 0, f"created membership: {m!r}")
    patched = patch_membership.sync(m.id, client=auth, body=MembershipPatch(note="typed patch"))
    expect(isinstance(patched, Membership) and patched.note == "typed patch", f"patched: {patched!r}")

    log = list_changes.sync(client=auth, collection="memberships", key=str(m.id))
    # Newest first: this run's patch, then its create (SQLite may reuse a deleted id, so older
    # entries for the same key can follow).
    ours = log.data[:2]
    expect([c.action.value for c in ours] == ["replace", "create"], f"change log: {log!r:.300}")
    expect(all(isinstance(c, Change) for c in ours), "typed changes")
    for change in ours:
        undone = revert_change.sync(change.id, client=auth)
        expect(isinstance(undone, RevertResult) and undone.reverted == change.id, f"revert: {undone!r:.200}")
    src_log = list_changes.sync(client=auth, collection="sources", key=slug)
    undone = revert_change.sync(src_log.data[0].id, client=auth)
    expect(isinstance(undone, RevertResult), f"revert source: {undone!r:.200}")
    expect(isinstance(get_membership.sync(m.id, client=anon), Problem), "membership gone")
    expect(isinstance(get_source.sync(slug, client=anon), Problem), "source gone")
    print("python client: read members, matrix, CSV; wrote, patched and reverted through the change log")


if __name__ == "__main__":
    main()
