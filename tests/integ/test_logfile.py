"""Differential tests of the log line (logfile / -X), see msmtp.md 1.10.

The time stamp is made constant with a strftime format that has no
conversions, and the mails carry their own From, Date and Message-ID so
that mailsize= does not depend on a generated Message-ID.
"""

import pytest

from conftest import Script, free_port

MAIL = (b"From: Alice <alice@example.org>\nTo: bob@example.net\n"
        b"Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
        b"Message-ID: <fixed.1@example.org>\nSubject: logged\n\n"
        b"Hello, Bob.\n.\nBye.\n")

RC = """\
defaults
auth off
tls off
logfile {log}
logfile_time_format STAMP

account default
host 127.0.0.1
port {port}
from alice@example.org
"""

BOB = "bob@example.net"


def _rc(confdir, port="{port}"):
    log = confdir.root / "msmtp.log"
    return RC.replace("{log}", str(log)).replace("{port}", str(port)), log


CASES = {
    "ok": (Script(), [BOB, "carol@example.net"], 0),
    "rcpt_550": (Script(replies={"RCPT": "550 5.1.1 no such user"}), [BOB],
                 65),
    "rcpt_451": (Script(replies={"RCPT": "451 4.3.0 try 'later'"}), [BOB],
                 69),
    "eom_554": (Script(replies={"EOM": "554 5.7.1 rejected as spam"}),
                [BOB], 69),
    "eom_multiline": (
        Script(replies={"EOM": "452-4.3.1 full\r\n452 4.3.1 try later"}),
        [BOB], 69),
    "greeting_421": (Script(greeting="421 4.3.2 busy"), [BOB], 76),
    "close_at_mail": (Script(close_at="MAIL"), [BOB], 76),
}


@pytest.mark.parametrize("script,args,rc", CASES.values(), ids=CASES.keys())
def test_logfile(diff, confdir, script, args, rc):
    text, log = _rc(confdir)
    r, o = diff(script=script, config=text, args=args, mail=MAIL,
                collect=[log], expect_rc=rc, wire="raw" if rc == 0
                else "lenient")
    assert r.files[str(log)].startswith(b"STAMP host=127.0.0.1 ")


def test_logfile_connection_refused(diff, confdir):
    text, log = _rc(confdir, free_port())
    diff(config=text, args=[BOB], mail=MAIL, with_server=False,
         collect=[log], expect_rc=75)


@pytest.mark.timeout(30)
def test_logfile_timeout(diff, confdir):
    text, log = _rc(confdir)
    diff(script=Script(hang_at="RCPT"), config=text,
         args=["--timeout=1", BOB], mail=MAIL, collect=[log], expect_rc=74,
         wire="lenient", timeout=15)


def test_logfile_appends(diff, confdir):
    """An existing log keeps its lines: ref appends, then ours appends."""
    text, log = _rc(confdir)
    log.write_bytes(b"earlier line\n")
    diff(config=text, args=[BOB], mail=MAIL, expect_rc=0, wire="raw")
    lines = log.read_bytes().split(b"\n")
    assert lines[0] == b"earlier line"
    assert lines[1] == lines[2] and lines[1].startswith(b"STAMP host="), lines


def test_log_to_stdout(diff, confdir):
    diff(config=RC.replace("logfile {log}\n", ""),
         args=["-X", "-", "--logfile-time-format=STAMP", BOB], mail=MAIL,
         expect_rc=0, wire="raw")


def test_logfile_command_line_with_host(diff, confdir):
    log = confdir.root / "cmdline.log"
    diff(args=["--host=127.0.0.1", "--port={port}",
               "--from=alice@example.org", f"--logfile={log}",
               "--logfile-time-format=STAMP", BOB],
         mail=MAIL, collect=[log], expect_rc=0, wire="raw")
