"""Coming from msmtpq (issue 18): --import-msmtpq and msmtpq's options.

The queues imported here are made by Debian's own msmtpq script
(/usr/libexec/msmtp/msmtpq/msmtpq, msmtp 1.8.23) running Debian's msmtp
against a port where nothing listens, so that it queues .mail/.msmtp
pairs exactly as on a user's machine. The same queue is then replayed
two ways, each to its own RecordingServer on 127.0.0.1: by msmtpq's own
`msmtp-queue -r` (Debian's msmtp) and by our import then flush; the
transactions (envelope and every byte of the mail) must be equal.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import Script, free_port
from test_spool import Spool, run_prog, show, transactions

MSMTPQ = Path("/usr/libexec/msmtp/msmtpq/msmtpq")
EX_OK, EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_TEMPFAIL = 0, 64, 65, 66, 75

RC = """\
defaults
auth off
tls off
host 127.0.0.1
port {port}

account default
from alice@example.org

account work
from worker@work.example
"""


def mail(n, extra=b""):
    # Date and Message-ID given, so that neither msmtp adds its own and
    # the bytes can be compared whole.
    return (b"From: Alice <alice@example.org>\nTo: bob@example.net\n"
            b"Cc: carol@example.net\n" + extra +
            b"Subject: queued %d\nDate: Sun, 6 Dec 2026 22:00:0%d +0000\n"
            b"Message-ID: <q%d@example.org>\n\nHello %d.\n.a dot line\n"
            % (n, n, n, n))


# Each msmtpq call: its arguments and its mail, as a mail client gives
# them (recipients on the command line, -t, an account, an envelope).
CALLS = [
    (["-oi", "bob@example.net"], mail(1)),
    (["-a", "work", "bob@example.net", "carol@example.net"], mail(2)),
    (["-t", "-i"], mail(3, b"Bcc: dave@example.net\n")),
    (["-f", "worker@work.example", "--", "bob@example.net"], mail(4)),
]


@pytest.fixture
def spool(confdir, tmp_path):
    if not MSMTPQ.exists():
        pytest.fail(f"{MSMTPQ} is missing: install msmtp", pytrace=False)
    return Spool(confdir, tmp_path)


def write_rc(spool, port):
    spool.confdir.write(RC.format(port=port), path=spool.rcfile)


def msmtpq_env(spool, qdir, msmtp="/usr/bin/msmtp"):
    return spool.env(MSMTPQ_Q=qdir, MSMTPQ_LOG=qdir.parent / "msmtpq.log",
                     EMAIL_CONN_TEST="x", EMAIL_QUEUE_QUIET="t",
                     MSMTP=msmtp)


def run_msmtpq(spool, qdir, args, data=None):
    return subprocess.run(
        [str(MSMTPQ), *args], input=data, capture_output=True,
        stdin=subprocess.DEVNULL if data is None else None,
        env=msmtpq_env(spool, qdir), timeout=60)


def queue_with_msmtpq(spool, tmp_path, calls=CALLS):
    """Debian's msmtpq queues each call (its msmtp cannot connect)."""
    qdir = tmp_path / "msmtp.queue"
    write_rc(spool, free_port())
    for args, data in calls:
        p = run_msmtpq(spool, qdir, ["-C", spool.rcfile, *args], data)
        assert p.returncode == 0, show(p)
    pairs = sorted(qdir.glob("*.mail"))
    assert len(pairs) == len(calls), sorted(os.listdir(qdir))
    return qdir


def importq(spool, *args):
    return spool.queue("--import-msmtpq", *args)


def wire(srv):
    return sorted((t[0], sorted(t[1]), t[2].replace(b"\r\n", b"\n"))
                  for t in transactions(srv))


def test_import_sends_what_msmtpq_would(spool, server, tmp_path):
    qdir = queue_with_msmtpq(spool, tmp_path)
    copy = tmp_path / "copy.queue"
    shutil.copytree(qdir, copy)
    queued = {p.name: p.read_bytes() for p in qdir.glob("*.mail")}

    # msmtpq's own flush, through Debian's msmtp.
    ref = server(Script())
    write_rc(spool, ref.port)
    p = run_msmtpq(spool, copy, ["--q-mgmt", "-r"])
    assert p.returncode == 0, show(p)
    assert ref.wait_closed(10)
    assert not list(copy.glob("*.mail")), "msmtpq did not send them all"

    srv = server(Script())
    write_rc(spool, srv.port)
    p = importq(spool, qdir)
    assert p.returncode == EX_OK, show(p)
    assert p.stdout.count(b"imported as ") == len(CALLS), show(p)
    assert b"4 mails imported" in p.stdout, show(p)
    assert sorted(os.listdir(qdir)) == [], "the originals are removed"
    q = spool.queue("-r")       # msmtpq's flush option
    assert q.returncode == EX_OK, show(q)
    assert srv.wait_closed(10)

    assert wire(srv) == wire(ref)
    assert len(wire(srv)) == len(CALLS)
    # The bytes msmtpq queued arrive as they were (Bcc removed by -t).
    sent = {t[2] for t in wire(srv)}
    for name, data in queued.items():
        if b"Bcc:" not in data:
            assert data in sent, name


def test_keep_leaves_the_originals(spool, server, tmp_path):
    qdir = queue_with_msmtpq(spool, tmp_path, CALLS[:2])
    before = {p.name: p.read_bytes() for p in qdir.iterdir()}
    srv = server(Script())
    write_rc(spool, srv.port)
    p = importq(spool, "--keep", qdir)
    assert p.returncode == EX_OK, show(p)
    assert {p.name: p.read_bytes() for p in qdir.iterdir()} == before
    assert not (qdir / ".lock").exists(), "msmtpq's lock is given back"
    assert len(spool.mails(with_data=False)) == 2


def test_default_dir_is_msmtpqs(spool, server, tmp_path):
    """$MSMTPQ_Q, as msmtpq finds its queue, when no DIR is given."""
    qdir = queue_with_msmtpq(spool, tmp_path, CALLS[:1])
    srv = server(Script())
    write_rc(spool, srv.port)
    p = run_prog(spool.queue_path, "msmtp-queue",
                 ["-C", spool.rcfile, "--queue-file", spool.qf,
                  "--import-msmtpq"], env=msmtpq_env(spool, qdir))
    assert p.returncode == EX_OK, show(p)
    assert str(qdir).encode() in p.stdout
    assert list(qdir.iterdir()) == []


def test_damaged_pairs_are_left_and_reported(spool, server, tmp_path):
    qdir = queue_with_msmtpq(spool, tmp_path, CALLS[:2])
    (qdir / "2000-01-01-00.00.00.mail").write_bytes(mail(5))   # no .msmtp
    (qdir / "2000-01-01-00.00.01.msmtp").write_text("bob@example.net\n")
    (qdir / "2000-01-01-00.00.02.mail").write_bytes(mail(6))
    (qdir / "2000-01-01-00.00.02.msmtp").write_text("-a nosuch bob@x.org\n")
    (qdir / "2000-01-01-00.00.03.mail").write_bytes(mail(7))
    (qdir / "2000-01-01-00.00.03.msmtp").write_text("--no-such-option\n")
    left = {n for n in os.listdir(qdir) if n.startswith("2000")}
    srv = server(Script())
    write_rc(spool, srv.port)
    p = importq(spool, qdir)
    assert p.returncode == EX_DATAERR, show(p)
    err = p.stderr.decode()
    assert "00.00.00.mail left in place: its .msmtp argument file is " \
           "missing" in err, err
    assert "00.00.01.msmtp left in place: its .mail file is missing" in err
    assert "00.00.02.mail left in place: account nosuch not found" in err
    assert "00.00.03.mail left in place" in err
    assert b"2 mails imported" in p.stdout, show(p)
    assert set(os.listdir(qdir)) == left
    assert len(spool.mails(with_data=False)) == 2


def test_msmtpqs_lock_is_respected(spool, tmp_path):
    qdir = queue_with_msmtpq(spool, tmp_path, CALLS[:1])
    (qdir / ".lock").mkdir()
    p = importq(spool, qdir)
    assert p.returncode == EX_TEMPFAIL, show(p)
    assert b".lock exists: msmtpq is using its queue" in p.stderr
    assert len(list(qdir.glob("*.mail"))) == 1
    assert not spool.qf.exists() or spool.mails(with_data=False) == []


def test_no_queue_dir(spool, tmp_path):
    p = importq(spool, tmp_path / "absent")
    assert p.returncode == EX_NOINPUT, show(p)
    assert b"no msmtpq queue to import" in p.stderr


def spool_two(spool, port):
    write_rc(spool, port)
    ids = []
    for n in (1, 2):
        p = spool.msmtp("-odq", "bob@example.net", mail=mail(n))
        assert p.returncode == 0, show(p)
    for m in spool.mails(with_data=False):
        ids.append(m["id"])
    return ids


def test_R_sends_only_that_mail(spool, server):
    srv = server(Script())
    first, second = spool_two(spool, srv.port)
    p = spool.queue("-R", second)
    assert p.returncode == EX_TEMPFAIL, show(p)   # the other still waits
    assert srv.wait_closed(10)
    assert [t[2].count(b"queued 2") for t in transactions(srv)] == [1]
    states = {m["id"]: m["state"] for m in spool.mails(with_data=False)}
    assert states[first] != "sent"


def test_p_purges_one_and_a_asks(spool):
    first, second = spool_two(spool, free_port())
    p = spool.queue("-p", first)
    assert p.returncode == EX_OK, show(p)
    left = [m["id"] for m in spool.mails(with_data=False)
            if m["state"] != "deleted"]
    assert first not in left and second in left
    # msmtpq's -a asks y/N; without a terminal nothing is purged.
    p = run_prog(spool.queue_path, "msmtp-queue", ["-a"],
                 env=spool.env(MSMTP_QUEUE_FILE=spool.qf))
    assert p.returncode != EX_OK
    assert b"not purging" in p.stderr, show(p)


def test_h_prints_help(spool):
    p = spool.queue("-h", qf=False, conf=False)
    assert p.returncode == EX_OK, show(p)
    assert b"--import-msmtpq" in p.stdout
