"""Timeouts are deadlines (issue 17), not the silence allowed between bytes.

A server that drips its reply a byte at a time (every 0.2 s, for ever)
must not hold msmtp or the runner for ever: with timeout 2, each gives up
within a bounded time, with the exit code and queue state of a timeout.
msmtpd likewise cuts off clients that drip their command lines, so that a
handful of them cannot hold every session slot.
"""

import socket
import threading
import time

import pytest

from conftest import free_port
from test_msmtpd import Msmtpd, Rec, wait_for
from test_spool import BOB, show

EX_OK, EX_IOERR, EX_TEMPFAIL = 0, 74, 75
DRIP = 0.2            # seconds between two bytes
TIMEOUT = 2           # the account's timeout
BOUND = 12            # seconds: a timeout of 2 must end well within this


class DripServer:
    """An SMTP server on 127.0.0.1 that answers normally up to ``stage``
    ("greeting", "ehlo" or "eom": after the final dot), then sends that
    reply as never-ending continuation lines ("250-dripping"), one byte
    every DRIP seconds, until the client goes or the test ends."""

    def __init__(self, stage):
        self.stage = stage
        self.stop = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.dripped = threading.Event()    # a drip has begun
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def close(self):
        self.stop.set()
        for t in self.threads:
            t.join(10)
        self.sock.close()

    def _accept(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            t = threading.Thread(target=self._serve, args=(conn,),
                                 daemon=True)
            self.threads.append(t)
            t.start()

    def _drip(self, conn, code):
        self.dripped.set()
        text = b"%d-dripping\r\n" % code
        i = 0
        while not self.stop.wait(DRIP):
            try:
                conn.sendall(text[i % len(text):i % len(text) + 1])
            except OSError:
                return
            i += 1

    def _serve(self, conn):
        conn.settimeout(30)
        f = conn.makefile("rb")
        try:
            if self.stage == "greeting":
                return self._drip(conn, 220)
            conn.sendall(b"220 drip.test ESMTP\r\n")
            in_data = False
            for line in f:
                if in_data:
                    if line == b".\r\n":
                        in_data = False
                        if self.stage == "eom":
                            return self._drip(conn, 250)
                        conn.sendall(b"250 ok\r\n")
                    continue
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    if self.stage == "ehlo":
                        return self._drip(conn, 250)
                    conn.sendall(b"250 drip.test\r\n")
                elif verb == b"DATA":
                    in_data = True
                    conn.sendall(b"354 go\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 ok\r\n")
        except OSError:
            pass
        finally:
            f.close()
            conn.close()


@pytest.fixture
def drip():
    started = []

    def start(stage):
        srv = DripServer(stage)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.close()


def timed(fn, *args, **kw):
    t0 = time.monotonic()
    p = fn(*args, **kw)
    return p, time.monotonic() - t0


STAGES = ["greeting", "ehlo", "eom"]


@pytest.mark.parametrize("stage", STAGES)
def test_msmtp_direct_gives_up(spool, drip, stage):
    srv = drip(stage)
    spool.rc(srv.port, f"timeout {TIMEOUT}\n")
    p, took = timed(spool.msmtp, "--queue=off", BOB, timeout=BOUND + 10)
    assert srv.dripped.is_set()
    assert p.returncode == EX_IOERR, show(p)
    assert b"timed out" in p.stderr, show(p)
    assert took < BOUND, f"took {took:.1f}s"


@pytest.mark.parametrize("stage", STAGES)
def test_msmtp_queued_gives_up(spool, drip, stage):
    srv = drip(stage)
    spool.rc(srv.port, f"timeout {TIMEOUT}\n")
    p, took = timed(spool.msmtp, BOB, timeout=BOUND + 10)
    assert srv.dripped.is_set()
    assert p.returncode == EX_OK, show(p)       # it waits in the queue
    assert took < BOUND, f"took {took:.1f}s"
    [m] = spool.mails(with_data=False)
    # After the final dot no one knows whether the server took it.
    assert m["state"] == ("uncertain" if stage == "eom" else "deferred"), m


@pytest.mark.parametrize("stage", STAGES)
def test_runner_gives_up(spool, drip, stage):
    srv = drip(stage)
    spool.rc(srv.port, f"timeout {TIMEOUT}\n")
    for _ in range(2):
        p = spool.msmtp("-odq", BOB)
        assert p.returncode == 0, show(p)
    q, took = timed(spool.queue, "--flush", timeout=3 * BOUND)
    assert srv.dripped.is_set()
    assert q.returncode == EX_TEMPFAIL, show(q)
    # Each session gives up within its deadline; the second mail may
    # need a session of its own.
    assert took < 2 * BOUND, f"took {took:.1f}s"
    states = sorted(m["state"] for m in spool.mails(with_data=False))
    assert "sent" not in states and "inflight" not in states, states


# --------------------------------------------------------------------------
# msmtpd: slow-loris clients.

class Loris:
    """A client that sends a command line one byte every DRIP seconds,
    never ending it, and keeps what the server says."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.got = b""
        self.eof = threading.Event()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._drip, daemon=True),
                        threading.Thread(target=self._read, daemon=True)]
        for t in self.threads:
            t.start()

    def _drip(self):
        line = b"EHLO " + b"x" * 400
        i = 0
        while not self.stop.wait(DRIP) and not self.eof.is_set():
            try:
                self.s.sendall(line[i % len(line):i % len(line) + 1])
            except OSError:
                return
            i += 1

    def _read(self):
        self.s.settimeout(0.5)
        while not self.stop.is_set():
            try:
                chunk = self.s.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                break
            if not chunk:
                break
            self.got += chunk
        self.eof.set()

    def close(self):
        self.stop.set()
        for t in self.threads:
            t.join(10)
        self.s.close()


def greeting(port):
    c = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        got = c.recv(4096)
        c.sendall(b"QUIT\r\n")
        return got
    finally:
        c.close()


def test_msmtpd_cuts_off_dripping_clients(tmp_path, confdir):
    rec = Rec(tmp_path)
    (tmp_path / "d").mkdir()
    d = Msmtpd(tmp_path / "d", [f"--command={rec.command()}",
                                f"--timeout={TIMEOUT}", "--max-sessions=3"],
               env=confdir.env())
    lorises = []
    try:
        t0 = time.monotonic()
        lorises = [Loris(d.port) for _ in range(3)]
        wait_for(lambda: all(x.eof.is_set() for x in lorises), BOUND,
                 "msmtpd to cut off the dripping clients")
        took = time.monotonic() - t0
        for x in lorises:
            assert b"421 4.4.2" in x.got and b"timeout" in x.got, x.got
        assert took >= TIMEOUT - 0.5, f"cut off after {took:.1f}s"
        for x in lorises:
            x.close()
        # The slots are free again (once each closed connection has
        # been drained): a client gets a session.
        wait_for(lambda: greeting(d.port).startswith(b"220 "), BOUND,
                 "a free session")
    finally:
        for x in lorises:
            x.close()
        d.stop()
    assert "idle timeout" in d.log_text()
