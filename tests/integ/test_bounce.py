"""Bounces (issue 6): a recipient the runner fails for good -- refused
with 5xx, or given up on when the mail's queue_lifetime is over -- gets
its sender a delivery status notification (RFC 3464) through the same
account, from the null sender; never for a null sender, never twice,
and never when msmtp itself was told (it said so on stderr).
"""

import email
import sqlite3


from test_spool import BOB, show, transactions  # noqa: F401
from conftest import Script

CAROL = "carol@example.net"
ORIGINAL = (b"From: Alice <alice@example.org>\nTo: bob@example.net\n"
            b"Message-ID: <orig.1@example.org>\nSubject: to be refused\n\n"
            b"the body stays home\n")


def reports(srv):
    """The DSNs the server received: (envelope, parsed message)."""
    out = []
    for mail_from, rcpts, content in transactions(srv):
        if mail_from in ("", "<>"):
            out.append((rcpts, email.message_from_bytes(content)))
    return out


def dsn_fields(msg):
    """Per-recipient fields of the message/delivery-status part."""
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            blocks = part.get_payload()
            return [dict(b.items()) for b in blocks[1:]]
    return None


def test_5xx_fails_and_bounces(spool, server):
    srv = server(Script(replies={"RCPT": {BOB: "550 5.1.1 no such user"}}))
    spool.rc(srv.port)
    assert spool.msmtp("-odq", BOB, CAROL, mail=ORIGINAL).returncode == 0
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    assert srv.wait_closed(10)
    (rcpts, msg), = reports(srv)
    assert rcpts == ["alice@example.org"]
    assert msg.get_content_type() == "multipart/report"
    assert msg["Auto-Submitted"] == "auto-replied"
    (f,) = dsn_fields(msg)
    assert f["Final-Recipient"] == "rfc822; " + BOB
    assert f["Action"] == "failed" and f["Status"] == "5.1.1"
    assert "550 5.1.1 no such user" in f["Diagnostic-Code"]
    text = msg.as_bytes()
    assert b"Subject: to be refused" in text
    assert b"the body stays home" not in text
    # The refused recipient is never tried again, and no second bounce.
    srv.reset()
    q = spool.queue("--flush")
    assert q.returncode == 0 and srv.sessions == [], show(q)


def test_lifetime_expiry_fails_and_bounces(spool, server):
    srv = server(Script(replies={"RCPT": {BOB: "451 4.3.0 try later"}}))
    spool.rc(srv.port, extra="queue_lifetime 1\nqueue_backoff_min 1\n"
             "queue_backoff_max 1\n")
    assert spool.msmtp("-odq", BOB, mail=ORIGINAL).returncode == 0
    q = spool.queue("--flush")     # first attempt reaches the server
    assert q.returncode == 75, show(q)
    # queue_lifetime counts from the first attempt that reached the
    # server; move that back instead of waiting.
    con = sqlite3.connect(str(spool.qf), timeout=10)
    with con:
        con.execute("UPDATE mail SET first_attempt = first_attempt - 10")
    con.close()
    srv.reset()
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    assert srv.wait_closed(10)
    (rcpts, msg), = reports(srv)
    assert rcpts == ["alice@example.org"]
    (f,) = dsn_fields(msg)
    assert f["Status"] == "4.4.7" and f["Final-Recipient"] == "rfc822; " + BOB
    states = {m["envelope_from"]: m["state"] for m in spool.mails()}
    assert states == {"alice@example.org": "failed", "": "sent"}


def test_no_bounce_when_msmtp_told_the_sender(spool, server):
    srv = server(Script(replies={"RCPT": "550 5.1.1 no such user"}))
    spool.rc(srv.port)
    p = spool.msmtp(BOB, mail=ORIGINAL)          # -odi: told on stderr
    assert p.returncode == 65, show(p)
    srv.reset()
    q = spool.queue("--flush")
    assert q.returncode == 0 and reports(srv) == [], show(q)


def test_no_bounce_for_a_null_sender(spool, server):
    srv = server(Script(replies={"RCPT": "550 5.1.1 no such user"}))
    spool.rc(srv.port)
    assert spool.msmtp("-odq", "-f", "", BOB,
                       mail=ORIGINAL).returncode == 0
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    assert reports(srv) == [] and len(transactions(srv)) == 0
    assert [m["state"] for m in spool.mails()] == ["failed"]


def test_queue_bounce_off(spool, server):
    srv = server(Script(replies={"RCPT": "550 5.1.1 no such user"}))
    spool.rc(srv.port, extra="queue_bounce off\n")
    assert spool.msmtp("-odq", BOB, mail=ORIGINAL).returncode == 0
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    assert reports(srv) == [] and len(spool.mails()) == 1


def test_bounce_that_bounces_is_not_bounced(spool, server):
    """The sender's own address is refused too: the bounce fails, and
    nothing more is sent about it."""
    srv = server(Script(replies={"RCPT": "550 5.1.1 no such user"}))
    spool.rc(srv.port)
    assert spool.msmtp("-odq", BOB, mail=ORIGINAL).returncode == 0
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    assert len(transactions(srv)) == 0
    rows = spool.mails()
    assert sorted(m["envelope_from"] for m in rows) == ["",
                                                        "alice@example.org"]
    assert all(m["state"] == "failed" for m in rows)
    srv.reset()
    q = spool.queue("--flush")
    assert q.returncode == 0 and srv.sessions == [], show(q)
    assert len(spool.mails()) == 2
