"""A held mail keeps its hint: the advice msmtp prints after its own
lines (delivery/advice.h) when a delivery fails in a way the user must
fix is stored with the mail it held, whoever held it (msmtp's own attempt
in the default mode, or the runner), and shown again where one looks at
what is stuck: msmtp-queue --list (one line), --show (all of it), --list
--json ("hint"), the held-mail notification (MSMTP_HINT) and the log
line (hint='...'). msmtp's stderr keeps msmtp's lines first, unchanged.
"""

import json
import os
import pty
import re
import select
import subprocess
import time

import pytest

from conftest import Script
from pki import pki, server_context  # noqa: F401  (fixture)
from test_notify import notified  # noqa: F401  (fixture)
from test_private import spool_bytes
from test_spool import BOB, show

PASSWORD = "hint-s3cret-never-spooled"
HINT = b"msmtp: hint: "


def expired_rc(spool, notified, port, pki, tmp_path):
    """An account whose server shows an expired certificate; it would log
    in with a password, which must reach neither the spool nor a hint."""
    spool.rc(port, f"tls on\ntls_starttls on\n"
             f"tls_trust_file {pki.path('ca.pem')}\n"
             f"auth plain\nuser alice\npassword {PASSWORD}\n"
             f"logfile {tmp_path / 'msmtp.log'}\n"
             f"queue_notify {notified.command()}\n")


def on_tty(spool, *args, deadline=20):
    """msmtp-queue's stdout when it is a terminal (--show is then for
    people, not JSON), line ends as written."""
    mfd, sfd = pty.openpty()
    p = spool.popen(spool.queue_path, "msmtp-queue", spool.argv(*args),
                    stdin=subprocess.DEVNULL, stdout=sfd,
                    stderr=subprocess.DEVNULL)
    os.close(sfd)
    out, end = b"", time.monotonic() + deadline
    try:
        while time.monotonic() < end:
            if not select.select([mfd], [], [], 0.5)[0]:
                continue
            try:
                chunk = os.read(mfd, 65536)
            except OSError:     # EIO: the last writer closed it
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(mfd)
        try:
            rc = p.wait(timeout=max(1, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            pytest.fail(f"msmtp-queue {args} did not exit in time")
    assert rc == 0, out
    return out.replace(b"\r\n", b"\n").decode()


def hint_lines(stderr):
    return [line[len(HINT):].decode() for line in stderr.splitlines()
            if line.startswith(HINT)]


def the_held(spool):
    (row,) = spool.mails()
    assert row["state"] == "held", row
    return row["id"]


def check_everywhere(spool, notified, tmp_path, mail_id, expected=None):
    """The hint of the held mail mail_id in every place it must show;
    returns its lines. expected: the lines msmtp printed, when known."""
    (obj,) = json.loads(spool.queue("--list", "--json").stdout)
    assert obj["id"] == mail_id and obj["state"] == "held", obj
    lines = obj["hint"].split("\n")
    if expected is not None:
        assert lines == expected, (lines, expected)
    assert lines[0] == "the server's certificate:"
    fpr = lines[5][len("  SHA-256 fingerprint: "):]
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", fpr), lines
    assert lines[-1] == "  tls_fingerprint " + fpr
    assert lines[6].startswith("it expired on "), lines

    # --list: msmtp's reason as before, then the hint in one line
    listing = spool.listing()
    brief = [s for s in listing.splitlines() if s.startswith("    hint: ")]
    assert brief == ["    hint: the server's certificate: " + lines[6]], \
        listing
    assert "TLS certificate verification failed" in listing, listing

    # --show: every line
    text = on_tty(spool, "--show", mail_id)
    shown = [s[len("    hint: "):] for s in text.splitlines()
             if s.startswith("    hint: ")]
    assert shown == lines, text
    # and not a terminal: the JSON, with the hint
    p = spool.queue("--show", mail_id)
    assert p.returncode == 0, show(p)
    assert json.loads(p.stdout.split(b"\n\n")[0])[0]["hint"] == \
        "\n".join(lines), show(p)

    # the notification: all of it, line breaks kept
    (env,) = notified.wait("held")
    assert env["MSMTP_QUEUE_ID"] == mail_id
    assert env["MSMTP_HINT"].split("\n") == lines, env
    assert "TLS certificate verification failed" in env["MSMTP_REASON"]

    # the log line: one line, in msmtp's quoted form
    log = (tmp_path / "msmtp.log").read_text()
    (line,) = [s for s in log.splitlines() if f"queueid={mail_id}" in s]
    assert " outcome=held hint='the server?s certificate: it expired " \
        "on " in line, line

    # never a secret: not in the spool's bytes, nor the notification
    assert PASSWORD.encode() not in spool_bytes(spool.qf)
    assert PASSWORD not in notified.raw()
    assert PASSWORD not in log
    return lines


def test_msmtp_default_mode_keeps_the_hint(spool, notified, server, pki,
                                           tmp_path):
    srv = server(Script(starttls=server_context(pki, "expired")))
    expired_rc(spool, notified, srv.port, pki, tmp_path)
    p = spool.msmtp(BOB)
    assert p.returncode != 0, show(p)
    # msmtp's lines first and as they were, the hints after them
    err = p.stderr.splitlines()
    assert err[0].startswith(b"msmtp: TLS certificate verification failed")
    first_hint = next(i for i, s in enumerate(err) if s.startswith(HINT))
    assert not any(s.startswith(HINT) for s in err[:first_hint])
    check_everywhere(spool, notified, tmp_path, the_held(spool),
                     expected=hint_lines(p.stderr))


def test_runner_keeps_the_hint(spool, notified, server, pki, tmp_path):
    srv = server(Script(starttls=server_context(pki, "expired")))
    expired_rc(spool, notified, srv.port, pki, tmp_path)
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == 0, show(p)
    q = spool.queue("--flush")
    mail_id = the_held(spool)
    lines = check_everywhere(spool, notified, tmp_path, mail_id)
    # The pass's own line for the mail, then the hint's one line, as
    # --list has it.
    out = q.stdout.decode().splitlines()
    held = next(i for i, s in enumerate(out)
                if s.startswith(f"{mail_id} held: "))
    brief = [s for s in spool.listing().splitlines()
             if s.startswith("    hint: ")]
    assert len(brief) == 1 and out[held + 1] == brief[0], (out, brief)
    assert lines and PASSWORD not in q.stdout.decode()


def test_release_forgets_the_hint(spool, notified, server, pki, tmp_path):
    srv = server(Script(starttls=server_context(pki, "expired")))
    expired_rc(spool, notified, srv.port, pki, tmp_path)
    spool.msmtp(BOB)
    mail_id = the_held(spool)
    assert "    hint: " in spool.listing()
    p = spool.queue("--release", mail_id)
    assert p.returncode == 0, show(p)
    (obj,) = json.loads(spool.queue("--list", "--json").stdout)
    assert obj["hint"] is None, obj
    assert "    hint: " not in spool.listing()


def test_failed_mail_keeps_its_hint_too(spool, notified, server, tmp_path):
    """530 to MAIL FROM with "auth off" fails the mail (msmtp's exit code
    says so) and keeps the advice: two lines, no details, so --list has
    both in its one line."""
    srv = server(Script(replies={"MAIL": "530 5.7.0 Authentication "
                                 "required"}))
    spool.rc(srv.port, f"queue_notify {notified.command()}\n")
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == 0, show(p)
    spool.queue("--flush")
    (row,) = [m for m in spool.mails() if m["envelope_from"]]
    assert row["state"] == "failed", row
    listing = spool.listing()
    # the mail, and its bounce (refused by the same server for the same
    # reason)
    brief = [s for s in listing.splitlines() if s.startswith("    hint:")]
    assert brief == 2 * ['    hint: the server accepts mail only after a '
                         'login, and the account has "auth off": set "auth '
                         'on", "user NAME" and "password SECRET" (or '
                         '"passwordeval COMMAND")'], listing
    (env,) = notified.wait("failed")
    assert env["MSMTP_HINT"] == brief[0][len("    hint: "):].replace(
        '"auth off": set', '"auth off":\nset'), env
    p = spool.queue("--retry", row["id"])
    assert p.returncode == 0, show(p)
    (obj,) = [o for o in json.loads(spool.queue("--list", "--json").stdout)
              if o["id"] == row["id"]]
    assert obj["state"] == "queued" and obj["hint"] is None, obj


def test_hint_after_a_login_holds_no_secret(spool, notified, server, pki,
                                            tmp_path):
    """The server refused the password this attempt sent and wants an
    application-specific one: the mail is held with that advice, and the
    password it refused is nowhere: not in the spool's bytes (database,
    WAL), the hint, the notification or the log."""
    srv = server(Script(starttls=server_context(pki),
                        auth={"alice": "other"}, auth_mechs=["PLAIN"],
                        replies={"AUTH": "534 5.7.9 Application-specific "
                                 "password required"}))
    spool.rc(srv.port, f"tls on\ntls_starttls on\n"
             f"tls_trust_file {pki.path('ca.pem')}\n"
             f"auth plain\nuser alice\npassword {PASSWORD}\n"
             f"logfile {tmp_path / 'msmtp.log'}\n"
             f"queue_notify {notified.command()}\n")
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == 0, show(p)
    spool.queue("--flush")
    mail_id = the_held(spool)
    (obj,) = json.loads(spool.queue("--list", "--json").stdout)
    assert "application-specific password" in obj["hint"], obj
    assert "    hint: the server wants an application-specific " \
        "password" in spool.listing()
    (env,) = notified.wait("held")
    assert env["MSMTP_HINT"] == obj["hint"]
    log = (tmp_path / "msmtp.log").read_text()
    assert f"queueid={mail_id}" in log and " hint='" in log, log
    assert PASSWORD.encode() not in spool_bytes(spool.qf)
    assert PASSWORD not in notified.raw()
    assert PASSWORD not in log
    assert PASSWORD not in spool.listing()


def test_spool_before_0011_gains_the_hint_column(spool, server):
    """A spool made before the hint (0011) is migrated on first use: its
    mails have none, and the listing works as before."""
    import sqlite3
    from test_spool import SQL_DIR, connect
    spool.rc(server(Script()).port)
    assert spool.msmtp("-odq", BOB).returncode == 0
    con = sqlite3.connect(str(spool.qf))
    con.executescript("ALTER TABLE mail DROP COLUMN hint;"
                      "PRAGMA user_version = 10;")
    con.close()
    q = spool.queue("--list", "--json")
    assert q.returncode == 0, show(q)
    (obj,) = json.loads(q.stdout)
    assert obj["hint"] is None and obj["state"] == "queued", obj
    con = connect(spool.qf)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == \
            len(list(SQL_DIR.glob("*.sql")))
    finally:
        con.close()
