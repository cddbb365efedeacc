"""A damaged spool (issue 17): mails the runner cannot send as stored.

A mail whose rows were damaged -- its recipients gone, a chunk missing or
out of order, an address that is no longer one -- is held with a reason
that says so: never sent, never marked sent, and never the cause of a
crash or a hang. The rows are damaged with Python's sqlite3 module, as a
disk error or a careless hand could; the corruption test at the end
damages the file's bytes too, at random, and runs every command after
each damage against a recording server.
"""

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import Script, free_port
from test_spool import (BOB, CAROL, Spool, message_id, read_spool, show,
                        transactions)

EX_OK, EX_DATAERR, EX_SOFTWARE, EX_IOERR, EX_TEMPFAIL = 0, 65, 70, 74, 75


@pytest.fixture
def spool(confdir, tmp_path):
    return Spool(confdir, tmp_path)


def spool_one(spool, port, *rcpts, body=b"Subject: damaged\n\nx\n"):
    """Spool a mail for rcpts (-odq); its id."""
    spool.rc(port)
    p = spool.msmtp("-odq", *(rcpts or (BOB,)), mail=body)
    assert p.returncode == 0, show(p)
    return [m["id"] for m in spool.mails(with_data=False)][-1]


def damage(spool, *sql):
    con = sqlite3.connect(str(spool.qf), timeout=10)
    try:
        with con:
            for s in sql:
                con.execute(s)
    finally:
        con.close()


def mail(spool, mail_id):
    return [m for m in spool.mails(with_data=False) if m["id"] == mail_id][0]


def assert_held_damaged(spool, mail_id, *words):
    m = mail(spool, mail_id)
    assert m["state"] == "held", m
    assert "damaged" in (m["reason"] or ""), m
    for w in words:
        assert w in m["reason"], m


def assert_no_signal(p):
    assert p.returncode >= 0, f"killed by signal {-p.returncode}\n" + show(p)


# --------------------------------------------------------------------------
# A mail left without a recipient to send to.

@pytest.mark.parametrize("ext", [[], ["PIPELINING"]],
                         ids=["plain", "pipelining"])
def test_no_recipients_held_not_sent(spool, server, ext):
    srv = server(Script(extensions=ext))
    mid = spool_one(spool, srv.port)
    damage(spool, f"DELETE FROM rcpt WHERE mail_id = '{mid}'")
    q = spool.queue("--flush", timeout=20)
    assert_no_signal(q)
    assert q.returncode == EX_OK, show(q)
    assert b"damaged" in q.stderr, show(q)
    assert_held_damaged(spool, mid, "recipient")
    assert transactions(srv) == []
    # It stays held: a second flush does not touch it.
    q = spool.queue("--flush", timeout=20)
    assert q.returncode == EX_OK, show(q)
    assert_held_damaged(spool, mid)


def test_no_recipients_server_unreachable(spool):
    mid = spool_one(spool, free_port())
    damage(spool, f"DELETE FROM rcpt WHERE mail_id = '{mid}'")
    q = spool.queue("--flush", timeout=20)
    assert_no_signal(q)
    assert_held_damaged(spool, mid)
    assert mail(spool, mid)["state"] != "sent"


def test_recipients_all_done_but_mail_waiting(spool, server):
    """Every recipient sent or failed while the mail still waits: the
    rows disagree, and nothing is resent."""
    srv = server(Script(extensions=["PIPELINING"]))
    mid = spool_one(spool, srv.port, BOB, CAROL)
    damage(spool, f"UPDATE rcpt SET state = 'sent' WHERE mail_id = '{mid}'")
    q = spool.queue("--flush", timeout=20)
    assert_no_signal(q)
    assert_held_damaged(spool, mid)
    assert transactions(srv) == []


@pytest.mark.parametrize("address", ["", "bob@example.net\r\nRSET",
                                     "bob@exa\x00mple.net"],
                         ids=["empty", "crlf", "nul"])
def test_recipient_address_damaged(spool, server, address):
    srv = server(Script(extensions=["PIPELINING"]))
    mid = spool_one(spool, srv.port)
    con = sqlite3.connect(str(spool.qf), timeout=10)
    with con:
        con.execute("UPDATE rcpt SET address = ? WHERE mail_id = ?",
                    (address, mid))
    con.close()
    q = spool.queue("--flush", timeout=20)
    assert_no_signal(q)
    assert_held_damaged(spool, mid, "recipient")
    assert transactions(srv) == []


def test_sender_damaged(spool, server):
    srv = server(Script())
    mid = spool_one(spool, srv.port)
    damage(spool, "UPDATE mail SET envelope_from = "
           f"'alice@example.org' || char(13, 10) || 'DATA' "
           f"WHERE id = '{mid}'")
    q = spool.queue("--flush", timeout=20)
    assert_no_signal(q)
    assert_held_damaged(spool, mid, "sender")
    assert transactions(srv) == []


BIG = b"Subject: big\n\n" + b"0123456789abcdef\n" * 40000   # 5 chunks


@pytest.mark.parametrize("sql", [
    "DELETE FROM chunk WHERE mail_id = '{id}' AND seq = 2",
    "DELETE FROM chunk WHERE mail_id = '{id}' AND seq = 0",
    "UPDATE chunk SET seq = 7 WHERE mail_id = '{id}' AND seq = 4",
    "UPDATE chunk SET seq = 9 WHERE mail_id = '{id}' AND seq = 0",
    "UPDATE chunk SET data = substr(data, 1, 100) WHERE mail_id = '{id}' "
    "AND seq = 1",
    "UPDATE mail SET size = size - 1000 WHERE id = '{id}'",
    "UPDATE mail SET size = size + 1000 WHERE id = '{id}'",
    "DELETE FROM chunk WHERE mail_id = '{id}'",
], ids=["missing-middle", "missing-first", "wrong-seq-last",
        "wrong-seq-first", "short-chunk", "size-smaller", "size-larger",
        "no-chunks"])
def test_bytes_damaged_held_not_sent(spool, server, sql):
    srv = server(Script(extensions=["PIPELINING"]))
    mid = spool_one(spool, srv.port, body=BIG)
    assert len(mail(spool, mid)["chunk_seqs"]) >= 5
    damage(spool, sql.format(id=mid))
    q = spool.queue("--flush", timeout=20)
    assert_no_signal(q)
    assert_held_damaged(spool, mid)
    assert transactions(srv) == []


def test_damaged_mail_does_not_stop_the_others(spool, server):
    srv = server(Script(extensions=["PIPELINING"]))
    spool.rc(srv.port)
    for i in range(5):
        p = spool.msmtp("-odq", BOB, mail=b"Subject: %d\n\nx\n" % i)
        assert p.returncode == 0, show(p)
    ids = [m["id"] for m in spool.mails(with_data=False)]
    damage(spool, f"DELETE FROM rcpt WHERE mail_id = '{ids[1]}'",
           f"DELETE FROM chunk WHERE mail_id = '{ids[3]}'")
    q = spool.queue("--flush", timeout=20)
    assert_no_signal(q)
    states = {m["id"]: m["state"] for m in spool.mails(with_data=False)}
    assert [states[i] for i in ids] == ["sent", "held", "sent", "held",
                                        "sent"], show(q)
    assert len(transactions(srv)) == 3


@pytest.mark.parametrize("state", ["bogus", "", 7])
def test_unknown_state_is_listed_and_left_alone(spool, server, state):
    srv = server(Script())
    mid = spool_one(spool, srv.port)
    con = sqlite3.connect(str(spool.qf), timeout=10)
    con.execute("PRAGMA ignore_check_constraints = ON")
    with con:
        con.execute("UPDATE mail SET state = ? WHERE id = ?", (state, mid))
    con.close()
    for args in (["--list"], ["--list", "--json"], ["--show", mid],
                 ["--flush"], ["--run"]):
        q = spool.queue(*args, timeout=20)
        assert_no_signal(q)
        assert q.returncode in (EX_OK, EX_DATAERR, EX_IOERR), show(q)
    assert transactions(srv) == []
