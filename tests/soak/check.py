#!/usr/bin/python3
"""The soak's invariant check over a finished run (soak.py's header says
how each mail is counted); also usable alone on a kept run directory:

    check.py RUNDIR      (writer-*.jsonl, accepted.jsonl, queue.db)
"""

import glob
import json
import os
import sqlite3
import sys
from collections import Counter


def read_jsonl(path):
    with open(path) as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def bare(mid):
    return (mid or "").strip().strip("<>")


def spool_rows(qf):
    con = sqlite3.connect(f"file:{qf}?mode=ro", uri=True, timeout=30)
    rows = con.execute("SELECT id, message_id, envelope_from, state, "
                       "uncertain, last_code, reason FROM mail").fetchall()
    con.close()
    return rows


def check(rundir):
    """Counts, and the violations (each a list of examples)."""
    written = []
    for path in sorted(glob.glob(os.path.join(rundir, "writer-*.jsonl"))):
        written.extend(read_jsonl(path))
    got = Counter()
    how = Counter()
    bounces = 0
    bounced = set()         # the envelope senders that got a bounce
    for r in read_jsonl(os.path.join(rundir, "accepted.jsonl")):
        if r["from"] == "":
            bounces += 1
            bounced.update(r["rcpt"])
            continue
        got[bare(r["mid"])] += 1
        how[r["how"]] += 1
    by_mid = {}
    spooled_twice = []
    for row in spool_rows(os.path.join(rundir, "queue.db")):
        if row[2] == "":
            continue        # a bounce, Message-ID made by the runner
        mid = bare(row[1])
        if mid in by_mid:
            spooled_twice.append((mid, by_mid[mid][0], row[0]))
        by_mid[mid] = row

    c = Counter()
    bad = {k: [] for k in ("lost", "unmarked_duplicate", "failed_but_taken",
                           "stuck", "spooled_twice")}
    bad["spooled_twice"] = spooled_twice
    mids = set()
    for w in written:
        mid = w["mid"]
        mids.add(mid)
        d = got[mid]
        if w["rc"] != 0:
            c[f"not accepted (rc {w['rc']})"] += 1
            if d:
                c["not accepted, delivered anyway"] += 1
            continue
        c["accepted"] += 1
        row = by_mid.get(mid)
        if row is None:
            bad["lost"].append((mid, "not in the spool", d))
            continue
        state, unc = row[3], row[4]
        if d >= 2:
            c["duplicates"] += 1
        if unc:
            c["uncertain"] += 1
            c[f"uncertain, server has it {min(d, 2)}{'+' if d >= 2 else ''}"
              " time(s)"] += 1
        if state == "sent":
            if d == 0:
                bad["lost"].append((mid, "spool says sent, server has none",
                                    row[0]))
            elif unc:
                pass
            elif d == 1:
                c["delivered once"] += 1
            else:
                bad["unmarked_duplicate"].append((mid, d, row[0]))
        elif state == "failed":
            c["failed, uncertain or not"] += 1
            c["failed, uncertain or not, bounced"] += w["from"] in bounced
            if unc:
                pass
            elif d == 0:
                c["failed"] += 1
            else:
                bad["failed_but_taken"].append((mid, d, row[0], row[5]))
        else:
            bad["stuck"].append((mid, state, row[0], row[6]))
    c["server: accepted (250)"] = how["250"]
    c["server: accepted, 250 lost"] = how["lost-250"]
    c["server: bounces received"] = bounces
    c["server: mails no writer sent"] = sum(
        n for m, n in got.items() if m not in mids)
    for k, v in bad.items():
        c[k] = len(v)
    return c, bad


def main():
    c, bad = check(sys.argv[1])
    for k in sorted(c):
        print(f"{k:45} {c[k]}")
    for k, v in bad.items():
        for ex in v[:10]:
            print(f"VIOLATION {k}: {ex}")
    return 1 if any(bad.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
