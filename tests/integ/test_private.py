"""Files other users can touch (issue 17): the spool's directory and
files, log files, core dumps, and the bytes of sent and deleted mail.

Each test is a reproducer: it fails against the build before this work
(another user's -wal was used, logs followed symbolic links, sent mail
stayed readable in freed pages, sent records were kept for ever) and
passes now. The programs run as root, as the suite does; the tests that
need another user create files as 'nobody' (os.chown) or run a program
as 'nobody' (setpriv).
"""

import json
import os
import pwd
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from conftest import Script, free_port
from test_million import copy_mails
# The fixture nobody_dir is test_spool's (spool is conftest's).
from test_spool import (BOB, EX_CANTCREAT, MAIL, ROOT, poll,  # noqa: F401
                        read_spool, run_prog, show, nobody_dir)

EX_OK = 0


def marked_mail(size=2000):
    """A mail whose body is a unique marker repeated to about size
    bytes; (mail, marker)."""
    marker = ("MARK" + secrets.token_hex(12)).encode()
    body = b"".join(marker + b" %06d\n" % i
                    for i in range(max(1, size // (len(marker) + 8))))
    return (b"From: Alice <alice@example.org>\nTo: bob@example.net\n"
            b"Subject: marked\n\n" + body), marker


def spool_bytes(qf):
    """The bytes of every file of the spool (database, -wal, -shm,
    -journal) that exists."""
    out = b""
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(str(qf) + suffix)
        if p.exists():
            out += p.read_bytes()
    return out


def spooled_id(spool):
    mails = read_spool(spool.qf, with_data=False)
    assert len(mails) == 1, mails
    return mails[0]["id"]


def nobody():
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no 'nobody' user")


# --------------------------------------------------------------------------
# The spool's directory: only its owner may write it.

@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777, 0o1777])
def test_spool_directory_others_can_write_refused(spool, mode):
    spool.rc(free_port())
    d = spool.qf.parent
    d.mkdir()
    os.chmod(d, mode)
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == EX_CANTCREAT, show(p)
    assert b"can be written by other users" in p.stderr, show(p)
    assert b"chmod go-w %s" % str(d).encode() in p.stderr, show(p)
    assert os.listdir(d) == [], "something was written"
    q = spool.queue("--list")
    assert q.returncode == EX_CANTCREAT, show(q)
    assert os.listdir(d) == []
    # Fixed as the message says, the spool works.
    os.chmod(d, mode & ~0o022)
    assert spool.msmtp("-odq", BOB).returncode == EX_OK


def test_spool_directly_in_tmp_refused(spool):
    spool.rc(free_port())
    qf = Path("/tmp") / f"msmtp-test-{secrets.token_hex(8)}.db"
    try:
        p = spool.msmtp("-odq", BOB, qf=qf)
        assert p.returncode == EX_CANTCREAT, show(p)
        assert b"/tmp can be written by other users" in p.stderr, show(p)
        assert not any(Path(str(qf) + s).exists()
                       for s in ("", "-wal", "-shm", "-journal"))
    finally:
        for s in ("", "-wal", "-shm", "-journal"):
            Path(str(qf) + s).unlink(missing_ok=True)


# --------------------------------------------------------------------------
# The spool's files: another user's -wal, -shm or database is refused
# before SQLite opens it; our own, too open, is made private.

@pytest.mark.skipif(not ROOT, reason="needs root to chown")
@pytest.mark.parametrize("suffix", ["-wal", "-shm"])
def test_companion_of_another_user_refused(spool, suffix):
    pw = nobody()
    spool.rc(free_port())
    spool.qf.parent.mkdir(mode=0o700)
    planted = Path(str(spool.qf) + suffix)
    planted.touch(mode=0o666)
    os.chmod(planted, 0o666)
    os.chown(planted, pw.pw_uid, pw.pw_gid)
    # Its owner holds it open, to read what would be written to it.
    with open(planted, "rb") as spy:
        p = spool.msmtp("-odq", BOB)
        assert p.returncode == EX_CANTCREAT, show(p)
        assert b"is owned by another user" in p.stderr, show(p)
        assert b"rm %s" % str(planted).encode() in p.stderr, show(p)
        assert spy.read() == b""
    assert sorted(os.listdir(spool.qf.parent)) == [planted.name], \
        "the spool was created"
    st = os.stat(planted)
    assert (st.st_uid, st.st_size) == (pw.pw_uid, 0)
    q = spool.queue("--flush")
    assert q.returncode == EX_CANTCREAT, show(q)
    # Removed as the message says, the spool works.
    planted.unlink()
    assert spool.msmtp("-odq", BOB).returncode == EX_OK


def test_companion_symlink_refused(spool, tmp_path):
    spool.rc(free_port())
    spool.qf.parent.mkdir(mode=0o700)
    target = tmp_path / "elsewhere"
    target.touch()
    Path(str(spool.qf) + "-wal").symlink_to(target)
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == EX_CANTCREAT, show(p)
    assert b"symbolic link" in p.stderr, show(p)
    assert target.read_bytes() == b""
    assert not spool.qf.exists()


def test_own_files_too_open_are_made_private(spool):
    spool.rc(free_port())
    assert spool.msmtp("-odq", BOB).returncode == EX_OK
    files = [Path(str(spool.qf) + s) for s in ("", "-wal", "-shm")]
    files = [f for f in files if f.exists()]
    assert spool.qf in files
    for f in files:
        os.chmod(f, 0o666)
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == EX_OK, show(p)
    for f in files:
        assert os.stat(f).st_mode & 0o777 == 0o600, f
    assert len(read_spool(spool.qf, with_data=False)) == 2


# --------------------------------------------------------------------------
# Log files: never through a symbolic link, never to a file others can
# write; the mail is not failed for it (msmtp's "cannot log to").

LOG_RC = """\
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


def send_logged(spool, confdir, srv, log, *args):
    spool.rcfile = confdir.write(LOG_RC.replace("{log}", str(log)).replace(
        "{port}", str(srv.port)))
    return spool.msmtp(*args, BOB)


@pytest.mark.parametrize("queue", [True, False], ids=["queued", "direct"])
def test_log_symlink_not_followed(spool, confdir, server, tmp_path, queue):
    srv = server(Script())
    target = tmp_path / "target.log"
    link = tmp_path / "link.log"
    link.symlink_to(target)
    p = send_logged(spool, confdir, srv, link,
                    *([] if queue else ["--queue=off"]))
    assert p.returncode == EX_OK, show(p)
    assert len(srv.sessions) == 1
    assert not target.exists(), "the link was followed"
    assert re.search(rb"cannot log to %s: it is a symbolic link"
                     % re.escape(str(link).encode()), p.stderr), show(p)
    assert b"log info was: host=127.0.0.1" in p.stderr, show(p)


def test_runner_log_symlink_not_followed(spool, confdir, server, tmp_path):
    srv = server(Script())
    target = tmp_path / "target.log"
    link = tmp_path / "link.log"
    link.symlink_to(target)
    p = send_logged(spool, confdir, srv, link, "-odq")
    assert p.returncode == EX_OK and p.stderr == b"", show(p)
    q = spool.queue("--flush")
    assert q.returncode == EX_OK, show(q)
    assert len(srv.sessions) == 1
    assert not target.exists(), "the link was followed"
    assert b"cannot log to %s: it is a symbolic link" % str(link).encode() \
        in q.stderr, show(q)


@pytest.mark.parametrize("mode", [0o666, 0o620, 0o602])
def test_log_others_can_write_refused(spool, confdir, server, tmp_path, mode):
    srv = server(Script())
    log = tmp_path / "shared.log"
    log.touch()
    os.chmod(log, mode)
    p = send_logged(spool, confdir, srv, log)
    assert p.returncode == EX_OK, show(p)
    assert log.read_bytes() == b""
    assert b"can be written by other users" in p.stderr, show(p)
    assert b"chmod go-w %s" % str(log).encode() in p.stderr, show(p)
    # Fixed, it is written.
    os.chmod(log, 0o644)
    p = send_logged(spool, confdir, srv, log)
    assert p.returncode == EX_OK and p.stderr == b"", show(p)
    assert log.read_bytes().startswith(b"STAMP host=127.0.0.1 ")


@pytest.mark.skipif(not ROOT, reason="needs root to chown")
def test_log_of_another_user_refused(spool, confdir, server, tmp_path):
    pw = nobody()
    srv = server(Script())
    log = tmp_path / "theirs.log"
    log.touch(mode=0o600)
    os.chown(log, pw.pw_uid, pw.pw_gid)
    p = send_logged(spool, confdir, srv, log)
    assert p.returncode == EX_OK, show(p)
    assert log.read_bytes() == b""
    assert b"belongs to another user" in p.stderr, show(p)


# --------------------------------------------------------------------------
# No core dumps: a process holding secrets is not dumpable and has no
# core size, and reading /proc/self (the engine's path) still works.

def proc_limits_core(pid):
    text = Path(f"/proc/{pid}/limits").read_text()
    m = re.search(r"(?m)^Max core file size\s+(\S+)\s+(\S+)", text)
    return m.group(1), m.group(2)


def unlimited_core():
    import resource
    resource.setrlimit(resource.RLIMIT_CORE,
                       (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


@pytest.mark.timeout(60)
def test_runner_makes_no_core_dump(spool):
    spool.rc(free_port())
    assert spool.msmtp("-odq", BOB).returncode == EX_OK
    pr = subprocess.Popen(["msmtp-queue", *map(str, spool.argv("--daemon"))],
                          executable=spool.queue_path, env=spool.env(),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          preexec_fn=unlimited_core)
    try:
        poll(lambda: proc_limits_core(pr.pid) == ("0", "0") or
             pr.poll() is not None, what="the core limit to drop")
        assert pr.poll() is None, pr.stderr.read()
        assert proc_limits_core(pr.pid) == ("0", "0")
    finally:
        pr.send_signal(signal.SIGTERM)
        pr.wait(timeout=20)


@pytest.mark.skipif(not ROOT, reason="needs root to run as nobody")
@pytest.mark.timeout(60)
def test_unprivileged_msmtp_is_not_dumpable_and_still_sends(
        spool, server, nobody_dir):
    """As nobody: /proc/PID of a non-dumpable process belongs to root;
    and the engine, found through /proc/self/exe, still sends."""
    root, prefix, pw = nobody_dir
    srv = server(Script())
    spool.rc(srv.port)
    rc_copy = root / "rc"
    shutil.copy(spool.rcfile, rc_copy)
    os.chown(rc_copy, pw.pw_uid, pw.pw_gid)
    qf = root / "spool" / "q.db"
    env = spool.env(HOME=root, USER="nobody", LOGNAME="nobody",
                    XDG_STATE_HOME=root / "state")
    p = run_prog(spool.msmtp_path, "msmtp",
                 ["-C", rc_copy, "--queue-file", qf, BOB], MAIL, env=env,
                 prefix=prefix)
    assert p.returncode == EX_OK and p.stderr == b"", show(p)
    assert len(srv.sessions) == 1
    assert read_spool(qf, with_data=False)[0]["state"] == "sent"
    # A daemon of nobody's: its /proc files are root's.
    pr = subprocess.Popen([*prefix, spool.queue_path, "-C", str(rc_copy),
                           "--queue-file", str(qf), "--daemon"], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def settled():
            if pr.poll() is not None:
                return True
            st = Path(f"/proc/{pr.pid}/status").read_text()
            uid = int(re.search(r"(?m)^Uid:\s+(\d+)", st).group(1))
            return uid == pw.pw_uid and \
                os.stat(f"/proc/{pr.pid}/status").st_uid == 0
        poll(settled, what="a non-dumpable msmtp-queue of nobody's")
        assert pr.poll() is None, pr.stderr.read()
    finally:
        pr.send_signal(signal.SIGTERM)
        pr.wait(timeout=20)


# --------------------------------------------------------------------------
# Sent and deleted mail: their bytes are gone from the spool's files once
# the pass (or command) that removed them has ended.

# Large: a small mail's bytes sit in a b-tree leaf, which SQLite zeroes
# anyway (secure_delete FAST); a large one's overflow pages were freed as
# they were.
def test_sent_mail_bytes_gone_after_flush(spool, server, size=200000):
    srv = server(Script())
    spool.rc(srv.port)
    mail, marker = marked_mail(size)
    assert spool.msmtp("-odq", BOB, mail=mail).returncode == EX_OK
    assert marker in spool_bytes(spool.qf)
    q = spool.queue("--flush")
    assert q.returncode == EX_OK, show(q)
    assert marker in srv.sessions[0].transactions[0][2]
    assert marker not in spool_bytes(spool.qf)


def test_sent_mail_bytes_gone_after_direct_send(spool, server, size=200000):
    srv = server(Script())
    spool.rc(srv.port)
    mail, marker = marked_mail(size)
    # A few mails spooled before, so that the WAL is not emptied anyway.
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == EX_OK, show(p)
    p = spool.msmtp(BOB, mail=mail)
    assert p.returncode == EX_OK and p.stderr == b"", show(p)
    assert any(marker in t[2] for s in srv.sessions for t in s.transactions)
    assert marker not in spool_bytes(spool.qf)


# More copies of one mail than the runner drops in one transaction
# (DROP_BATCH, 1000): the WAL is emptied once, after the last batch, and
# the bytes of every batch must be gone then, from the database and the
# WAL alike. The copies are made with SQL (test_million.copy_mails).
def test_sent_mail_bytes_gone_after_flush_of_many_batches(spool, server):
    srv = server(Script())
    spool.rc(srv.port)
    mail, marker = marked_mail(2000)
    assert spool.msmtp("-odq", BOB, mail=mail).returncode == EX_OK
    copy_mails(spool.qf, 2499)
    q = spool.queue("--flush")
    assert q.returncode == EX_OK, show(q)
    assert sum(len(s.transactions) for s in srv.sessions) == 2500
    assert {m["state"] for m in read_spool(spool.qf, with_data=False)} \
        == {"sent"}
    assert marker not in spool_bytes(spool.qf)
    wal = Path(str(spool.qf) + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


@pytest.mark.parametrize("how", ["delete", "purge"])
def test_deleted_mail_bytes_gone(spool, how):
    spool.rc(free_port())
    mail, marker = marked_mail(200000)
    keep, keep_marker = marked_mail(3000)
    assert spool.msmtp("-odq", BOB, mail=keep).returncode == EX_OK
    assert spool.msmtp("-odq", BOB, mail=mail).returncode == EX_OK
    mails = read_spool(spool.qf, with_data=True)
    doomed = [m["id"] for m in mails if marker in m["data"]]
    assert len(doomed) == 1 and marker in spool_bytes(spool.qf)
    if how == "delete":
        q = spool.queue("--delete", doomed[0])
        assert q.returncode == EX_OK, show(q)
        assert keep_marker in spool_bytes(spool.qf) or \
            read_spool(spool.qf)[0]["data"] == keep
    else:
        q = spool.queue("--purge", "--yes")
        assert q.returncode == EX_OK, show(q)
        assert keep_marker not in spool_bytes(spool.qf)
    assert marker not in spool_bytes(spool.qf)


# --------------------------------------------------------------------------
# Sent records: kept for queue_keep_sent, shown by --list --sent, then
# pruned by the runner.

def test_list_sent_shows_a_sent_mail(spool, server):
    srv = server(Script())
    spool.rc(srv.port)
    assert spool.msmtp("-odq", BOB).returncode == EX_OK
    mid = spooled_id(spool)
    assert spool.queue("--flush").returncode == EX_OK
    plain = spool.queue("--list")
    assert plain.returncode == EX_OK and mid.encode() not in plain.stdout
    sent = spool.queue("--list", "--sent")
    assert sent.returncode == EX_OK, show(sent)
    out = sent.stdout.decode()
    assert re.search(rf"(?m)^{mid}  sent ", out), out
    assert "    sent     bob@example.net" in out, out
    assert "kept until" in out and "1 mail." in out, out
    js = spool.queue("--list", "--sent", "--json")
    assert js.returncode == EX_OK, show(js)
    rows = json.loads(js.stdout)
    assert [(r["id"], r["state"]) for r in rows] == [(mid, "sent")]
    assert json.loads(spool.queue("--list", "--json").stdout) == []
    bad = spool.queue("--flush", "--sent")
    assert bad.returncode == 64 and b"--sent" in bad.stderr, show(bad)


def test_sent_mail_kept_by_default(spool, server):
    srv = server(Script())
    spool.rc(srv.port)
    assert spool.msmtp("-odq", BOB).returncode == EX_OK
    assert spool.queue("--flush").returncode == EX_OK
    assert spool.queue("--run").returncode == EX_OK
    row = read_spool(spool.qf, with_data=False)[0]
    assert row["state"] == "sent"
    # Kept 7 days from the attempt.
    assert row["next_attempt"] - row["last_attempt"] == 7 * 24 * 3600


def test_sent_mail_pruned_after_queue_keep_sent(spool, server):
    srv = server(Script())
    spool.rc(srv.port, extra="queue_keep_sent 1\n")
    assert spool.msmtp("-odq", BOB).returncode == EX_OK
    assert spool.queue("--flush").returncode == EX_OK
    assert [m["state"] for m in read_spool(spool.qf, with_data=False)] == \
        ["sent"]

    def pruned():
        q = spool.queue("--run")
        assert q.returncode == EX_OK, show(q)
        return read_spool(spool.qf, with_data=False) == []
    poll(pruned, timeout=10, interval=0.2, what="the sent record to go")
    assert b"No sent mail" in spool.queue("--list", "--sent").stdout


def test_sent_mail_pruned_at_once_with_keep_sent_0(spool, server):
    srv = server(Script())
    spool.rc(srv.port, extra="queue_keep_sent 0\n")
    assert spool.msmtp("-odq", BOB).returncode == EX_OK
    assert spool.msmtp("-odq", BOB).returncode == EX_OK
    assert spool.queue("--flush").returncode == EX_OK
    assert len(srv.sessions[0].transactions) == 2
    rows = read_spool(spool.qf, with_data=False)
    assert rows == [], [(r["state"], r["next_attempt"], r["last_attempt"]) for r in rows]


def test_msmtpd_log_symlink_and_shared_file_refused(spool, tmp_path):
    msmtpd = os.path.join(os.path.dirname(spool.msmtp_path), "msmtpd")
    target = tmp_path / "target.log"
    link = tmp_path / "link.log"
    link.symlink_to(target)
    shared = tmp_path / "shared.log"
    shared.touch()
    os.chmod(shared, 0o666)
    for log, why in ((link, b"it is a symbolic link"),
                     (shared, b"it can be written by other users")):
        p = subprocess.run([msmtpd, "--inetd", f"--log={log}",
                            "--command=/bin/true"], input=b"QUIT\r\n",
                           capture_output=True, timeout=30, env=spool.env())
        assert p.returncode == EX_OK, show(p)
        assert b"221 " in p.stdout, show(p)
        assert b"msmtpd: cannot open log file %s: %s" % (
            str(log).encode(), why) in p.stderr, show(p)
        assert b"; using syslog" in p.stderr, show(p)
    assert not target.exists()
    assert shared.read_bytes() == b""


def test_sent_records_of_schema_5_are_kept_seven_days(spool, server):
    """A spool of the version before: its sent records (next_attempt the
    time they went) get seven days, not pruned at the first pass."""
    import sqlite3
    srv = server(Script())
    spool.rc(srv.port)
    assert spool.msmtp(BOB).returncode == EX_OK
    con = sqlite3.connect(str(spool.qf))
    con.executescript("UPDATE mail SET next_attempt = last_attempt;"
                      "ALTER TABLE mail DROP COLUMN hint;"
                      "ALTER TABLE mail DROP COLUMN subject;"
                      "DROP TABLE tls_session;"
                      "PRAGMA user_version = 5;")
    con.close()
    q = spool.queue("--run")
    assert q.returncode == EX_OK, show(q)
    [row] = read_spool(spool.qf, with_data=False)
    assert row["state"] == "sent"
    assert row["next_attempt"] == row["last_attempt"] + 7 * 24 * 3600
