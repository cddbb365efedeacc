"""The runner's duplicate window, measured on request (issue 17).

With MSMTP_QUEUE_STATS=1 in its environment, msmtp-queue times each mail
it records sent, from the server's final 250 to the commit of its record
and to the fdatasync() that makes that commit durable, and prints both
distributions on stderr when the pass ends (src/runner/window.h);
bench/flush.py and the soak read them. Without it, nothing is printed.
"""

import re

from test_spool import BOB, run_prog, show, transactions

WINDOW_RE = re.compile(r"msmtp-queue: window (commit|fdatasync) n=(\d+) "
                       r"p50_us=(\d+) p99_us=(\d+) max_us=(\d+)\n")


def spool_five(spool, srv):
    spool.rc(srv.port)
    for _ in range(5):
        p = spool.msmtp("-odq", BOB)
        assert p.returncode == 0, show(p)


def test_flush_prints_the_window_when_asked_only(spool, server):
    srv = server()
    spool_five(spool, srv)
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    assert b"window" not in q.stderr, show(q)

    spool_five(spool, srv)
    q = run_prog(spool.queue_path, "msmtp-queue", spool.argv("--flush"),
                 env=spool.env(MSMTP_QUEUE_STATS="1"))
    assert q.returncode == 0, show(q)
    assert len(transactions(srv)) == 10
    found = {m.group(1): [int(x) for x in m.groups()[1:]]
             for m in WINDOW_RE.finditer(q.stderr.decode())}
    assert set(found) == {"commit", "fdatasync"}, show(q)
    for n, p50, p99, top in found.values():
        assert n == 5 and p50 <= p99 <= top, show(q)
    # A commit is durable only after it has returned.
    assert found["fdatasync"][3] >= found["commit"][3], show(q)
