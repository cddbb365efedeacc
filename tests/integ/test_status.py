"""msmtp-queue --status and a readable --show (issue 18).

--status prints one line for a status bar or a script, and its exit
status says whether the queue is empty (0), some mail waits (75) or a
mail needs the user (69: held or failed). --show ID on a terminal prints
the mail as --list does, then its settings and headers; with --json, or
when its output is not a terminal, the JSON record stays.
"""

import json
import os
import pty
import re
import select
import subprocess
import time

from conftest import Script
from test_spool import BOB, show

EX_TEMPFAIL = 75
EX_UNAVAILABLE = 69


def status(spool, *args):
    p = spool.queue("--status", *args)
    return p.returncode, p.stdout.decode(), p


def test_empty(spool, server):
    srv = server(Script())
    spool.rc(srv.port)
    rc, out, p = status(spool)
    assert (rc, out) == (0, "empty\n"), show(p)


def test_waiting_then_sent(spool, server):
    srv = server(Script(replies={"RCPT": "450 4.2.0 Mailbox busy"}))
    spool.rc(srv.port)
    for _ in range(3):
        assert spool.msmtp("-odq", BOB).returncode == 0
    rc, out, p = status(spool)
    assert (rc, out) == (EX_TEMPFAIL, "3 waiting (due now)\n"), show(p)
    spool.queue("--flush")
    rc, out, p = status(spool)
    assert rc == EX_TEMPFAIL, show(p)
    assert re.fullmatch(r"3 waiting \(next try \d\d:\d\d\)\n", out), out
    srv.script.replies.clear()
    spool.queue("--flush")
    rc, out, p = status(spool)
    assert (rc, out) == (0, "empty\n"), show(p)   # sent mail is not counted


def test_held_and_failed_need_attention(spool, server):
    srv = server(Script(replies={"RCPT": "550 5.1.1 No such user"}))
    spool.rc(srv.port, "queue_bounce off\n")
    assert spool.msmtp("-odq", BOB).returncode == 0
    spool.queue("--flush")
    assert spool.msmtp("-odq", BOB).returncode == 0
    assert spool.msmtp("-odq", BOB).returncode == 0
    q = spool.queue("--hold", spool.mails()[1]["id"])
    assert q.returncode == 0, show(q)
    rc, out, p = status(spool)
    assert rc == EX_UNAVAILABLE, show(p)
    assert out == "1 waiting (due now), 1 held, 1 failed\n", out
    q = spool.queue("--delete", spool.mails()[2]["id"])
    assert q.returncode == 0, show(q)
    rc, out, p = status(spool)
    assert (rc, out) == (EX_UNAVAILABLE, "nothing waiting, 1 held, 1 failed\n")


def test_uncertain_held_needs_attention(spool, server):
    srv = server(Script(close_at="EOM"))
    spool.rc(srv.port, "queue_uncertain hold\n")
    assert spool.msmtp(BOB).returncode == 0
    rc, out, p = status(spool)
    assert (rc, out) == (EX_UNAVAILABLE, "nothing waiting, 1 held\n"), show(p)


def test_account_filter(spool, server):
    srv = server(Script())
    spool.rc(srv.port)
    assert spool.msmtp("-odq", "-a", "work", BOB).returncode == 0
    rc, out, p = status(spool, "--account", "default")
    assert (rc, out) == (0, "empty\n"), show(p)
    rc, out, p = status(spool, "--account", "work")
    assert (rc, out) == (EX_TEMPFAIL, "1 waiting (due now)\n"), show(p)


def test_every_spool(spool, server, tmp_path):
    """Without --queue-file, every spool the configuration names."""
    srv = server(Script())
    other = tmp_path / "other" / "q.db"
    spool.rc(srv.port)
    text = (spool.rcfile.read_text() + "\naccount third\n"
            f"from third@example.org\nqueue_file {other}\n")
    spool.rcfile.write_text(text)
    assert spool.msmtp("-odq", "-a", "third", BOB, qf=False).returncode == 0
    assert spool.msmtp("-odq", BOB).returncode == 0    # --queue-file spool
    env = {"MSMTP_QUEUE_FILE": str(spool.qf)}
    p = subprocess.run(["msmtp-queue", "-C", str(spool.rcfile), "--status"],
                       executable=spool.queue_path, capture_output=True,
                       env=spool.env(**env), timeout=30)
    assert p.returncode == EX_TEMPFAIL, show(p)
    assert p.stdout.decode() == "2 waiting (due now)\n"


def on_tty(spool, *args):
    """Run msmtp-queue with its stdout on a terminal; (exit, output)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(["msmtp-queue", *[str(a) for a in
                                              spool.argv(*args)]],
                            executable=spool.queue_path, stdout=slave,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            env=spool.env())
    os.close(slave)
    out = b""
    end = time.monotonic() + 30
    while time.monotonic() < end:
        ready, _, _ = select.select([master], [], [], end - time.monotonic())
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break                   # EIO: the child closed the terminal
        if not chunk:
            break
        out += chunk
    os.close(master)
    rc = proc.wait(timeout=10)
    proc.stderr.close()
    return rc, out.decode().replace("\r\n", "\n")


def test_show_on_a_terminal_is_readable(spool, server):
    srv = server(Script(replies={"RCPT": "450 4.2.0 Mailbox busy"}))
    spool.rc(srv.port)
    assert spool.msmtp("-odq", BOB).returncode == 0
    spool.queue("--flush")
    (row,) = spool.mails()
    rc, out = on_tty(spool, "--show", row["id"])
    assert rc == 0, out
    first = out.splitlines()[0]
    assert first.startswith(row["id"] + "  deferred"), out
    assert "<alice@example.org>" in first, out
    assert f"    deferred {BOB}" in out, out
    assert "Mailbox busy" in out, out
    assert "# sent with account default" in out, out
    assert "Subject: spooled" in out, out
    assert not out.lstrip().startswith("["), out

    rc, out = on_tty(spool, "--show", "--json", row["id"])
    assert rc == 0, out
    record = json.loads(out.split("\n\n", 1)[0])
    assert record[0]["id"] == row["id"]

    p = spool.queue("--show", row["id"])       # not a terminal: JSON
    assert p.returncode == 0, show(p)
    record = json.loads(p.stdout.decode().split("\n\n", 1)[0])
    assert record[0]["id"] == row["id"]


def test_show_unknown_on_a_terminal(spool, server):
    srv = server(Script())
    spool.rc(srv.port)
    assert spool.msmtp("-odq", BOB).returncode == 0
    rc, out = on_tty(spool, "--show", "NOSUCHID")
    assert rc == 66, out           # EX_NOINPUT
