"""Differential tests of the syslog entries (msmtp.md 1.10): the same
mail through Debian's msmtp and ours, each run in its own mount
namespace whose /dev/log is a datagram socket this test listens on, so
the machine's syslog is never touched. The entries must be equal but for
their time stamp.

Needs root and unshare(1); skipped otherwise.
"""

import os
import re
import shutil
import socket
import subprocess

import pytest

from conftest import Script, send
from test_spool import BOB as SPOOL_BOB, connect, poll, show

MAIL = (b"From: Alice <alice@example.org>\nTo: bob@example.net\n"
        b"Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
        b"Message-ID: <fixed.1@example.org>\nSubject: logged\n\n"
        b"Hello, Bob.\n")

RC = """\
defaults
auth off
tls off
{syslog}

account default
host 127.0.0.1
port {port}
from alice@example.org
"""

BOB = "bob@example.net"

# Runs its arguments with a private /dev holding only what msmtp needs
# and the test's socket as /dev/log.
NAMESPACE = r"""set -e
mount --make-rprivate / 2>/dev/null || true
mkdir -p "$0/dev"
mount --bind /dev "$0/dev"
mount -t tmpfs -o mode=755 tmpfs /dev
for n in null zero random urandom; do
    touch /dev/$n
    mount --bind "$0/dev/$n" /dev/$n
done
touch /dev/log
mount --bind "$0/log" /dev/log
exec "$@"
"""

_STAMP = re.compile(rb"^(<\d+>)[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d ")


@pytest.fixture
def devlog(tmp_path):
    """(prefix for run(), function returning the entries received)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare(1)")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True,
                           timeout=10)
    if probe.returncode != 0:
        pytest.skip("cannot make a mount namespace here")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "log"))
    sock.setblocking(False)

    def entries():
        out = []
        while True:
            try:
                out.append(_STAMP.sub(rb"\1", sock.recv(65536)))
            except BlockingIOError:
                return out
    yield ["unshare", "-m", "sh", "-c", NAMESPACE, str(tmp_path)], entries
    sock.close()


CASES = {
    "ok": ("syslog on", Script(), [BOB, "carol@example.net"], 0),
    "facility": ("syslog LOG_LOCAL3", Script(), [BOB], 0),
    "rcpt_550": ("syslog LOG_MAIL",
                 Script(replies={"RCPT": "550 5.1.1 no such user"}), [BOB],
                 65),
    "greeting_421": ("syslog on", Script(greeting="421 4.3.2 busy"), [BOB],
                     76),
}


@pytest.mark.parametrize("setting,script,rcpts,rc", CASES.values(),
                         ids=CASES.keys())
def test_syslog_entry(ref, ours, confdir, devlog, setting, script, rcpts,
                      rc):
    prefix, entries = devlog
    config = RC.replace("{syslog}", setting)
    got = {}
    for b in (ref, ours):
        o = send(b, confdir, script=script, config=config, args=rcpts,
                 mail=MAIL, prefix=prefix)
        assert o.rc == rc, (b.name, o.stderr)
        got[b.name] = [e.replace(str(o.port).encode(), b"PORT")
                       for e in entries()]
    assert len(got["ref"]) == 1, got
    assert got["ours"] == got["ref"]


def test_syslog_from_the_command_line(ref, ours, confdir, devlog):
    prefix, entries = devlog
    config = RC.replace("{syslog}", "")
    got = {}
    for b in (ref, ours):
        o = send(b, confdir, config=config, args=["--syslog=LOG_LOCAL5", BOB],
                 mail=MAIL, prefix=prefix)
        assert o.rc == 0, (b.name, o.stderr)
        got[b.name] = entries()
    assert len(got["ref"]) == 1 and got["ours"] == got["ref"], got


# Refuses every lease: the mail goes in, no process can claim it.
REFUSE_LEASE = """CREATE TRIGGER planted BEFORE UPDATE OF state ON mail
WHEN NEW.state = 'inflight' BEGIN SELECT RAISE(ABORT, 'planted failure');
END"""


def test_odb_child_says_a_failed_claim_in_syslog(spool, server, devlog):
    """The -odb child has stdio on /dev/null: a mail it cannot claim
    (here a trigger refuses the lease) is said in syslog, LOG_MAIL and
    LOG_ERR, and stays queued for a runner."""
    prefix, entries = devlog
    srv = server(Script())
    spool.rc(srv.port)
    p = spool.msmtp("-odq", SPOOL_BOB)     # the spool, made by msmtp
    assert p.returncode == 0, show(p)
    with connect(spool.qf, rw=True) as db:
        db.execute(REFUSE_LEASE)
    db.close()
    p = spool.msmtp("-odb", SPOOL_BOB, prefix=prefix)
    assert p.returncode == 0 and p.stderr == b"", show(p)
    got = []

    def said():
        got.extend(entries())
        return got
    poll(said, what="the background child's syslog entry")
    assert len(got) == 1, got
    assert re.fullmatch(rb"<19>msmtp: cannot deliver the mail queued as "
                        rb"[0-9A-Z]{12} in the background: .*planted "
                        rb"failure.*; it stays in the queue for msmtp-queue",
                        got[0]), got
    rows = spool.mails(with_data=False)
    assert [r["state"] for r in rows] == ["queued", "queued"], rows
    assert srv.sessions == []
