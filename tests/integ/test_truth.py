"""The caller learns the truth (issue 18): one test per rule of msmtp(1),
EXIT STATUS WITH THE QUEUE.

  - Exit 0 means the mail will reach every recipient without the user's
    action, or that a bounce will tell the sender otherwise.
  - A mail that needs the user's action (credentials, a certificate, the
    configuration) exits with msmtp's code for that failure, and is kept
    held; stderr says both.
  - A recipient refused for good while others got the mail: exit 0,
    stderr names the refused ones, and the sender gets a DSN for them.
  - Held mail expires with queue_lifetime, with a bounce.
  - When no runner is active, the message says how to get the mail sent
    instead of promising a retry.

Every server is a RecordingServer on 127.0.0.1. git send-email is run
for real where it is installed (test_callers.py's wrapper); a Mutt-like
caller is only its exit code and stderr.
"""

import os
from pathlib import Path
import signal
import sqlite3
import subprocess

from conftest import REF_PATH, Binary, Script, send
from test_bounce import dsn_fields, reports
from test_callers import (ALICE, BOB, CAROL, GIT_ENV, git_argv,
                          make_patches, needs_git_email, run_caller)
from test_spool import (QUEUED_RE, enable_runner_unit, free_port,
                        poll, show, transactions)

MAIL = (b"From: Alice <alice@example.org>\nTo: bob@example.net\n"
        b"Subject: the truth\n\nHello.\n")
EX_NOPERM = 77
NO_RUNNER = (b"no queue runner is active: run 'msmtp-queue --flush' when "
             b"the network is back, or set one up (see msmtp-queue(1))\n")

AUTH_RC = """\
defaults
tls off
host 127.0.0.1
port {port}

account default
from alice@example.org
auth plain
user alice
password {password}
"""


def auth_server(server):
    return server(Script(auth={"alice": "secret"}, auth_mechs=["PLAIN"]))


def write_auth_rc(spool, port, password):
    return spool.confdir.write(AUTH_RC.format(port=port, password=password),
                               path=spool.rcfile)


def mail_of(spool, sender="alice@example.org"):
    (m,) = [m for m in spool.mails() if m["envelope_from"] == sender]
    return m


# --------------------------------------------------------------------------
# A mail that needs the user: msmtp's exit code, and the mail kept.

def test_wrong_password_exits_like_msmtp_and_keeps_the_mail(spool, server,
                                                            confdir):
    """535 to AUTH: Debian's msmtp 1.8.23 exits 77 (EX_NOPERM); so do we,
    with msmtp's own lines, then one line: held as ID, and how to release
    it. A Mutt-like caller shows stderr only on a failed exit: it shows
    it. Fixing the password and releasing sends the mail once."""
    srv = auth_server(server)
    rc = write_auth_rc(spool, srv.port, "wrong")
    ref = send(Binary("ref", REF_PATH, ()), confdir,
               script=Script(auth={"alice": "secret"}, auth_mechs=["PLAIN"]),
               config=AUTH_RC.replace("{password}", "wrong"), args=[BOB],
               mail=MAIL)
    assert ref.rc == EX_NOPERM, "test premise: " + ref.stderr.decode()

    p = spool.msmtp(BOB, mail=MAIL)
    assert p.returncode == EX_NOPERM, show(p)
    m = mail_of(spool)
    assert m["state"] == "held"
    head, sep, last = p.stderr.rpartition(b"msmtp: the mail is held in the "
                                          b"queue as ")
    assert sep, show(p)
    assert last == (b"%s: fix the account, then run 'msmtp-queue --release "
                    b"%s'\n" % (m["id"].encode(), m["id"].encode()))
    # msmtp's own lines, but for the config file's name and the port.
    assert head.replace(str(rc).encode(), b"RC") == \
        ref.stderr.replace(str(confdir.rc).encode(), b"RC"), show(p)

    write_auth_rc(spool, srv.port, "secret")
    srv.reset()
    r = spool.queue("--release", m["id"])
    assert r.returncode == 0, show(r)
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    assert [t[1] for t in transactions(srv)] == [[BOB]]
    assert mail_of(spool)["state"] == "sent"


# --------------------------------------------------------------------------
# A recipient refused for good while others got the mail.

def check_partial(spool, srv, p):
    """Exit 0, bob named on stderr, carol got it, and the DSN for bob is
    queued at once, then sent by a runner to the sender."""
    assert p.returncode == 0, show(p)
    assert (b"msmtp: recipient address bob@example.net not accepted by the "
            b"server\n") in p.stderr, show(p)
    assert b"carol@example.net not accepted" not in p.stderr, show(p)
    assert b"delivery status notification" in p.stderr, show(p)
    assert [t[1] for t in transactions(srv)] == [[CAROL]]
    dsn = mail_of(spool, "")
    assert dsn["state"] == "queued", dsn
    srv.reset()
    q = spool.queue("--run")
    assert q.returncode == 0, show(q)
    (rcpts, msg), = reports(srv)
    assert rcpts == [ALICE]
    (f,) = dsn_fields(msg)
    assert f["Final-Recipient"] == "rfc822; " + BOB
    assert f["Action"] == "failed" and f["Status"] == "5.1.1"
    assert [t[1] for t in transactions(srv)] == [[ALICE]], "resent"


REFUSE_BOB = {"RCPT": {BOB: "550 5.1.1 no such user"}}


def test_partial_refusal_exits_0_and_bounces(spool, server):
    srv = server(Script(replies=REFUSE_BOB))
    spool.rc(srv.port)
    p = spool.msmtp(BOB, CAROL, mail=MAIL)
    check_partial(spool, srv, p)


@needs_git_email
def test_partial_refusal_through_git_send_email(spool, server, confdir):
    """git send-email reports a patch sent ("Result: OK", or with --quiet
    "Sent [PATCH] ...") on exit 0: that is now true, for the sender hears
    of bob from the bounce."""
    qf = spool.qf
    ours = Binary("ours", spool.msmtp_path, ("--queue-file", str(qf)))
    repo, patches = make_patches(confdir, 1)
    run = run_caller(ours, confdir, git_argv(
        patches, ["--envelope-sender=alice@example.org", f"--to={BOB}",
                  f"--cc={CAROL}"]), stdin=b"", env=GIT_ENV, cwd=repo,
        script=Script(replies=REFUSE_BOB))
    assert run.rc == 0 and run.msmtp_rcs == [0], run.stderr
    assert b"Sent [PATCH] Add file0.txt" in run.stdout, run.stdout
    assert b"recipient address bob@example.net not accepted" in run.stderr
    # The DSN for bob is queued for alice (sending it is the test
    # above's).
    dsn = mail_of(spool, "")
    assert dsn["state"] == "queued", dsn
    assert dsn["rcpts"] == [(ALICE, "pending")]
    assert b"Final-Recipient: rfc822; bob@example.net" in dsn["data"]


# --------------------------------------------------------------------------
# Held mail expires.

def test_held_mail_expires_with_a_bounce(spool, server):
    srv = auth_server(server)
    write_auth_rc(spool, srv.port, "wrong")
    with open(spool.rcfile, "a") as f:
        f.write("queue_lifetime 60\n")
    p = spool.msmtp(BOB, mail=MAIL)     # its exit code: the test above
    assert mail_of(spool)["state"] == "held", show(p)
    # Not yet: a runner leaves it held.
    srv.reset()
    q = spool.queue("--flush")
    assert q.returncode == 0 and srv.sessions == [], show(q)
    assert mail_of(spool)["state"] == "held"
    # Held for longer than queue_lifetime: move its times back instead
    # of waiting.
    con = sqlite3.connect(str(spool.qf), timeout=10)
    with con:
        con.execute("UPDATE mail SET created = created - 120, "
                    "last_attempt = last_attempt - 120")
    con.close()
    # The bounce goes through the same account: fix it so it can.
    write_auth_rc(spool, srv.port, "secret")
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    m = mail_of(spool)
    assert m["state"] == "failed", m
    assert m["reason"].startswith("held for longer than queue_lifetime")
    (rcpts, msg), = reports(srv)
    assert rcpts == [ALICE]
    (f,) = dsn_fields(msg)
    assert f["Status"] == "4.4.7" and f["Final-Recipient"] == "rfc822; " + BOB
    # The expired mail itself never went out.
    assert [t[1] for t in transactions(srv)] == [[ALICE]]


# --------------------------------------------------------------------------
# No runner: no promise of a retry.

def offline(spool):
    spool.rc(free_port())
    p = spool.msmtp(BOB, mail=MAIL)
    assert p.returncode == 0, show(p)
    assert QUEUED_RE.search(p.stderr), show(p)
    return p


def test_no_runner_says_how_to_send(spool):
    """Nothing runs the queue: say what to do. Once a timer is enabled
    (`systemctl --user enable msmtp-queue-run.timer`), say when."""
    p = offline(spool)
    assert p.stderr.endswith(NO_RUNNER), show(p)
    assert b"will be retried" not in p.stderr, show(p)
    enable_runner_unit(spool.confdir)
    p = offline(spool)
    assert b"and will be retried after " in p.stderr, show(p)
    assert NO_RUNNER not in p.stderr, show(p)


def test_running_daemon_is_a_runner(spool):
    """A daemon serving the spool (its pid file locked, queue/pidfile.h)
    is a runner; a pid file left unlocked (a daemon that died) is not."""
    pidfile = Path(f"{spool.qf}.pid")
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    pidfile.write_text("%d\n" % os.getpid())        # stale: not locked
    assert offline(spool).stderr.endswith(NO_RUNNER)
    pidfile.unlink()
    spool.rc(free_port())
    daemon = spool.popen(spool.queue_path, "msmtp-queue",
                         spool.argv("--daemon"), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        poll(lambda: pidfile.exists() and
             pidfile.read_text() == "%d\n" % daemon.pid,
             what="the daemon's pid file")
        p = spool.msmtp(BOB, mail=MAIL)
        assert p.returncode == 0, show(p)
        assert b"and will be retried after " in p.stderr, show(p)
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=10)
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait()
    p = spool.msmtp(BOB, mail=MAIL)
    assert p.stderr.endswith(NO_RUNNER), show(p)


# --------------------------------------------------------------------------
# An interactive send takes the account's due mail along.

def test_interactive_send_takes_due_mail_along(spool, server):
    """Two mails queued while the server was away (-odq), one of another
    account; then the user sends a mail that reaches the server: its
    session carries the two due mails of the same account after it, and
    each is recorded sent. The other account's mail waits."""
    srv = server(Script())
    spool.rc(srv.port)
    first = MAIL.replace(b"Subject: the truth", b"Subject: queued 1")
    second = MAIL.replace(b"Subject: the truth", b"Subject: queued 2")
    for m in (first, second):
        assert spool.msmtp("-odq", CAROL, mail=m).returncode == 0
    assert spool.msmtp("-odq", "-a", "work", CAROL,
                       mail=first).returncode == 0
    p = spool.msmtp(BOB, mail=MAIL)
    assert p.returncode == 0 and p.stderr == b"", show(p)
    assert srv.wait_closed(10)
    assert len(srv.sessions) == 1, "not one session"
    txs = transactions(srv)
    assert [t[1] for t in txs] == [[BOB], [CAROL], [CAROL]]
    assert b"Subject: queued 1" in txs[1][2]
    assert b"Subject: queued 2" in txs[2][2]
    states = sorted((m["envelope_from"], m["state"]) for m in spool.mails())
    assert states == [("alice@example.org", "sent")] * 3 + \
        [("worker@work.example", "queued")]


def test_taking_along_is_bounded(spool, server):
    """The user's send carries at most 20 queued mails (delivery/along.h):
    the rest wait for a runner."""
    srv = server(Script())
    spool.rc(srv.port)
    for i in range(23):
        assert spool.msmtp("-odq", CAROL, mail=MAIL).returncode == 0
    p = spool.msmtp(BOB, mail=MAIL)
    assert p.returncode == 0 and p.stderr == b"", show(p)
    assert srv.wait_closed(10)
    assert len(srv.sessions) == 1 and len(transactions(srv)) == 21
    states = [m["state"] for m in spool.mails()]
    assert states.count("sent") == 21 and states.count("queued") == 3
