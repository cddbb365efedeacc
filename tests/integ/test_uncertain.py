"""A mail that may have reached the server keeps that mark (issue 17).

The spool's `uncertain` flag says a mail may have been delivered already,
so that its resend may be a duplicate (--list --json: possible_duplicate,
the log: duplicate=possible). The soak (tests/soak) found it cleared by
--release: a runner killed -9 between the server's 250 and its record left
the mail uncertain; the next runner's attempt was held (AUTH refused);
--release made it an ordinary queued mail, and its resend a duplicate
that nothing marked. Whether a mail may be out already does not change
when the user holds and releases it.
"""

import sqlite3

from conftest import Script
from test_spool import BOB, show, transactions


def test_release_keeps_the_uncertain_mark(spool, server):
    srv = server(Script(close_at="EOM"))
    spool.rc(srv.port)
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == 0, show(p)
    spool.queue("--flush")          # closed after the dot: uncertain
    (row,) = spool.mails()
    assert (row["state"], row["uncertain"]) == ("uncertain", 1), row
    for action in ("--hold", "--release"):
        q = spool.queue(action, "ALL")
        assert q.returncode == 0, show(q)
    (row,) = spool.mails()
    assert (row["state"], row["uncertain"]) == ("queued", 1), row
    q = spool.queue("--list", "--json")
    assert q.returncode == 0, show(q)
    assert '"possible_duplicate":true' in q.stdout.decode().replace(" ", "")

    srv.script.close_at = None
    assert srv.wait_closed(10)
    srv.reset()
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    assert len(transactions(srv)) == 1
    (row,) = spool.mails()
    assert (row["state"], row["uncertain"]) == ("sent", 1), row


def _held_uncertain(row):
    assert row["state"] == "held", row
    assert row["uncertain"] == 1, row
    assert "duplicate" in (row["reason"] or ""), row


def test_uncertain_hold_holds_the_runners_mail(spool, server):
    """queue_uncertain hold (issue 18): a mail whose outcome is unknown
    waits for the user instead of being resent."""
    srv = server(Script(close_at="EOM"))
    spool.rc(srv.port, "queue_uncertain hold\n")
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == 0, show(p)
    spool.queue("--flush")
    (row,) = spool.mails()
    _held_uncertain(row)
    srv.script.close_at = None
    q = spool.queue("--flush")      # a held mail is not tried
    assert q.returncode == 0, show(q)
    assert len(transactions(srv)) == 0
    (row,) = spool.mails()
    assert row["state"] == "held", row


def test_uncertain_hold_holds_msmtps_own_attempt(spool, server):
    srv = server(Script(close_at="EOM"))
    spool.rc(srv.port, "queue_uncertain hold\n")
    p = spool.msmtp(BOB)
    assert p.returncode == 0, show(p)
    err = p.stderr.decode()
    assert "--release" in err and "--delete" in err, show(p)
    (row,) = spool.mails()
    _held_uncertain(row)


def test_uncertain_resend_is_still_the_default(spool, server):
    srv = server(Script(close_at="EOM"))
    spool.rc(srv.port)
    p = spool.msmtp(BOB)
    assert p.returncode == 0, show(p)
    (row,) = spool.mails()
    assert row["state"] == "uncertain", row


def test_uncertain_hold_holds_a_dead_deliverers_mail(spool, server):
    """A mail left in flight by a process that died is taken back as
    uncertain; under queue_uncertain hold it is held, not resent."""
    srv = server(Script())
    spool.rc(srv.port, "queue_uncertain hold\n")
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == 0, show(p)
    con = sqlite3.connect(str(spool.qf), timeout=10)
    with con:      # leased by a process of another boot: dead
        con.execute("UPDATE mail SET state = 'inflight', "
                    "lease_owner = 'another-boot:1:1', lease_from = 0")
    con.close()
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    assert len(transactions(srv)) == 0
    (row,) = spool.mails()
    _held_uncertain(row)
