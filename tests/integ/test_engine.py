"""The SMTP engine itself (src/smtp/session.h), driven by engine-drive.

$MSMTP_BUILD/engine-drive (tests/tools/engine_drive.c) links the engine
alone and runs any number of sessions on one libuv loop, each carrying any
number of generated mails. Everything is checked on the server side: what
a RecordingServer (recsmtpd.py) saw on each connection, when, and how the
bytes arrived; for the 100 MB mail, a streaming sink that keeps only a
hash.

  (a) one session carries 100 mails: one connection, one EHLO, 100 MAIL
      transactions, RSET only after a transaction that ended without a
      mail, every mail's bytes intact;
  (b) 8 sessions run concurrently on one loop: the server sees 8
      connections open at once and their transactions interleaved;
  (c) PIPELINING (RFC 2920): MAIL, every RCPT and DATA arrive before the
      server has answered MAIL, as one read; without PIPELINING offered,
      the client waits for each reply; and (where strace works) the
      client hands MAIL..DATA to the kernel in one write();
  (d) a 100 MB mail goes through intact with the driver's peak RSS (VmHWM)
      under 16 MB (not checked under ASan, whose shadow memory counts).
Also: a session the server ends while it is idle (421 or a hang-up
between mails) reports that, as a temporary failure, to the next mail.
"""

import hashlib
import os
import re
import shutil
import socket
import subprocess
import threading

import pytest

from recsmtpd import RecordingServer, Script

FROM = "sender@example.org"
REFUSED = "refused@example.org"
FILL = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
DRIVE_TIMEOUT = 120       # seconds for one engine-drive run (ASan: slow)

_PASSTHROUGH = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "PATH")


@pytest.fixture(scope="module")
def drive():
    build = os.environ.get("MSMTP_BUILD")
    if not build:
        pytest.fail("MSMTP_BUILD is not set", pytrace=False)
    path = os.path.join(os.path.abspath(build), "engine-drive")
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is missing: make {build}/engine-drive",
                    pytrace=False)
    return path


class Run:
    """One engine-drive run: exit code, parsed lines, summary."""

    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        self.mails = []
        self.summary = {}
        for line in self.out.splitlines():
            words = line.split()
            if not words:
                continue
            fields = dict(w.split("=", 1) for w in words[1:] if "=" in w)
            if words[0] == "mail":
                fields["status"] = words[3]
                self.mails.append(fields)
            elif words[0] == "summary":
                self.summary = fields

    def __str__(self):
        tail = "\n".join(self.out.splitlines()[-20:])
        return f"exit {self.rc}\nstdout (tail):\n{tail}\nstderr:\n{self.err}"


def run_drive(drive, port, *args):
    env = {k: os.environ[k] for k in _PASSTHROUGH if k in os.environ}
    proc = subprocess.run(
        [drive, "--host", "127.0.0.1", "--port", str(port), "--timeout",
         "30", *[str(a) for a in args]],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=env, timeout=DRIVE_TIMEOUT)
    r = Run(proc)
    # Sanitizer reports go to stderr and must not be there at all.
    assert not re.search(r"AddressSanitizer|LeakSanitizer|runtime error",
                         r.err), str(r)
    return r


def mail_bytes(s, i, size, rcpt):
    """Mail i of session s exactly as engine-drive generates it (LF)."""
    head = (f"From: <{FROM}>\nTo: <{rcpt}>\nSubject: engine-drive s{s} m{i}"
            f"\nMessage-ID: <s{s}.m{i}@engine-drive.test>\n\n").encode()
    size = max(size, len(head) + 1)
    parts, n, j = [head], len(head), 0
    while n < size:
        line = b"%c%09d %s\n" % (46 if j % 16 == 3 else 76, j, FILL)
        parts.append(line)
        n += len(line)
        j += 1
    data = b"".join(parts)[:size]
    return data[:-1] + b"\n"


def wire(data):
    """The content a server keeps after DATA: CRLF, dots unstuffed."""
    return data.replace(b"\n", b"\r\n")


def refused_script(**kw):
    return Script(replies={"RCPT": {REFUSED: "550 5.1.1 no such user"}}, **kw)


# --------------------------------------------------------------------------
# (a) 100 mails in one session.

@pytest.mark.parametrize("pipelining", [True, False],
                         ids=["pipelining", "no-pipelining"])
def test_100_mails_in_one_session(drive, pipelining):
    rcpt = "rcpt@example.org"
    ext = ["PIPELINING"] if pipelining else []
    with RecordingServer(refused_script(extensions=ext)) as srv:
        r = run_drive(drive, srv.port, "--sessions", 1, "--mails", 100,
                      "--size", 3000, "--rcpt", rcpt, "--refuse-every", 10)
        assert srv.wait_closed()
    assert r.rc == 0, str(r)
    assert (r.summary["ok"], r.summary["refused"], r.summary["failed"]) == \
        ("90", "10", "0"), str(r)

    assert len(srv.sessions) == 1, "one connection for all 100 mails"
    rec = srv.sessions[0]
    raw = bytes(rec.raw)
    cmds = [ln.split(b" ")[0].split(b":")[0] for ln in raw.split(b"\r\n")
            if re.match(rb"(EHLO|HELO|MAIL|RCPT|DATA|RSET|QUIT)\b", ln)]
    assert cmds.count(b"EHLO") == 1 and cmds.count(b"HELO") == 0
    assert cmds.count(b"MAIL") == 100
    assert cmds.count(b"QUIT") == 1 and cmds[-1] == b"QUIT"
    # A refused mail (i % 10 == 5) ends without DATA's mail; the engine
    # says RSET before the next MAIL, and only then.
    assert cmds.count(b"RSET") == 10
    mails = [k for k, c in enumerate(cmds) if c == b"MAIL"]
    for n, k in enumerate(mails[1:], 1):
        assert (cmds[k - 1] == b"RSET") == (n % 10 == 6), (n, cmds[k - 3:k])

    # Every delivered mail, byte for byte, in order.
    want = [i for i in range(100) if i % 10 != 5]
    assert len(rec.transactions) == 90
    for i, (mfrom, rcpts, content) in zip(want, rec.transactions):
        assert mfrom == FROM and rcpts == [rcpt]
        assert content == wire(mail_bytes(0, i, 3000, rcpt)), f"mail {i}"
    per_mail = sorted(float(m["ms"]) for m in r.mails)
    print(f"\n(a) {'with' if pipelining else 'without'} PIPELINING: 1 "
          f"connection, 100 MAIL transactions (90 sent, 10 refused, 10 RSET)"
          f" in {r.summary['seconds']} s; per mail median "
          f"{per_mail[50]:.2f} ms, max {per_mail[-1]:.2f} ms")


# --------------------------------------------------------------------------
# (b) 8 concurrent sessions on one loop.

def max_overlap(recs):
    events = sorted([(r.opened_at, 1) for r in recs] +
                    [(r.closed_at, -1) for r in recs])
    best = cur = 0
    for _, d in events:
        cur += d
        best = max(best, cur)
    return best


def test_8_sessions_on_one_loop(drive):
    sessions, mails, size = 8, 25, 4000
    with RecordingServer(Script(extensions=["PIPELINING"])) as srv:
        r = run_drive(drive, srv.port, "--sessions", sessions, "--mails",
                      mails, "--size", size, "--barrier")
        assert srv.wait_closed()
    assert r.rc == 0, str(r)
    assert r.summary["ok"] == str(sessions * mails), str(r)

    recs = srv.sessions
    assert len(recs) == sessions
    assert max_overlap(recs) == sessions, "8 connections open at once"
    # Which session is which: the Subject names it.
    by_session = {}
    for rec in recs:
        assert len(rec.transactions) == mails
        subjects = [re.search(rb"Subject: engine-drive s(\d+) m(\d+)",
                              c).groups() for _, _, c in rec.transactions]
        s = int(subjects[0][0])
        assert [(int(a), int(b)) for a, b in subjects] == \
            [(s, i) for i in range(mails)]
        for i, (_, _, content) in enumerate(rec.transactions):
            assert content == wire(mail_bytes(s, i, size,
                                              "rcpt@example.org"))
        by_session[s] = rec
    assert sorted(by_session) == list(range(sessions))
    # Interleaved, not one after the other: there is an instant when
    # every session has delivered a mail and still has one to deliver.
    firsts = [rec.txn_times[0] for rec in recs]
    lasts = [rec.txn_times[-1] for rec in recs]
    assert max(firsts) < min(lasts)
    print(f"\n(b) {sessions} sessions x {mails} mails on one loop: "
          f"{max_overlap(recs)} connections open at once, "
          f"{sessions * mails} mails in {r.summary['seconds']} s "
          f"({r.summary['mails_per_s']} mails/s)")


# --------------------------------------------------------------------------
# (c) PIPELINING, seen from the server.

RCPTS = ["a@example.org", "b@example.org", "c@example.org"]


def envelope(rcpts):
    return (f"MAIL FROM:<{FROM}>\r\n".encode() +
            b"".join(f"RCPT TO:<{x}>\r\n".encode() for x in rcpts))


def test_pipelining_one_write(drive):
    # The server holds its MAIL reply until DATA has arrived (at most
    # 2 s): a pipelining client has sent it already.
    script = Script(extensions=["PIPELINING"], hold_replies=2.0,
                    record_reads=True)
    with RecordingServer(script) as srv:
        args = ["--mails", 3, "--size", 500]
        for x in RCPTS:
            args += ["--rcpt", x]
        r = run_drive(drive, srv.port, *args)
        assert srv.wait_closed()
    assert r.rc == 0, str(r)
    rec = srv.sessions[0]
    assert len(rec.transactions) == 3
    batch = envelope(RCPTS) + b"DATA\r\n"
    held = [b for c, b in rec.before_reply if c == "MAIL"]
    # Before the MAIL reply: MAIL, every RCPT, DATA, and nothing more
    # (the mail itself waits for 354).
    assert held == [batch] * 3
    # ... as one write: each batch arrived in a single read.
    assert sum(1 for chunk in rec.reads if chunk == batch) == 3, rec.reads
    print(f"\n(c) PIPELINING offered: 3 transactions, each MAIL+"
          f"{len(RCPTS)} RCPT+DATA ({len(batch)} bytes) received in one "
          f"read before the MAIL reply")


def test_no_pipelining_waits_for_each_reply(drive):
    # Each MAIL and RCPT reply is held for 0.3 s: a client that waits
    # sends nothing meanwhile.
    script = Script(hold_replies=0.3)
    with RecordingServer(script) as srv:
        args = ["--mails", 2, "--size", 500]
        for x in RCPTS[:2]:
            args += ["--rcpt", x]
        r = run_drive(drive, srv.port, *args)
        assert srv.wait_closed()
    assert r.rc == 0, str(r)
    rec = srv.sessions[0]
    assert len(rec.transactions) == 2
    one = [(f"MAIL FROM:<{FROM}>\r\n").encode()] + \
        [f"RCPT TO:<{x}>\r\n".encode() for x in RCPTS[:2]]
    assert rec.before_reply == [
        ("MAIL", one[0]), ("RCPT", one[1]), ("RCPT", one[2])] * 2
    print("\n(c) PIPELINING not offered: MAIL, RCPT, RCPT each alone on "
          "the wire until answered (held 0.3 s each), 2 transactions")


def test_pipelining_one_write_syscall(drive, tmp_path):
    # The client side of "one write": every write-like system call that
    # carries MAIL also carries every RCPT and DATA.
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed")
    log = tmp_path / "strace.log"
    with RecordingServer(Script(extensions=["PIPELINING"])) as srv:
        argv = ["strace", "-f", "-qq", "-s", "4096", "-o", str(log), "-e",
                "trace=write,writev,send,sendto,sendmsg", drive, "--host",
                "127.0.0.1", "--port", str(srv.port), "--mails", "3",
                "--size", "500"]
        for x in RCPTS:
            argv += ["--rcpt", x]
        # LeakSanitizer cannot run under ptrace; leaks are checked by
        # the other tests.
        env = dict(os.environ, ASAN_OPTIONS=os.environ.get(
            "ASAN_OPTIONS", "") + ":detect_leaks=0")
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, env=env,
                              capture_output=True, text=True, timeout=60)
        if proc.returncode != 0 and "ptrace" in proc.stderr:
            pytest.skip("strace cannot trace here: " + proc.stderr[:200])
        assert srv.wait_closed()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    calls = [ln for ln in log.read_text().splitlines() if "MAIL FROM" in ln]
    batch = (envelope(RCPTS) + b"DATA\r\n").decode()
    escaped = batch.replace("\r", "\\r").replace("\n", "\\n")
    assert len(calls) == 3, calls
    for ln in calls:
        assert f'"{escaped}"' in ln and ln.rstrip().endswith(
            f"= {len(batch)}"), ln


# --------------------------------------------------------------------------
# (d) A 100 MB mail with bounded memory.

class Sink(threading.Thread):
    """A minimal SMTP server for one connection that keeps only the
    SHA-256 and the length of the mail content (dots unstuffed)."""

    def __init__(self, hangup=None):
        super().__init__(daemon=True)
        self.hangup = hangup     # after the first mail: b"421 ..." or b""
        self.ls = socket.create_server(("127.0.0.1", 0))
        self.ls.settimeout(30)
        self.port = self.ls.getsockname()[1]
        self.hash = hashlib.sha256()
        self.length = 0
        self.mails = 0
        self.error = None

    def run(self):
        try:
            conn, _ = self.ls.accept()
            conn.settimeout(30)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with conn, conn.makefile("rb") as f:
                self.serve(conn, f)
        except Exception as e:  # reported by the test
            self.error = e
        finally:
            self.ls.close()

    def serve(self, conn, f):
        conn.sendall(b"220 sink ESMTP\r\n")
        while True:
            line = f.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb == b"EHLO":
                conn.sendall(b"250-sink\r\n250 PIPELINING\r\n")
            elif verb == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                while True:
                    line = f.readline()
                    if not line:
                        return
                    if line == b".\r\n":
                        break
                    if line.startswith(b"."):
                        line = line[1:]
                    self.hash.update(line)
                    self.length += len(line)
                self.mails += 1
                conn.sendall(b"250 2.0.0 kept a hash\r\n")
                if self.hangup is not None:
                    conn.sendall(self.hangup)
                    return
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"250 ok\r\n")


@pytest.mark.timeout(300)
def test_100mb_mail_bounded_memory(drive):
    size = 100 * 1000 * 1000
    sink = Sink()
    sink.start()
    r = run_drive(drive, sink.port, "--size", size)
    sink.join(60)
    assert not sink.is_alive() and sink.error is None, sink.error
    assert r.rc == 0, str(r)
    want = wire(mail_bytes(0, 0, size, "rcpt@example.org"))
    assert sink.mails == 1
    assert sink.length == len(want)
    assert sink.hash.hexdigest() == hashlib.sha256(want).hexdigest()
    rss_kb = int(r.summary["maxrss_kb"])
    print(f"\n(d) 100 MB mail ({len(want)} bytes on the wire) intact in "
          f"{r.summary['seconds']} s, engine-drive peak RSS "
          f"{rss_kb / 1024:.1f} MB (sanitized={r.summary['sanitized']})")
    if r.summary["sanitized"] == "0":
        assert rss_kb < 16 * 1024


# --------------------------------------------------------------------------
# A session ended by the server while idle.

@pytest.mark.parametrize("hangup", [b"421 4.4.2 idle timeout\r\n", b""],
                         ids=["421", "eof"])
def test_idle_session_ended_by_server(drive, hangup):
    # After the first mail the server says 421 (or nothing) and hangs up;
    # the driver waits 200 ms (a timer: the loop runs and sees it), then
    # asks for the second mail. That mail is not tried: it gets the
    # session's failure, temporary (never "local": the queue would hold
    # it), with a message and no recipient results.
    sink = Sink(hangup=hangup)
    sink.start()
    r = run_drive(drive, sink.port, "--mails", 2, "--pause-ms", 200)
    sink.join(30)
    assert not sink.is_alive() and sink.error is None, sink.error
    assert sink.mails == 1
    assert r.rc == 1, str(r)
    first, second = r.mails
    assert first["status"] == "ok"
    assert second["status"] == "FAIL" and second["cls"] == "temporary", \
        str(r)
    assert second["rcpts"] == "-" and second["size"] == "0"
    assert second["code"] == ("421" if hangup else "0")
    assert "err" in second, str(r)
