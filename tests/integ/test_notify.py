"""queue_notify (issue 18): the queue tells the user when a mail needs
them, through a command of their choosing.

The notify command here is a small Python script that writes the
environment it was given to a file named after the event; the tests poll
for that file within a deadline (the command runs detached, after
msmtp or the runner has moved on). Each event is raised by the program
that makes the mail enter its state: msmtp's own attempt or the runner's.
"""

import json
import os
import sqlite3
import sys
import time

import pytest

from conftest import Script
from test_spool import BOB, show, transactions

DUMP = r"""
import json, os, sys
out = sys.argv[1]
env = dict(os.environ)
name = "%s-%d.json" % (env.get("MSMTP_QUEUE_EVENT", "none"), os.getpid())
with open(os.path.join(out, name + ".tmp"), "w") as f:
    json.dump(env, f)
os.rename(os.path.join(out, name + ".tmp"), os.path.join(out, name))
"""

PASSWORD = "s3cretPW-never-shown"


class Notified:
    """The events a notify command wrote into a directory."""

    def __init__(self, tmp_path):
        self.dir = tmp_path / "events"
        self.dir.mkdir()
        self.script = tmp_path / "dump.py"
        self.script.write_text(DUMP)

    def command(self, after=""):
        return f"{sys.executable} {self.script} {self.dir}{after}"

    def files(self):
        return sorted(p for p in self.dir.iterdir() if p.suffix == ".json")

    def wait(self, event, count=1, deadline=10):
        """The environments of ``count`` events named ``event``."""
        end = time.monotonic() + deadline
        while True:
            got = [p for p in self.files() if p.name.startswith(event + "-")]
            if len(got) >= count or time.monotonic() > end:
                break
            time.sleep(0.02)
        assert len(got) >= count, (event, [p.name for p in self.files()])
        return [json.loads(p.read_text()) for p in got]

    def raw(self):
        return "".join(p.read_text() for p in self.files())


@pytest.fixture
def notified(tmp_path):
    return Notified(tmp_path)


def _rc(spool, notified, port, extra="", after=""):
    spool.rc(port, f"queue_notify {notified.command(after)}\n" + extra)


def test_held_by_msmtps_own_attempt(spool, notified, server):
    srv = server(Script(greeting="554 5.7.1 No SMTP service for you"))
    _rc(spool, notified, srv.port)
    p = spool.msmtp(BOB)
    # Held for the user: msmtp's code for the refusal (EX_PROTOCOL).
    assert p.returncode == 76, show(p)
    (env,) = notified.wait("held")
    (row,) = spool.mails()
    assert env["MSMTP_QUEUE_EVENT"] == "held"
    assert env["MSMTP_QUEUE_ID"] == row["id"]
    assert env["MSMTP_ACCOUNT"] == "default"
    assert env["MSMTP_FROM"] == "alice@example.org"
    assert env["MSMTP_RECIPIENTS"] == BOB
    assert "554" in env["MSMTP_REASON"] or "No SMTP" in env["MSMTP_REASON"]


def test_held_by_the_runner_with_no_password_shown(spool, notified, server):
    srv = server(Script(auth={"alice": "right"}, auth_mechs=["PLAIN"],
                        extensions=[]))
    _rc(spool, notified, srv.port,
        f"auth plain\nuser alice\npassword {PASSWORD}\n")
    for _ in range(3):
        p = spool.msmtp("-odq", BOB)
        assert p.returncode == 0, show(p)
    q = spool.queue("--flush")
    assert all(r["state"] == "held" for r in spool.mails()), show(q)
    (env,) = notified.wait("held")
    assert env["MSMTP_QUEUE_ID"] in {r["id"] for r in spool.mails()}
    assert PASSWORD not in notified.raw()
    # once per account and event in a pass: one held event, not three
    assert len(notified.files()) == 1, [p.name for p in notified.files()]


def test_failed(spool, notified, server):
    srv = server(Script(replies={"RCPT": "550 5.1.1 No such user"}))
    _rc(spool, notified, srv.port)
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == 0, show(p)
    spool.queue("--flush")
    (env,) = notified.wait("failed")
    assert env["MSMTP_RECIPIENTS"] == BOB
    assert "No such user" in env["MSMTP_REASON"]


def test_uncertain_and_held_uncertain(spool, notified, server):
    srv = server(Script(close_at="EOM"))
    _rc(spool, notified, srv.port)
    p = spool.msmtp(BOB)
    assert p.returncode == 0, show(p)
    (env,) = notified.wait("uncertain")
    assert env["MSMTP_RECIPIENTS"] == BOB

    _rc(spool, notified, srv.port, "queue_uncertain hold\n")
    p = spool.msmtp(BOB)
    assert p.returncode == 0, show(p)
    (env,) = notified.wait("held")
    assert "duplicate" in env["MSMTP_REASON"]


def test_expired(spool, notified, server):
    srv = server(Script(replies={"RCPT": "450 4.2.0 Mailbox busy"}))
    _rc(spool, notified, srv.port, "queue_lifetime 3600\n")
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == 0, show(p)
    spool.queue("--flush")
    (row,) = spool.mails()
    assert row["state"] == "deferred", row
    con = sqlite3.connect(str(spool.qf), timeout=10)
    with con:
        con.execute("UPDATE mail SET first_attempt = first_attempt - 7200")
    con.close()
    spool.queue("--flush")
    row = spool.mails()[0]          # then its bounce
    assert row["state"] == "failed", row
    (env,) = notified.wait("expired")
    assert env["MSMTP_RECIPIENTS"] == BOB
    assert not [p for p in notified.files() if "failed-" in p.name]


def test_drained_once_per_pass(spool, notified, server):
    srv = server(Script())
    _rc(spool, notified, srv.port)
    for _ in range(2):
        p = spool.msmtp("-odq", BOB)
        assert p.returncode == 0, show(p)
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    assert len(transactions(srv)) == 2
    (env,) = notified.wait("drained")
    assert env["MSMTP_ACCOUNT"] == "default"
    assert env["MSMTP_REASON"] == "2 mails sent; nothing waits"
    assert env["MSMTP_QUEUE_ID"] == ""
    # a pass that sends nothing says nothing
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    assert len(notified.files()) == 1


def test_values_are_never_run_by_the_shell(spool, notified, server,
                                           tmp_path):
    marker = tmp_path / "ran"
    # msmtp's address parser drops "(...)" as a comment and splits at
    # ";": the shell's other ways to run a command stay in the address
    rcpt = f"`touch${{IFS}}{marker}`|touch${{IFS}}{marker}&$HOME@example.net"
    # and the server's words: $(...) and ";" as they are
    reply = f"550 5.1.1 $(touch {marker}); touch {marker}"
    srv = server(Script(replies={"RCPT": reply}))
    echo = tmp_path / "echo.txt"
    # the way a user writes it: the variable in double quotes
    _rc(spool, notified, srv.port,
        after=f'; printf "%s" "$MSMTP_RECIPIENTS" > {echo}')
    p = spool.msmtp("-odq", rcpt)
    assert p.returncode == 0, show(p)
    spool.queue("--flush")
    (env,) = notified.wait("failed")
    assert env["MSMTP_RECIPIENTS"] == rcpt
    assert reply[4:] in env["MSMTP_REASON"], env["MSMTP_REASON"]
    # the shell creates the file before printf writes it: wait for the
    # whole line, not for the file
    end = time.monotonic() + 10
    while time.monotonic() < end and (
            not echo.exists() or echo.read_text() != rcpt):
        time.sleep(0.02)
    assert echo.read_text() == rcpt
    assert not marker.exists()


def test_control_characters_are_escaped(spool, notified, server):
    srv = server(Script(replies={
        "RCPT": "550 5.1.1 No such\x1b[31m user"}))
    _rc(spool, notified, srv.port)
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == 0, show(p)
    spool.queue("--flush")
    (env,) = notified.wait("failed")
    assert "\x1b" not in env["MSMTP_REASON"], env["MSMTP_REASON"]
    assert "\\x1b" in env["MSMTP_REASON"], env["MSMTP_REASON"]


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:     # a zombie is dead
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.timeout(90)
def test_a_hanging_command_is_killed_and_delivery_goes_on(spool, notified,
                                                           server, tmp_path):
    pidfile = tmp_path / "pid"
    srv = server(Script(replies={"RCPT": "550 5.1.1 No such user"}))
    spool.rc(srv.port, f"queue_notify echo $$ > {pidfile}.tmp && "
             f"mv {pidfile}.tmp {pidfile} && exec sleep 1000\n")
    start = time.monotonic()
    p = spool.msmtp(BOB)             # failed: the notify command hangs
    assert p.returncode != 0, show(p)
    assert time.monotonic() - start < 10, "msmtp waited for the command"
    end = time.monotonic() + 10
    while not pidfile.exists() and time.monotonic() < end:
        time.sleep(0.02)
    pid = int(pidfile.read_text())
    assert _alive(pid)

    srv.script.replies.clear()       # the next mail goes through at once
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == 0, show(p)
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    assert [r["state"] for r in spool.mails()] == ["failed", "sent"]
    assert time.monotonic() - start < 20

    end = time.monotonic() + 45      # NOTIFY_TIMEOUT is 30 s
    while _alive(pid) and time.monotonic() < end:
        time.sleep(0.1)
    assert not _alive(pid), "the notify command outlived its timeout"


def test_held_when_taken_back_from_a_dead_deliverer(spool, notified, server):
    srv = server(Script())
    _rc(spool, notified, srv.port, "queue_uncertain hold\n")
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == 0, show(p)
    con = sqlite3.connect(str(spool.qf), timeout=10)
    with con:      # leased by a process of another boot: dead
        con.execute("UPDATE mail SET state = 'inflight', "
                    "lease_owner = 'another-boot:1:1', lease_from = 0")
    con.close()
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    (env,) = notified.wait("held")
    (row,) = spool.mails()
    assert env["MSMTP_QUEUE_ID"] == row["id"]
    assert "duplicate" in env["MSMTP_REASON"]
    assert len(transactions(srv)) == 0
