"""The queue runner (issue 6): msmtp-queue's sessions, breaker and daemon.

Mails are spooled with our msmtp -odq, then delivered by msmtp-queue to
RecordingServers on 127.0.0.1. Each server connection is one Recording;
the tests time them (open and close) to see how many sessions ran at
once. The spool is read with Python's sqlite3 module, as in
test_spool.py, whose helpers these tests share.
"""

import collections
import concurrent.futures
import os
import random
import re
import signal
import socket
import subprocess
import threading
import time

import pytest

import mta
import recsmtpd
from conftest import Script, free_port
from test_spool import (BOB, EX_TEMPFAIL, Spool, message_id, poll,
                        read_spool, show, transactions)

RC = """\
defaults
auth off
tls off
host 127.0.0.1
queue_backoff_min 60
{defaults}

account default
port {port}
from alice@example.org

account other
port {other_port}
from olga@example.org
"""


class _Closed(threading.Event):
    """Recording.closed that notes when the connection ended."""

    def set(self):
        self.at = time.monotonic()
        super().set()


class TimedRecording(recsmtpd.Recording):
    def __init__(self):
        super().__init__()
        self.opened = time.monotonic()
        self.closed = _Closed()


@pytest.fixture(autouse=True)
def timed_sessions(monkeypatch):
    monkeypatch.setattr(recsmtpd, "Recording", TimedRecording)


def write_rc(spool, port, other_port=None, defaults=""):
    text = RC.format(port=port, other_port=other_port or free_port(),
                     defaults=defaults)
    spool.port = port
    return spool.confdir.write(text, path=spool.rcfile)


def spool_mails(spool, n, account="default", tag="m"):
    for i in range(n):
        p = spool.msmtp("-odq", "-a", account, BOB,
                        mail=b"Subject: %s %d\n\nbody %d\n"
                        % (tag.encode(), i, i))
        assert p.returncode == 0, show(p)


def intervals(*servers):
    return [(r.opened, r.closed.at) for srv in servers
            for r in srv.sessions]


def max_concurrent(spans):
    events = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    now = best = 0
    for _, d in events:
        now += d
        best = max(best, now)
    return best


def states(spool):
    return collections.Counter(m["state"] for m in
                               spool.mails(with_data=False))


# --------------------------------------------------------------------------
# Sessions.

def flushed(spool, srv, n, defaults=""):
    """Spool n mails for srv, flush them all; the flush's outcome."""
    write_rc(spool, srv.port, defaults=defaults)
    spool_mails(spool, n)
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    assert srv.wait_closed(10)
    return q


def test_many_mails_one_session(spool, server):
    srv = server(Script())
    q = flushed(spool, srv, 20, "queue_max_connections 1")
    assert len(srv.sessions) == 1
    assert len(transactions(srv)) == 20
    assert srv.sessions[0].raw.count(b"\r\nQUIT\r\n") == 1
    assert states(spool) == {"sent": 20}
    # One plain line per mail (stdout is not a terminal), in order.
    lines = q.stdout.decode().splitlines()
    assert [ln.split()[1] for ln in lines] == ["sent"] * 20
    ids = [m["id"] for m in spool.mails(with_data=False)]
    assert [ln.split()[0] for ln in lines] == ids


@pytest.fixture
def smtp_sink():
    """Postfix's smtp-sink on a free loopback port (build/postfix-root):
    a server that reads as fast as the runner writes, on the other core;
    its port."""
    root = mta.Root()
    if not (root.sbin / "smtp-sink").exists():
        pytest.skip("no smtp-sink in " + str(root.root))
    port = free_port()
    argv = [str(root.sbin / "smtp-sink")]
    if os.geteuid() == 0:
        argv += ["-u", "nobody"]
    proc = subprocess.Popen(argv + [f"127.0.0.1:{port}", "64"],
                            env=root.env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                            start_new_session=True)

    def listening():
        assert proc.poll() is None, "smtp-sink exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False
    try:
        poll(listening, what="smtp-sink listening")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_mails_larger_than_the_socket_takes_at_once(spool, smtp_sink):
    """Mails whose bytes the socket takes in part, between small ones, to
    a server that reads at once: the session writes what the socket takes
    at once and the rest through libuv (conn_io.c), whose request may
    then end at once too; each write must end at the loop's next turn
    whichever way it went, or the session waits for a server that waits
    for it, until the timeout."""
    write_rc(spool, smtp_sink, defaults="queue_max_connections 1\n"
             "timeout 30")
    line = b"0123456789abcdefghijklmnopqrstuvwxyz" * 2 + b"\n"
    big = b"Subject: big\n\n" + line * (40 * 1024 * 1024 // len(line))
    small = b"Subject: small\n\nsmall\n"
    for mail in (small, big, big, small, big, small):
        p = spool.msmtp("-odq", BOB, mail=mail)
        assert p.returncode == 0, show(p)
    t0 = time.monotonic()
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    assert time.monotonic() - t0 < 20
    assert states(spool) == {"sent": 6}


def test_one_log_line_per_attempt(spool, server, tmp_path):
    srv = server(Script(replies={"RCPT": {"bad@example.net":
                                          "450 4.2.0 mailbox busy"}}))
    log = tmp_path / "msmtp.log"
    write_rc(spool, srv.port, defaults=f"logfile {log}")
    spool_mails(spool, 2)
    p = spool.msmtp("-odq", "bad@example.net", mail=b"Subject: x\n\nx\n")
    assert p.returncode == 0, show(p)
    q = spool.queue("--flush")
    assert q.returncode == EX_TEMPFAIL, show(q)
    lines = log.read_text().splitlines()
    assert len(lines) == 3, lines
    by_id = {re.search(r"queueid=(\S+)", ln).group(1): ln for ln in lines}
    ids = [m["id"] for m in spool.mails(with_data=False)]
    assert set(by_id) == set(ids)
    for mid in ids[:2]:
        assert f"queueid={mid} attempt=1 outcome=sent" in by_id[mid]
        assert "exitcode=EX_OK" in by_id[mid]
        assert re.search(r"mailsize=[1-9]", by_id[mid])
    assert (f"queueid={ids[2]} attempt=1 outcome=deferred next="
            in by_id[ids[2]])


@pytest.mark.parametrize("n", [1, 2, 3])
def test_queue_max_connections(spool, server, n):
    srv = server(Script())
    flushed(spool, srv, 60, f"queue_max_connections {n}")
    assert len(transactions(srv)) == 60
    most = max_concurrent(intervals(srv))
    assert most <= n
    if n > 1:
        assert most > 1, "the sessions never overlapped"
    seen = collections.Counter(message_id(t[2]) for t in transactions(srv))
    assert set(seen.values()) == {1}


def test_default_is_two_connections(spool, server):
    srv = server(Script())
    flushed(spool, srv, 60)
    assert len(srv.sessions) == 2
    assert max_concurrent(intervals(srv)) == 2


def test_two_accounts_in_parallel(spool, server):
    a, b = server(Script()), server(Script())
    write_rc(spool, a.port, b.port, defaults="queue_max_connections 1")
    spool_mails(spool, 30, "default")
    spool_mails(spool, 30, "other")
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    assert a.wait_closed(10) and b.wait_closed(10)
    assert len(transactions(a)) == 30 and len(transactions(b)) == 30
    assert len(a.sessions) == 1 and len(b.sessions) == 1
    assert max_concurrent(intervals(a, b)) == 2, "accounts ran one by one"


def test_stops_after_three_failures_in_a_row(spool, server):
    srv = server(Script(replies={"MAIL": "451 4.3.0 try later"}))
    write_rc(spool, srv.port, defaults="queue_max_connections 1")
    spool_mails(spool, 10)
    q = spool.queue("--flush")
    assert q.returncode == EX_TEMPFAIL, show(q)
    assert srv.wait_closed(10)
    tried = [m for m in spool.mails(with_data=False) if m["tries"]]
    assert len(tried) == 3
    assert all(m["state"] == "deferred" and m["attempts"] == 1
               for m in tried)
    assert sum(r.raw.count(b"MAIL FROM") for r in srv.sessions) == 3
    # The mail claimed ahead of the third failure was given back unused.
    untried = [m for m in spool.mails(with_data=False) if not m["tries"]]
    assert {m["state"] for m in untried} == {"queued"}
    assert not any(m["uncertain"] for m in untried)


def test_success_resets_the_failure_count(spool, server):
    # Every other mail is refused for one recipient only: never three
    # failures in a row, so every mail is tried.
    srv = server(Script(replies={"RCPT": {"bad@example.net":
                                          "450 4.2.0 mailbox busy"}}))
    write_rc(spool, srv.port, defaults="queue_max_connections 1")
    for i in range(8):
        rcpt = "bad@example.net" if i % 2 else BOB
        p = spool.msmtp("-odq", rcpt, mail=b"Subject: %d\n\nx\n" % i)
        assert p.returncode == 0, show(p)
    q = spool.queue("--flush")
    assert q.returncode == EX_TEMPFAIL, show(q)
    assert states(spool) == {"sent": 4, "deferred": 4}


# --------------------------------------------------------------------------
# PIPELINING across transactions: the next mail's MAIL, RCPT and DATA go
# out behind the final dot of the one before (RFC 2920, 3.1).

PIPELINING = ["PIPELINING"]


def test_next_mail_rides_behind_the_final_dot(spool, server):
    srv = server(Script(extensions=PIPELINING, record_reads=True))
    flushed(spool, srv, 30, "queue_max_connections 1")
    assert len(srv.sessions) == 1
    sent = [message_id(t[2]) for t in transactions(srv)]
    assert sent == [m["message_id"] for m in spool.mails(with_data=False)]
    assert states(spool) == {"sent": 30}
    riding = [r for r in srv.sessions[0].reads
              if b"\r\n.\r\nMAIL FROM:<" in r]
    assert len(riding) >= 10, srv.sessions[0].reads


def test_no_pipelining_offered_no_mail_behind_the_dot(spool, server):
    srv = server(Script(record_reads=True))
    flushed(spool, srv, 10, "queue_max_connections 1")
    assert not any(b".\r\nMAIL FROM:<" in r for r in srv.sessions[0].reads)
    assert states(spool) == {"sent": 10}


@pytest.mark.parametrize("refusal, state", [
    ("554 5.7.1 not this one", "failed"),
    ("451 4.3.0 not now", "deferred")])
def test_refused_mail_does_not_take_the_one_behind_it(spool, server,
                                                     refusal, state):
    """The mail after a refused one was piped behind its dot; the
    session ends with the refusal (as msmtp's does), and that next mail
    goes on a new session, once, not counted as tried before."""
    srv = server(Script(extensions=PIPELINING, replies={
        "EOM": lambda data: refusal if b"Subject: m 2\n" in
        data.replace(b"\r\n", b"\n") else None}))
    write_rc(spool, srv.port, defaults="queue_max_connections 1\n"
             "queue_bounce off")
    spool_mails(spool, 6)
    q = spool.queue("--flush")
    assert q.returncode == (0 if state == "failed" else EX_TEMPFAIL), show(q)
    assert srv.wait_closed(10)
    rows = spool.mails(with_data=False)
    assert [m["state"] for m in rows] == ["sent"] * 2 + [state] + \
        ["sent"] * 3
    assert all(m["tries"] == 1 for m in rows)
    assert len(srv.sessions) == 2
    # The mail behind the refused one: commands in the first session,
    # its only transaction in the second.
    assert srv.sessions[0].raw.count(b"MAIL FROM:") == 4
    seen = collections.Counter(message_id(t[2]) for t in transactions(srv))
    assert seen == collections.Counter(m["message_id"] for m in rows)


# --------------------------------------------------------------------------
# The circuit breaker.

def test_unreachable_account_spends_no_attempts(spool, server):
    up = server(Script())
    write_rc(spool, up.port, free_port())     # "other": nobody listens
    spool_mails(spool, 5, "other", tag="down")
    spool_mails(spool, 5, "default", tag="up")
    q = spool.queue("--flush")
    assert q.returncode == EX_TEMPFAIL, show(q)
    assert up.wait_closed(10)
    assert len(transactions(up)) == 5
    down = [m for m in spool.mails(with_data=False)
            if m["account"] == "other"]
    assert all(m["attempts"] == 0 for m in down)
    assert all(m["state"] in ("queued", "deferred") for m in down)
    # One connection attempt for the account, not one per mail.
    assert sum(m["tries"] for m in down) == 1, show(q)
    # --run leaves them until due; --flush tries again, once.
    q = spool.queue("--flush")
    assert q.returncode == EX_TEMPFAIL
    down = [m for m in spool.mails(with_data=False)
            if m["account"] == "other"]
    assert sum(m["tries"] for m in down) == 2
    assert all(m["attempts"] == 0 for m in down)


# --------------------------------------------------------------------------
# The daemon.

def start_daemon(spool, *extra):
    pr = spool.popen(spool.queue_path, "msmtp-queue",
                     spool.argv("--daemon", *extra), stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)
    return pr


def stop_daemon(pr, sig=signal.SIGTERM):
    try:
        pr.send_signal(sig)
        out, err = pr.communicate(timeout=10)
    finally:
        if pr.poll() is None:
            pr.kill()
            pr.wait()
    return pr.returncode, out, err


@pytest.mark.timeout(60)
def test_daemon_delivers_new_mail_and_exits_on_sigterm(spool, server):
    srv = server(Script())
    write_rc(spool, srv.port)
    spool_mails(spool, 1, tag="early")
    pr = start_daemon(spool)
    try:
        poll(lambda: len(transactions(srv)) == 1, timeout=5,
             what="the daemon to send the waiting mail")
        time.sleep(0.3)     # idle now
        t0 = time.monotonic()
        spool_mails(spool, 1, tag="late")
        poll(lambda: len(transactions(srv)) == 2, timeout=2,
             what="the daemon to send the new mail within 2 s")
        delay = time.monotonic() - t0
        assert_idle(pr)
    finally:
        rc, out, err = stop_daemon(pr)
    assert rc == 0, (rc, out, err)
    assert delay < 2
    assert states(spool) == {"sent": 2}


def assert_idle(pr):
    """No CPU burnt while nothing is due (no polling)."""
    time.sleep(0.3)
    before = cpu_time(pr.pid)
    time.sleep(1.0)
    assert cpu_time(pr.pid) - before < 0.05


def cpu_time(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.timeout(60)
def test_daemon_finishes_transaction_on_sigterm(spool, server):
    srv = server(Script())
    write_rc(spool, srv.port, defaults="queue_max_connections 1")
    spool_mails(spool, 30)
    pr = start_daemon(spool)
    try:
        poll(lambda: len(transactions(srv)) >= 3, timeout=10,
             what="deliveries")
    finally:
        rc, out, err = stop_daemon(pr)
    assert rc == 0, (rc, out, err)
    st = states(spool)
    # Nothing left in flight: each mail sent or still queued.
    assert set(st) <= {"sent", "queued"}, st
    assert st["sent"] == len(transactions(srv))


@pytest.mark.timeout(60)
def test_daemon_rereads_config_on_sighup(spool, server):
    srv = server(Script(auth={"alice": "right"}))
    defaults = "auth plain\nuser alice\npassword wrong"
    write_rc(spool, srv.port, defaults=defaults)
    pr = start_daemon(spool)
    try:
        time.sleep(0.3)
        spool_mails(spool, 1)
        poll(lambda: states(spool) == {"held": 1}, timeout=5,
             what="the mail to be held (wrong password)")
        write_rc(spool, srv.port, defaults=defaults.replace("wrong",
                                                            "right"))
        pr.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        q = spool.queue("--release", "ALL")
        assert q.returncode == 0, show(q)
        poll(lambda: states(spool) == {"sent": 1}, timeout=5,
             what="the released mail to go out with the new password")
    finally:
        rc, out, err = stop_daemon(pr)
    assert rc == 0, (rc, out, err)
    assert b"configuration reread" in err
    assert len(transactions(srv)) == 1


@pytest.mark.timeout(60)
def test_daemon_does_not_hammer_an_unreachable_account(spool, server):
    up = server(Script())
    write_rc(spool, up.port, free_port())
    spool_mails(spool, 3, "other", tag="down")
    pr = start_daemon(spool)
    try:
        time.sleep(0.3)
        spool_mails(spool, 2, "default", tag="up")
        poll(lambda: len(transactions(up)) == 2, timeout=5,
             what="the reachable account's mails")
        assert_idle(pr)
    finally:
        rc, out, err = stop_daemon(pr)
    assert rc == 0, (rc, out, err)
    down = [m for m in spool.mails(with_data=False)
            if m["account"] == "other"]
    # Tried once for the account, then left until its retry time.
    assert sum(m["tries"] for m in down) == 1
    assert all(m["attempts"] == 0 for m in down)


# --------------------------------------------------------------------------
# Crashes: kill -9 of a flushing runner loses nothing.

@pytest.mark.timeout(180)
@pytest.mark.parametrize("ext", [[], PIPELINING], ids=["plain", "pipelining"])
def test_kill9_mid_flush_loses_nothing(spool, server, ext):
    srv = server(Script(extensions=ext))
    write_rc(spool, srv.port)
    rng = random.Random(6)
    n = 200
    spool_mails(spool, n)
    ids = {m["id"]: m["message_id"] for m in spool.mails(with_data=False)}
    kills = []
    for _ in range(5):
        # The moment: once the server has taken a few more mails (a
        # fixed delay would find the whole flush over).
        target = len(transactions(srv)) + rng.randint(1, 30)
        pr = spool.popen(spool.queue_path, "msmtp-queue",
                         spool.argv("--flush"), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
        poll(lambda: len(transactions(srv)) >= target or
             pr.poll() is not None, timeout=30, interval=0.001,
             what="the flush to get going")
        pr.kill()
        pr.wait(10)
        rows = spool.mails(with_data=False)
        kills.append(collections.Counter(m["state"] for m in rows))
        assert {m["id"] for m in rows} == set(ids), "a mail is gone"
        assert all(m["state"] in ("sent", "queued", "inflight",
                                  "uncertain") for m in rows)
        if all(m["state"] == "sent" for m in rows):
            break
    # At least one kill hit a flush in progress.
    assert any(k["sent"] < n for k in kills), kills
    q = spool.queue("--flush", timeout=60)
    assert q.returncode == 0, show(q)
    assert srv.wait_closed(10)
    rows = spool.mails(with_data=False)
    assert all(m["state"] == "sent" for m in rows)
    seen = collections.Counter(message_id(t[2]) for t in transactions(srv))
    assert set(seen) == set(ids.values())
    uncertain = {m["message_id"] for m in rows if m["uncertain"]}
    dup = {k for k, v in seen.items() if v > 1}
    assert dup <= uncertain, f"duplicates outside the uncertain window: " \
                             f"{dup - uncertain}"


@pytest.mark.timeout(240)
@pytest.mark.parametrize("ext", [[], PIPELINING], ids=["plain", "pipelining"])
def test_kill9_then_flush_at_once_fifty_times(spool, server, ext):
    """50 trials: queue mails, kill -9 the flushing runner at a random
    moment, run a new --flush at once. No mail is ever lost; a mail is
    sent twice only if it was left uncertain (after the final dot)."""
    srv = server(Script(extensions=ext))
    write_rc(spool, srv.port, defaults="queue_max_connections 2")
    rng = random.Random(50)
    hit = 0
    for trial in range(50):
        spool_mails(spool, 8, tag="t%d" % trial)
        # The random moment: once the server has taken 0 to 7 of this
        # trial's mails. A random delay instead found the flush of 8
        # mails over more often than not on a quiet machine.
        target = len(transactions(srv)) + rng.randint(0, 7)
        pr = spool.popen(spool.queue_path, "msmtp-queue",
                         spool.argv("--flush"), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
        poll(lambda: len(transactions(srv)) >= target or
             pr.poll() is not None, timeout=30, interval=0.001,
             what="the flush to get going")
        pr.kill()
        pr.wait(10)
        hit += any(m["state"] != "sent"
                   for m in spool.mails(with_data=False))
        q = spool.queue("--flush", timeout=60)
        assert q.returncode == 0, show(q)
    assert hit >= 10, f"only {hit} of 50 kills hit a flush in progress"
    assert srv.wait_closed(10)
    rows = spool.mails(with_data=False)
    assert len(rows) == 400 and all(m["state"] == "sent" for m in rows)
    seen = collections.Counter(message_id(t[2]) for t in transactions(srv))
    assert set(seen) == {m["message_id"] for m in rows}
    uncertain = {m["message_id"] for m in rows if m["uncertain"]}
    dup = {k for k, v in seen.items() if v > 1}
    assert dup <= uncertain, f"duplicates outside the uncertain window: " \
                             f"{dup - uncertain}"


@pytest.mark.timeout(120)
@pytest.mark.parametrize("ext", [[], PIPELINING], ids=["plain", "pipelining"])
def test_two_flushes_with_sessions_send_each_mail_once(spool, server, ext):
    srv = server(Script(extensions=ext))
    write_rc(spool, srv.port, defaults="queue_max_connections 3")
    n = 150
    spool_mails(spool, n)
    # Two runners at once, each with its own sessions.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: spool.queue("--flush", timeout=90),
                             range(2)))
    assert all(q.returncode == 0 for q in runs), [show(q) for q in runs]
    assert srv.wait_closed(10)
    seen = collections.Counter(message_id(t[2]) for t in transactions(srv))
    assert len(seen) == n and set(seen.values()) == {1}
    assert states(spool) == {"sent": n}


# --------------------------------------------------------------------------
# RMQS (RFC 1985): ETRN after delivering.

def test_account_rmqs_sends_etrn_after_delivering(spool, server):
    srv = server(Script(extensions=["ETRN"]))
    write_rc(spool, srv.port, defaults="rmqs @example.org")
    spool_mails(spool, 3)
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    assert srv.wait_closed(10)
    assert [r.etrn for r in srv.sessions if r.etrn] == [["@example.org"]]
    assert len(transactions(srv)) == 3


def test_flush_rmqs_overrides_and_nothing_delivered_sends_none(spool,
                                                               server):
    srv = server(Script(extensions=["ETRN"]))
    write_rc(spool, srv.port, defaults="rmqs @example.org")
    spool_mails(spool, 1)
    q = spool.queue("--flush", "--rmqs=#outq")
    assert q.returncode == 0, show(q)
    assert srv.wait_closed(10)
    assert [r.etrn for r in srv.sessions] == [["#outq"]]
    srv.reset()
    q = spool.queue("--flush", "--rmqs=#outq")     # nothing to deliver
    assert q.returncode == 0 and srv.sessions == [], show(q)


def test_rmqs_refused_is_reported_not_fatal(spool, server):
    srv = server(Script(extensions=["ETRN"],
                        replies={"ETRN": "458 4.0.0 unable to queue"}))
    write_rc(spool, srv.port, defaults="rmqs mail.example.org")
    spool_mails(spool, 1)
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    assert b"ETRN mail.example.org" in q.stderr
    assert [m["state"] for m in spool.mails()] == ["sent"]
