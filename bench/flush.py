#!/usr/bin/python3
"""Flush speed of msmtp-queue, against the machine's loopback limit.

Spools --mails (default 2,000) mails of --size bytes of body (default
2 KB) with `msmtp -odq`, once, then for each session count of --sessions
(queue_max_connections) times `msmtp-queue --flush` of a copy of that
spool to Postfix's smtp-sink on 127.0.0.1, and Postfix's smtp-source -d
(several mails per connection) sending as many mails of the same size
over as many sessions: the ceiling. Prints mails/s and the ratio.

    bench/flush.py [--mails 2000] [--size 2048] [--sessions 1,2,4]
                   [--build build] [--time-limit 300]
"""

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import REPO, Deadline, Sink, postfix_root, spawn_timed  # noqa
from smtp_source_limit import run_source  # noqa: E402

RC = """\
account default
host 127.0.0.1
port {port}
auth off
tls off
from bench@example.org
queue_max_connections 1
"""


def spool_mails(msmtp, rc, qf, env, mails, size, deadline):
    body = (b"x" * 75 + b"\n") * (size // 76) + b"x" * (size % 76) + b"\n"
    for i in range(mails):
        deadline.check("spooling")
        mail = (b"From: bench@example.org\nTo: sink@example.net\n"
                b"Subject: bench %d\n\n" % i) + body
        p = subprocess.run([msmtp, "-C", rc, "--queue-file", qf, "-odq",
                            "sink@example.net"], input=mail, env=env,
                           capture_output=True, timeout=30)
        if p.returncode != 0:
            sys.exit(f"bench: msmtp -odq failed: {p.stderr.decode()}")


def copy_spool(template, dest, sessions):
    """A copy of the spooled mails whose snapshots ask for sessions."""
    shutil.copy(template, dest)
    con = sqlite3.connect(dest)
    con.execute("UPDATE mail SET settings = replace(settings, "
                "'queue_max_connections \"1\"', "
                "'queue_max_connections \"%d\"')" % sessions)
    con.commit()
    con.close()


def flush(queue, rc, qf, env, timeout):
    r = spawn_timed([queue, "-C", rc, "--queue-file", qf, "--flush"],
                    os.open(os.devnull, os.O_RDONLY), env, timeout)
    if not r.ok:
        sys.exit(f"bench: msmtp-queue --flush failed: {r.describe()}")
    con = sqlite3.connect(qf)
    left = con.execute("SELECT count(*) FROM mail WHERE state != 'sent'"
                       ).fetchone()[0]
    con.close()
    if left:
        sys.exit(f"bench: {left} mails not sent")
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mails", type=int, default=2000)
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--sessions", default="1,2,4")
    ap.add_argument("--build", default=str(REPO / "build"))
    ap.add_argument("--time-limit", type=float, default=300)
    a = ap.parse_args()
    deadline = Deadline(a.time_limit)
    root = postfix_root()
    build = Path(a.build).resolve()
    msmtp, queue = str(build / "msmtp"), str(build / "msmtp-queue")

    with tempfile.TemporaryDirectory(prefix="msmtp-bench-") as tmp, \
            Sink(root) as sink:
        tmp = Path(tmp)
        env = {"HOME": str(tmp), "PATH": "/usr/bin:/bin", "LC_ALL": "C",
               "TZ": "UTC"}
        rc = tmp / "msmtprc"
        rc.write_text(RC.format(port=sink.port))
        rc.chmod(0o600)
        template = tmp / "template.db"
        t0 = time.perf_counter()
        spool_mails(msmtp, str(rc), str(template), env, a.mails, a.size,
                    deadline)
        print(f"spooled {a.mails} mails of {a.size} B body with msmtp -odq "
              f"in {time.perf_counter() - t0:.1f}s")
        print(f"{'sessions':>8} {'flush s':>8} {'mails/s':>8} "
              f"{'limit/s':>8} {'ratio':>6} {'cpu s':>6}")
        for sessions in [int(s) for s in a.sessions.split(",")]:
            deadline.check("flushing")
            qf = tmp / f"flush{sessions}.db"
            copy_spool(template, qf, sessions)
            r = flush(queue, str(rc), str(qf), env, deadline.left())
            limit = a.mails / run_source(root, sink.port, a.mails, a.size,
                                         sessions, True, deadline.left())
            rate = a.mails / r.wall
            print(f"{sessions:>8} {r.wall:8.2f} {rate:8.0f} {limit:8.0f} "
                  f"{rate / limit:6.0%} {r.utime + r.stime:6.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
