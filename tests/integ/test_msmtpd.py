"""msmtpd: the SMTP front door, driven by swaks (a real client) and by raw
sockets for what no client would send.

Every test starts its own msmtpd on a free 127.0.0.1 port (ready once its
log says it listens), with a recording command (REC below) unless it
pipes to our msmtp, and stops it with SIGTERM, which must end it with
exit status 0 (under the sanitizers: without a leak report). Waits are
polls with deadlines.

REC, the recording command, is called as ``rec.py OUTDIR FROM RCPT...``:
it notes its pid in PID.started, streams its input to PID.eml.part,
renames that to PID.eml at the end of its input and writes PID.json
(arguments, exit status). A recipient exitN@... makes it exit with N,
signal@... makes it kill itself, slow@... makes it read slowly.
"""

import base64
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import RecordingServer, Script, free_port

SWAKS = "/usr/bin/swaks"
PYTHON = "/usr/bin/python3"

REC = r'''
import json, os, re, signal, sys, time
out, args = sys.argv[1], sys.argv[2:]
pid = os.getpid()
base = os.path.join(out, str(pid))
with open(base + ".started", "w") as f:
    f.write(json.dumps(args))
slow = any(a.startswith("slow@") for a in args)
with open(base + ".eml.part", "wb") as f:
    while True:
        chunk = sys.stdin.buffer.read1(16384 if slow else 65536)
        if not chunk:
            break
        f.write(chunk)
        if slow:
            time.sleep(0.001)
code = 0
for a in args[1:]:
    m = re.match(r"exit(\d+)@", a)
    if m:
        code = int(m.group(1))
    if a.startswith("signal@"):
        os.kill(pid, signal.SIGKILL)
os.rename(base + ".eml.part", base + ".eml")
with open(base + ".tmp", "w") as f:
    json.dump({"args": args, "status": code}, f)
os.rename(base + ".tmp", base + ".json")
if code:
    sys.stderr.write("rec: exiting with %d\n" % code)
sys.exit(code)
'''


def build_path(name):
    build = os.environ.get("MSMTP_BUILD")
    if not build:
        pytest.fail("MSMTP_BUILD is not set", pytrace=False)
    path = os.path.join(os.path.abspath(build), name)
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is missing", pytrace=False)
    return path


def sanitized():
    with open(build_path("msmtpd"), "rb") as f:
        return b"__asan_init" in f.read()


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][0] != "Z"
    except OSError:         # gone, possibly while being read
        return False


class Rec:
    """The recording command's output directory."""

    def __init__(self, root):
        self.dir = Path(root) / "rec"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.script = Path(root) / "rec.py"
        self.script.write_text(REC)

    def command(self):
        return f"{PYTHON} {self.script} {self.dir} %F"

    def mails(self):
        out = []
        for j in sorted(self.dir.glob("*.json")):
            meta = json.loads(j.read_text())
            meta["data"] = j.with_suffix(".eml").read_bytes()
            meta["pid"] = int(j.stem)
            out.append(meta)
        return out

    def running(self):
        """Pids of processes running the script."""
        pids = []
        for p in Path("/proc").iterdir():
            try:
                argv = (p / "cmdline").read_bytes().split(b"\0")
                if argv[1:2] == [str(self.script).encode()] and \
                        pid_alive(int(p.name)):
                    pids.append(int(p.name))
            except (OSError, ValueError):
                pass
        return pids

    def wait_all_ended(self):
        wait_for(lambda: not self.running(), 10, "the command's end")

    def started(self):
        return sorted(int(p.name.split(".")[0])
                      for p in self.dir.glob("*.started"))


class Msmtpd:
    """One msmtpd process on a free port."""

    def __init__(self, root, args=(), env=None):
        self.root = Path(root)
        self.log = self.root / "msmtpd.log"
        self.port = free_port()
        argv = [build_path("msmtpd"), "--interface=127.0.0.1",
                f"--port={self.port}", f"--log={self.log}", *args]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        wait_for(lambda: self.proc.poll() is not None or
                 "listening on" in self.log_text(), 10, "msmtpd to listen")
        assert self.proc.poll() is None, self.proc.stderr.read()

    def log_text(self):
        try:
            return self.log.read_text()
        except FileNotFoundError:
            return ""

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM; it must exit 0 (and, sanitized, report no leak)."""
        if self.proc.stderr.closed:
            return b""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
            pytest.fail("msmtpd did not exit within 15s of SIGTERM")
        err = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        assert rc == 0, f"msmtpd exited {rc}: {err.decode(errors='replace')}"
        return err

    def peak_rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            m = re.search(r"VmHWM:\s+(\d+) kB", f.read())
        return int(m.group(1))


@pytest.fixture
def rec(tmp_path):
    return Rec(tmp_path)


@pytest.fixture
def daemon(tmp_path, confdir):
    """Factory: ``d = daemon(*args)`` starts msmtpd (stopped at the end)."""
    started = []

    def start(*args, env=None):
        d = Msmtpd(tmp_path / f"d{len(started)}", args,
                   env=env or confdir.env())
        started.append(d)
        return d

    for p in (tmp_path / "d0", tmp_path / "d1"):
        p.mkdir()
    yield start
    for d in started:
        d.stop()


def swaks(port, *args, timeout=60, check=None):
    """Run swaks against 127.0.0.1:port; (exit code, transcript)."""
    argv = [SWAKS, "--server", f"127.0.0.1:{port}", "--timeout", "20",
            "--helo", "client.test", *args]
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=timeout)
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    if check is not None:
        assert p.returncode == check, out
    return p.returncode, out


class Client:
    """A raw SMTP client socket."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def line(self, timeout=10):
        self.s.settimeout(timeout)
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError(self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line + b"\n"

    def reply(self, timeout=10):
        """A whole (multi-line) reply, as bytes."""
        out = b""
        while True:
            line = self.line(timeout)
            out += line
            if line[3:4] != b"-":
                return out

    def expect(self, code, timeout=10):
        r = self.reply(timeout)
        assert r.startswith(b"%d" % code), r
        return r

    def eof(self, timeout=10):
        """Whether the server closes the connection (nothing more comes)."""
        self.s.settimeout(timeout)
        try:
            while True:
                chunk = self.s.recv(65536)
                if not chunk:
                    return self.buf == b""
                self.buf += chunk
        except (ConnectionResetError, socket.timeout):
            return False

    def close(self):
        self.s.close()


def helo(c, greeting=True):
    if greeting:
        c.expect(220)
    c.send(b"EHLO client.test\r\n")
    return c.expect(250)


# ---------------------------------------------------------------------------
# The options.

def test_version_help_and_bad_options(confdir):
    run = lambda *a: subprocess.run([build_path("msmtpd"), *a],  # noqa: E731
                                    capture_output=True, timeout=10,
                                    env=confdir.env(),
                                    start_new_session=True)   # no tty
    p = run("--version")
    assert p.returncode == 0 and p.stdout.startswith(b"msmtpd version ")
    p = run("--help")
    assert p.returncode == 0
    for opt in (b"--inetd", b"--interface=", b"--port=", b"--log=",
                b"--command=", b"--auth=", b"--max-sessions=",
                b"--timeout="):
        assert opt in p.stdout
    p = run("--port=")
    assert p.returncode == 64
    assert p.stderr == (b"msmtpd: option '--port' requires non-empty "
                        b"argument\n")
    for bad in ("--port=x", "--bogus", "--interface=localhost",
                "--command='x", "--max-sessions=0"):
        p = run(bad)
        assert p.returncode == 64, bad
        assert p.stderr.startswith(b"msmtpd: "), bad
    # No password: passwordeval prints nothing, or there is no terminal.
    p = run("--auth=joe,true", "--interface=127.0.0.1", "--port=1")
    assert p.returncode == 78
    assert p.stderr == b"msmtpd: cannot read output of 'true'\n"
    p = run("--auth=joe", "--interface=127.0.0.1", "--port=1")
    assert p.returncode == 78
    assert b"no terminal to ask for the password" in p.stderr
    # The port is taken: a clear error, no hang.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        p = run("--interface=127.0.0.1", f"--port={s.getsockname()[1]}")
        assert p.returncode == 69
        assert b"cannot listen on 127.0.0.1" in p.stderr


# ---------------------------------------------------------------------------
# Plain, pipelined, AUTH.

MAIL = (b"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\n"
        b"Subject: msmtpd test\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
        b"Message-ID: <msmtpd-test@example.org>\r\n\r\n"
        b"Hello.\r\n.. a line starting with a dot\r\n\xc3\xa4 8-bit\r\n"
        b"a bare\rCR\r\n" + b"x" * 2000 + b"\r\n")

RECEIVED = re.compile(rb"Received: from client\.test(?: \(\[127\.0\.0\.1\]\))?"
                      rb"(\r?\n)\tby [A-Za-z0-9.-]+ \(msmtpd\) with "
                      rb"(ESMTPA?|SMTP);\1\t[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2}"
                      rb" \d{4} \d\d:\d\d:\d\d [+-]\d{4}\1")


def swaks_data(tmp_path, mail=MAIL):
    """A file for swaks --data @FILE --no-data-fixup: the wire form of
    mail (dot-stuffed), without the final CRLF, which swaks adds."""
    wire = re.sub(rb"(?m)^\.", b"..", mail) + b"."
    path = tmp_path / "mail.swaks"
    path.write_bytes(wire)
    return path


def unfold(data):
    """The mail as the command got it: LF line ends, back to CRLF."""
    return data.replace(b"\n", b"\r\n")


def split_received(data, crlf=False):
    m = RECEIVED.match(data)
    assert m, data[:300]
    assert (m.group(1) == b"\r\n") == crlf
    return m.group(0), data[m.end():]


def test_plain(tmp_path, rec, daemon):
    d = daemon(f"--command={rec.command()}")
    rc, out = swaks(d.port, "--from", "alice@example.org", "--to",
                    "bob@example.net,carol@example.net",
                    "--data", f"@{swaks_data(tmp_path)}", "--no-data-fixup",
                    check=0)
    assert "<-  250 2.0.0 Ok, mail was piped" in out
    [m] = rec.mails()
    assert m["args"] == ["alice@example.org", "bob@example.net",
                         "carol@example.net"]
    assert m["status"] == 0
    _, body = split_received(m["data"])
    assert unfold(body) == MAIL
    assert b"\r" in body and b"a bare\rCR\n" in body    # bare CR is data
    log = d.log_text()
    assert re.search(r"info: client=127\.0\.0\.1 helo=client\.test "
                     r"from=<alice@example\.org> recipients=<bob@example\.net>"
                     r",<carol@example\.net> mailsize=\d+ exitcode=EX_OK "
                     r"smtpstatus=250 smtpmsg='250 2\.0\.0 Ok, mail was "
                     r"piped'", log), log


def test_pipelined_two_transactions(tmp_path, rec, daemon):
    d = daemon(f"--command={rec.command()}")
    rc, out = swaks(d.port, "--pipeline", "--from", "a@example.org",
                    "--to", "b@example.net,c@example.net", "--data",
                    f"@{swaks_data(tmp_path)}", "--no-data-fixup", check=0)
    # swaks sent MAIL, RCPT, RCPT and DATA in one go, then the replies came
    assert re.search(r" -> MAIL FROM:<a@example.org>\n -> RCPT TO:<b@example"
                     r".net>\n -> RCPT TO:<c@example.net>\n -> DATA\n<-  250",
                     out), out
    # Two transactions in one session, pipelined by hand, the second one's
    # commands sent right behind the first mail's final dot.
    c = Client(d.port)
    helo(c)
    c.send(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
           b"DATA\r\n")
    for code in (250, 250, 354):
        c.expect(code)
    c.send(b"first\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<exit75@example.net>\r\n"
           b"DATA\r\n")
    for code in (250, 250, 250, 354):
        c.expect(code)
    c.send(b"second\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n")
    assert c.expect(451).startswith(b"451 4.3.0 Pipe command reported "
                                    b"error 75 (EX_TEMPFAIL): rec: exiting "
                                    b"with 75")
    for code in (250, 250, 221):
        c.expect(code)
    assert c.eof()
    mails = rec.mails()
    assert len(mails) == 3
    assert [m["args"][0] for m in mails].count("<>") == 1   # null sender


def auth_args(method, password):
    return ["--auth", method, "--auth-user", "joe", "--auth-password",
            password]


@pytest.mark.parametrize("method", ["PLAIN", "LOGIN"])
def test_auth(tmp_path, rec, daemon, method):
    d = daemon(f"--command={rec.command()}", "--auth=joe,echo 's3cr3t pw'")
    base = ["--from", "a@example.org", "--to", "b@example.net"]
    rc, out = swaks(d.port, *base, *auth_args(method, "s3cr3t pw"), check=0)
    assert "250-AUTH PLAIN LOGIN" in out
    assert "<-  235 2.7.0 Authentication successful" in out
    assert len(rec.mails()) == 1
    assert re.search(rb"with ESMTPA;", rec.mails()[0]["data"])
    # Without AUTH, MAIL is refused.
    rc, out = swaks(d.port, *base)
    assert rc != 0
    assert "530 5.7.0 Authentication required" in out
    assert len(rec.mails()) == 1
    assert "authenticated user joe" in d.log_text()


def auth_time(port, user, password):
    """Seconds from AUTH PLAIN to its verdict, and the verdict's code."""
    c = Client(port)
    helo(c)
    resp = base64.b64encode(b"\0" + user + b"\0" + password)
    t0 = time.monotonic()
    c.send(b"AUTH PLAIN " + resp + b"\r\n")
    r = c.reply(timeout=20)
    elapsed = time.monotonic() - t0
    c.send(b"QUIT\r\n")
    c.close()
    return elapsed, int(r[:3])


def test_auth_failure_delays_every_session(rec, daemon):
    d = daemon(f"--command={rec.command()}", "--auth=joe,echo secret")
    fast, code = auth_time(d.port, b"joe", b"secret")
    assert code == 235 and fast < 0.5
    # A bad password, with swaks: 535 after the delay.
    t0 = time.monotonic()
    rc, out = swaks(d.port, "--from", "a@example.org", "--to",
                    "b@example.net", *auth_args("PLAIN", "wrong"))
    bad = time.monotonic() - t0
    assert rc != 0
    assert "535 5.7.8 Authentication credentials invalid" in out
    assert bad >= 1.0, bad
    # From now on, AUTH in any new session waits too, right or wrong.
    slow, code = auth_time(d.port, b"joe", b"secret")
    assert code == 235 and slow >= 0.95, slow
    slow2, code = auth_time(d.port, b"joe", b"nope")
    assert code == 535 and slow2 >= 0.95, slow2
    print(f"AUTH verdict: {fast:.3f}s before a failure, "
          f"{slow:.3f}s/{slow2:.3f}s after")
    assert "authentication failed for user joe" in d.log_text()
    assert rec.mails() == []


def test_auth_three_failures_close_the_session(daemon, rec):
    d = daemon(f"--command={rec.command()}", "--auth=joe,echo secret")
    c = Client(d.port)
    helo(c)
    bad = base64.b64encode(b"\0joe\0x")
    c.send(b"AUTH PLAIN " + bad + b"\r\n")
    c.expect(535, timeout=20)
    c.send(b"AUTH LOGIN\r\n")
    c.expect(334)
    c.send(base64.b64encode(b"joe") + b"\r\n")
    c.expect(334)
    c.send(base64.b64encode(b"y") + b"\r\n")
    c.expect(535, timeout=20)
    c.send(b"AUTH PLAIN " + bad + b"\r\n")
    c.expect(535, timeout=20)
    c.expect(421)
    assert c.eof()


# ---------------------------------------------------------------------------
# Limits.

def test_session_limit(rec, daemon):
    d = daemon(f"--command={rec.command()}", "--max-sessions=2")
    a, b = Client(d.port), Client(d.port)
    a.expect(220)
    b.expect(220)
    rc, out = swaks(d.port, "--from", "a@example.org", "--to",
                    "b@example.net")
    assert rc != 0
    assert "421 4.3.2" in out and "Too many sessions" in out
    c = Client(d.port)
    c.expect(421)
    assert c.eof()
    # One leaves: there is room again.
    a.send(b"QUIT\r\n")
    a.expect(221)
    a.close()

    def room():
        rc, out = swaks(d.port, "--from", "a@example.org", "--to",
                        "b@example.net", "--quit-after", "EHLO")
        return rc == 0
    wait_for(room, 10, "a free session")
    b.close()
    assert "refused: too many sessions (max 2)" in d.log_text()


def test_idle_timeout(tmp_path, rec, daemon):
    d = daemon(f"--command={rec.command()}", "--timeout=1")
    c = Client(d.port)
    c.expect(220)
    t0 = time.monotonic()
    r = c.expect(421, timeout=10)
    assert b"timeout" in r
    assert c.eof()
    assert 0.9 <= time.monotonic() - t0 < 5
    # Idle in the middle of DATA: timed out, and the command never gets
    # the end of its input.
    c = Client(d.port)
    helo(c)
    c.send(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
           b"DATA\r\n")
    for code in (250, 250, 354):
        c.expect(code)
    c.send(b"Subject: half\r\n\r\nhalf a ")
    c.expect(421, timeout=10)
    wait_for(lambda: rec.started(), 10, "the command to start")
    [pid] = rec.started()
    wait_for(lambda: not pid_alive(pid), 10, "the command to be killed")
    assert rec.mails() == []
    assert "idle timeout during DATA" in d.log_text()


def test_size_limit(tmp_path, rec, daemon):
    d = daemon(f"--command={rec.command()}", "--max-size=1000")
    rc, out = swaks(d.port, "--from", "a@example.org", "--to",
                    "b@example.net", "--quit-after", "EHLO", check=0)
    assert "250-SIZE 1000" in out
    c = Client(d.port)
    helo(c)
    c.send(b"MAIL FROM:<a@example.org> SIZE=1001\r\n")
    c.expect(552)
    c.send(b"MAIL FROM:<a@example.org> SIZE=1000\r\nRCPT TO:<b@example.net>"
           b"\r\nDATA\r\n")
    for code in (250, 250, 354):
        c.expect(code)
    c.send(b"x" * 2000 + b"\r\n.\r\n")
    c.expect(552)
    c.send(b"QUIT\r\n")
    c.expect(221)
    rec.wait_all_ended()
    assert rec.mails() == []


# ---------------------------------------------------------------------------
# The command's exit status, code by code.

EXPECTED = {0: 250, 1: 554, 2: 554, 64: 554, 65: 554, 66: 451, 67: 554,
            68: 451, 69: 554, 70: 451, 71: 451, 72: 451, 73: 451, 74: 451,
            75: 451, 76: 451, 77: 451, 78: 451, 100: 554}


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One msmtpd with REC for all the exit code cases."""
    root = tmp_path_factory.mktemp("exitcodes")
    r = Rec(root)
    d = Msmtpd(root, [f"--command={r.command()}"])
    yield d, r
    d.stop()


SYSEXITS = {getattr(os, n): n for n in dir(os)
            if n.startswith("EX_") and 64 <= getattr(os, n) <= 78}


@pytest.mark.parametrize("status", sorted(EXPECTED))
def test_exit_status_reply(shared, status):
    d, r = shared
    rc, out = swaks(d.port, "--from", "a@example.org", "--to",
                    f"exit{status}@example.net")
    m = re.search(r"<(?:-|\*\*) +(\d\d\d) (.*)\n -> QUIT", out)
    assert m, out
    assert int(m.group(1)) == EXPECTED[status], out
    assert (rc == 0) == (EXPECTED[status] == 250)
    if status:
        name = f" ({SYSEXITS[status]})" if status in SYSEXITS else ""
        assert m.group(2).endswith(f"Pipe command reported error {status}"
                                   f"{name}: rec: exiting with {status}"), out


def test_killed_command_is_temporary(shared):
    d, r = shared
    rc, out = swaks(d.port, "--from", "a@example.org", "--to",
                    "signal@example.net")
    assert "451 4.3.0 Pipe command was killed by signal 9" in out


def test_command_that_cannot_start(tmp_path, rec, daemon):
    """A program that was there at start but is gone when a mail comes:
    451 for that mail (msmtpd checked it at start: see below)."""
    prog = tmp_path / "vanishing"
    prog.write_text("#!/bin/sh\ncat > /dev/null\n")
    prog.chmod(0o755)
    d = daemon(f"--command={prog} -f %F")
    prog.unlink()
    rc, out = swaks(d.port, "--from", "a@example.org", "--to",
                    "b@example.net")
    # The shell runs the command: it says what it could not find (127).
    assert "451 4.3.0 Cannot start pipe command (exit status 127): " \
        f"sh: 1: {prog}: not found" in out


def start_msmtpd(args, env, path=None):
    """msmtpd with args, its stdin and stdout a socket (an --inetd
    session whose client is already gone, so that a msmtpd that passes
    its start-up checks ends at once); (exit code, stderr)."""
    a, b = socket.socketpair()
    b.close()
    try:
        p = subprocess.run([path or build_path("msmtpd"), "--inetd", *args],
                           stdin=a, stdout=a, stderr=subprocess.PIPE,
                           env=env, timeout=20)
    finally:
        a.close()
    return p.returncode, p.stderr.decode("utf-8", "replace")


EX_CONFIG = 78

STARTS = {
    "path": "/bin/cat",
    "in_path": "cat -",
    "quoted_path": "'/bin/cat' -",
    "sh": "sh -c 'cat > /dev/null' sh",
    "shell_builtin": "exec cat",
    "shell_syntax": "cat > /dev/null; echo",
    "assignment": "LC_ALL=C cat",
}


@pytest.mark.parametrize("command", STARTS.values(), ids=STARTS.keys())
def test_command_checked_at_start_passes(confdir, command):
    rc, err = start_msmtpd([f"--command={command}"], confdir.env())
    assert rc != EX_CONFIG and "cannot execute" not in err, err


REFUSED = {
    "nonexistent": ("/nonexistent", "/nonexistent",
                    "No such file or directory"),
    "nonexistent_with_args": ("/nonexistent/cmd -f %F", "/nonexistent/cmd",
                              "No such file or directory"),
    "directory": ("/tmp -f %F", "/tmp", "Is a directory"),
    # (root too: a file without any x bit cannot be executed)
    "not_executable": ("{noexec} -f %F", "{noexec}", "Permission denied"),
    "not_in_path": ("no-such-program-here -f %F", "no-such-program-here",
                    "not found in $PATH"),
}


@pytest.mark.parametrize("command,prog,why", REFUSED.values(),
                         ids=REFUSED.keys())
def test_command_that_cannot_run_stops_msmtpd_at_start(tmp_path, confdir,
                                                       command, prog, why):
    noexec = tmp_path / "noexec"
    noexec.write_text("#!/bin/sh\n")
    noexec.chmod(0o644)
    command = command.replace("{noexec}", str(noexec))
    prog = prog.replace("{noexec}", str(noexec))
    port = free_port()
    p = subprocess.run([build_path("msmtpd"), "--interface=127.0.0.1",
                        f"--port={port}", f"--command={command}"],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       env=confdir.env(), timeout=20)
    err = p.stderr.decode()
    assert p.returncode == EX_CONFIG, err
    assert err.startswith(f"msmtpd: cannot execute {prog}, the program of "
                          f"--command='{command}': {why}"), err
    assert "--command" in err.split(why, 1)[1], err     # how to fix it
    assert err.count("\n") == 1
    with pytest.raises(OSError):        # it never listened
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_default_command_missing_stops_msmtpd_at_start(tmp_path, confdir):
    """An msmtpd with no msmtp beside it (nor in BINDIR) says where it
    looked and how to name one, once, at start."""
    alone = tmp_path / "alone" / "msmtpd"
    alone.parent.mkdir()
    alone.write_bytes(open(build_path("msmtpd"), "rb").read())
    alone.chmod(0o755)
    if os.path.exists("/usr/local/bin/msmtp"):     # the Makefile's BINDIR
        pytest.skip("an msmtp is installed in /usr/local/bin")
    rc, err = start_msmtpd([], confdir.env(), path=str(alone))
    assert rc == EX_CONFIG, err
    assert re.fullmatch(r"msmtpd: cannot execute (/\S+)/msmtp, msmtpd's "
                        r"default command \(msmtp is looked for beside "
                        r"msmtpd, then in \1\): No such file or directory; "
                        r"install msmtp there, or name it with "
                        r"--command='/path/to/msmtp -f %F --'\n", err), err


def test_default_command_is_the_msmtp_beside_msmtpd(tmp_path, confdir,
                                                    daemon):
    """msmtpd from the build tree, without --command, pipes to the build
    tree's msmtp: the mail is spooled and sent by it."""
    spool = tmp_path / "spool" / "queue.db"
    spool.parent.mkdir(mode=0o700)
    with RecordingServer(Script()) as srv:
        confdir.write("account default\nhost 127.0.0.1\n"
                      f"port {srv.port}\nfrom sender@example.org\n",
                      path=confdir.home_rc)
        d = daemon(env=confdir.env(MSMTP_QUEUE_FILE=spool))
        rc, out = swaks(d.port, "--from", "alice@example.org", "--to",
                        "bob@example.net", "--data",
                        f"@{swaks_data(tmp_path)}", "--no-data-fixup",
                        check=0)
        assert "250 2.0.0 Ok, mail was piped" in out
        assert srv.wait_closed(10)
        [(mail_from, rcpts, content)] = [
            t for r in srv.sessions for t in r.transactions]
    assert (mail_from, rcpts) == ("alice@example.org", ["bob@example.net"])
    assert split_received(content, crlf=True)[1] == MAIL
    from test_spool import read_spool
    [m] = read_spool(spool, with_data=False)
    assert m["rcpts"] == [("bob@example.net", "sent")]


# ---------------------------------------------------------------------------
# Big mail, streamed with flow control.

def test_20mb_mail_small_rss(tmp_path, rec, daemon):
    d = daemon(f"--command={rec.command()}")
    line = b"0123456789abcdefghijklmnopqrstuvwxyz" * 2 + b"\r\n"
    mail = (b"Subject: big\r\n\r\n" + line * (20 * 1024 * 1024 // len(line)))
    t0 = time.monotonic()
    swaks(d.port, "--from", "a@example.org", "--to", "slow@example.net",
          "--data", f"@{swaks_data(tmp_path, mail)}", "--no-data-fixup",
          timeout=120, check=0)
    elapsed = time.monotonic() - t0
    [m] = rec.mails()
    _, body = split_received(m["data"])
    assert len(body) == len(mail) - mail.count(b"\r\n")
    assert hashlib.sha256(unfold(body)).digest() == \
        hashlib.sha256(mail).digest()
    rss = d.peak_rss_kb()
    print(f"20 MB mail in {elapsed:.1f}s; msmtpd peak RSS {rss} kB")
    if not sanitized():
        assert rss < 16 * 1024, rss


# ---------------------------------------------------------------------------
# --inetd.

def test_inetd_with_swaks_pipe(tmp_path, rec, confdir):
    log = tmp_path / "inetd.log"
    cmd = (f"{build_path('msmtpd')} --inetd --log={log} "
           f"'--command={rec.command()}'")
    p = subprocess.run([SWAKS, "--pipe", cmd, "--from", "a@example.org",
                        "--to", "b@example.net", "--helo", "client.test",
                        "--data", f"@{swaks_data(tmp_path)}",
                        "--no-data-fixup"],
                       capture_output=True, timeout=60, env=confdir.env())
    out = p.stdout.decode()
    assert p.returncode == 0, out + p.stderr.decode()
    assert "250 2.0.0 Ok, mail was piped" in out
    [m] = rec.mails()
    _, body = split_received(m["data"])
    assert unfold(body) == MAIL
    assert "client=unknown" in log.read_text()


def test_inetd_on_a_tcp_socket(tmp_path, rec, confdir):
    """As inetd runs it: one TCP socket as stdin and stdout."""
    log = tmp_path / "inetd.log"
    with socket.socket() as lsock:
        lsock.bind(("127.0.0.1", 0))
        lsock.listen()
        c = Client(lsock.getsockname()[1])
        conn, _ = lsock.accept()
    with conn:
        p = subprocess.Popen([build_path("msmtpd"), "--inetd", f"--log={log}",
                              f"--command={rec.command()}"],
                             stdin=conn.fileno(), stdout=conn.fileno(),
                             stderr=subprocess.PIPE, env=confdir.env())
    try:
        helo(c)
        c.send(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
               b"DATA\r\nhi\r\n.\r\nQUIT\r\n")
        for code in (250, 250, 354, 250, 221):
            c.expect(code)
        assert c.eof()
        assert p.wait(timeout=10) == 0, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=5)
        p.stderr.close()
    [m] = rec.mails()
    received, body = split_received(m["data"])
    assert b"from client.test ([127.0.0.1])" in received
    assert body == b"hi\n"
    assert "client=127.0.0.1" in log.read_text()


def test_inetd_exit_status(tmp_path, rec, confdir):
    argv = [build_path("msmtpd"), "--inetd", f"--command={rec.command()}"]
    p = subprocess.run(argv, input=b"EHLO x\r\nNOOP\r\nQUIT\r\nNOOP\r\n",
                       capture_output=True, timeout=30, env=confdir.env())
    assert p.returncode == 0, p.stderr
    assert p.stdout.endswith(b"250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n")
    # The client goes away without QUIT.
    p = subprocess.run(argv, input=b"EHLO x\r\n", capture_output=True,
                       timeout=30, env=confdir.env())
    assert p.returncode == 76, p.stderr
    # Standard input is a file: refused plainly.
    f = tmp_path / "in.txt"
    f.write_bytes(b"QUIT\r\n")
    with open(f, "rb") as stdin:
        p = subprocess.run(argv, stdin=stdin, capture_output=True,
                           timeout=30, env=confdir.env())
    assert p.returncode == 64
    assert b"--inetd: standard input and output must be" in p.stderr


# ---------------------------------------------------------------------------
# Malformed input: the right reply or a clean close, never a crash.

def test_malformed_commands(rec, daemon):
    d = daemon(f"--command={rec.command()}")
    c = Client(d.port)
    c.expect(220)
    c.send(b"MAIL FROM:<a@example.org>\r\n")
    assert c.expect(503) == b"503 5.5.1 Send EHLO or HELO first\r\n"
    helo(c, greeting=False)
    c.send(b"RCPT TO:<b@example.net>\r\n")
    assert c.expect(503) == b"503 5.5.1 Need MAIL before RCPT\r\n"
    c.send(b"DATA\r\n")
    assert c.expect(503) == b"503 5.5.1 Need MAIL before DATA\r\n"
    c.send(b"NOOP " + b"x" * 100000 + b"\r\nNOOP\r\n")
    assert c.expect(500) == b"500 5.5.2 Line too long\r\n"
    c.expect(250)
    c.send(b"NOOP\n")
    assert c.expect(500).startswith(b"500 5.5.2 Bare LF")
    c.send(b"NO\0OP\r\n")
    assert c.expect(500) == b"500 5.5.2 NUL byte received\r\n"
    c.send(b"MAIL FROM:<-oQ/tmp/x@example.org>\r\n")
    assert c.expect(501) == b"501 5.1.7 Bad sender address syntax\r\n"
    c.send(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b c@example.net>\r\n"
           b"RCPT TO:<b@example.net> NOTIFY=NEVER\r\nDATA\r\n")
    c.expect(250)
    assert c.expect(501) == b"501 5.1.3 Bad recipient address syntax\r\n"
    assert c.expect(555) == b"555 5.5.4 Unsupported parameter\r\n"
    assert c.expect(554) == b"554 5.5.1 No valid recipients\r\n"
    # data after QUIT is not looked at
    c.send(b"QUIT\r\nNOOP\r\nMAIL FROM:<a@example.org>\r\n")
    assert c.expect(221) == b"221 2.0.0 Bye\r\n"
    assert c.eof()
    assert rec.started() == []
    assert d.alive()


def unread(server_port, client_port):
    """Bytes waiting in the server side's socket, unread (/proc/net/tcp)."""
    local = f"0100007F:{server_port:04X}"
    remote = f"0100007F:{client_port:04X}"
    with open("/proc/net/tcp") as f:
        for line in f.read().splitlines()[1:]:
            w = line.split()
            if w[1] == local and w[2] == remote:
                return int(w[4].split(":")[1], 16)
    return 0


def stopped_reading(server_port, sock, quiet=0.3):
    """Wait until msmtpd leaves input unread, the same amount for quiet
    seconds: it stopped reading. Returns that amount."""
    client_port = sock.getsockname()[1]
    seen, since = -1, time.monotonic()

    def steady():
        nonlocal seen, since
        n = unread(server_port, client_port)
        if n != seen:
            seen, since = n, time.monotonic()
        return n > 0 and time.monotonic() - since >= quiet and n
    return wait_for(steady, 20, "msmtpd to stop reading")


def test_pipelined_flood_without_reading(rec, daemon):
    """A client that sends a million commands before it reads a reply: they
    are all answered, in order, and msmtpd does not pile the replies up
    (it stops reading until the client reads)."""
    d = daemon(f"--command={rec.command()}")
    c = Client(d.port)
    helo(c)
    n = 1000000
    flood = b"NOOP\r\n" * n + b"QUIT\r\n"
    sender = threading.Thread(target=lambda: c.s.sendall(flood))
    sender.start()
    waiting = stopped_reading(d.port, c.s)
    want = b"250 2.0.0 Ok\r\n" * n + b"221 2.0.0 Bye\r\n"
    got = bytearray(c.buf)
    c.s.settimeout(30)
    while len(got) < len(want):
        chunk = c.s.recv(1 << 20)
        if not chunk:
            break
        got += chunk
    sender.join(timeout=10)
    assert bytes(got) == want
    c.buf = b""
    assert c.eof()
    rss = d.peak_rss_kb()
    print(f"flood: msmtpd stopped reading with {waiting} bytes waiting; "
          f"peak RSS {rss} kB")
    if not sanitized():
        assert rss < 8 * 1024, rss


def test_half_close_still_gets_every_reply(rec, daemon):
    """A client that sends everything, then shuts down its side (as
    ``printf ... | nc`` does): the mail is taken and every reply sent."""
    d = daemon(f"--command={rec.command()}")
    c = Client(d.port)
    c.send(b"EHLO client.test\r\nMAIL FROM:<a@example.org>\r\n"
           b"RCPT TO:<b@example.net>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n")
    c.s.shutdown(socket.SHUT_WR)
    for code in (220, 250, 250, 250, 354, 250, 221):
        c.expect(code)
    assert c.eof()
    assert len(rec.mails()) == 1


def test_too_many_errors(daemon, rec):
    d = daemon(f"--command={rec.command()}")
    c = Client(d.port)
    c.expect(220)
    c.send(b"BOGUS\r\n" * 30)
    for _ in range(19):
        c.expect(500)
    c.expect(500)
    assert c.expect(421).startswith(b"421 4.7.0")
    assert c.eof()


@pytest.mark.parametrize("data,reply", [
    (b"a\nb\r\n.\r\n", b"554 5.6.0 Message contains a bare LF"),
    (b"a\0b\r\n.\r\n", b"554 5.6.0 Message contains NUL bytes"),
])
def test_bad_mail_is_refused_and_never_completed(rec, daemon, data, reply):
    d = daemon(f"--command={rec.command()}")
    c = Client(d.port)
    helo(c)
    c.send(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
           b"DATA\r\n")
    for code in (250, 250, 354):
        c.expect(code)
    c.send(data)
    assert c.expect(554).startswith(reply)
    c.send(b"NOOP\r\n")
    c.expect(250)
    rec.wait_all_ended()
    assert rec.mails() == []
    # "\n.\n" does not end the data (no SMTP smuggling)
    c.send(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
           b"DATA\r\n")
    for code in (250, 250, 354):
        c.expect(code)
    c.send(b"x\n.\nMAIL FROM:<evil@example.org>\r\n.\r\n")
    assert c.expect(554).startswith(b"554 5.6.0 Message contains a bare LF")
    c.send(b"QUIT\r\n")
    c.expect(221)


@pytest.mark.parametrize("how", ["rec", "shell"])
def test_disconnect_mid_data_never_completes_the_mail(tmp_path, rec, daemon,
                                                      how):
    out = tmp_path / "sh"
    out.mkdir()
    if how == "rec":
        cmd = rec.command()
    else:
        # A shell whose child reads the mail: the whole process group is
        # killed, so neither cat nor sh carries on to write the status.
        cmd = (f"sh -c 'echo $$ > {out}/pid; cat > {out}/mail; "
               f"echo $? > {out}/status' sh")
    d = daemon(f"--command={cmd}")
    c = Client(d.port)
    helo(c)
    c.send(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
           b"DATA\r\n")
    for code in (250, 250, 354):
        c.expect(code)
    c.send(b"Subject: cut\r\n\r\n" + b"a line\r\n" * 50000)
    if how == "rec":
        wait_for(lambda: rec.started(), 10, "the command to start")
        pid = rec.started()[0]
    else:
        wait_for(lambda: (out / "pid").exists() and
                 (out / "pid").read_text().strip(), 10, "sh to start")
        pid = int((out / "pid").read_text())
    c.s.shutdown(socket.SHUT_RDWR)
    c.close()
    wait_for(lambda: not pid_alive(pid), 10, "the command to be killed")
    rec.wait_all_ended()
    assert rec.mails() == []
    assert not (out / "status").exists()
    assert "connection lost during DATA (mail discarded)" in d.log_text()
    assert d.alive()


def test_sigterm_waits_for_the_command(tmp_path, rec, daemon):
    """A mail the command works on gets its verdict before the end."""
    mark = tmp_path / "got-it"
    d = daemon(f"--command=sh -c 'cat > /dev/null; touch {mark}; sleep 1' "
               "sh")
    c = Client(d.port)
    helo(c)
    c.send(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
           b"DATA\r\nx\r\n.\r\n")
    for code in (250, 250, 354):
        c.expect(code)
    wait_for(mark.exists, 10, "the command to have the mail")
    d.proc.send_signal(signal.SIGTERM)
    c.expect(250, timeout=10)
    c.expect(421)
    assert c.eof()
    d.stop()


# ---------------------------------------------------------------------------
# The whole path: swaks -> msmtpd -> msmtp (spool) -> msmtp-queue -> server.

def test_full_path_through_the_spool(tmp_path, confdir, daemon):
    msmtp, queue = build_path("msmtp"), build_path("msmtp-queue")
    with RecordingServer(Script()) as srv:
        rc_file = confdir.write(
            "account default\nhost 127.0.0.1\n"
            f"port {srv.port}\nfrom sender@example.org\n"
            "delivery_mode queue\n")
        env = confdir.env(MSMTP_QUEUE_FILE=tmp_path / "queue.db")
        d = daemon(f"--command={msmtp} -C {rc_file} -f %F --", env=env)
        rc, out = swaks(d.port, "--from", "alice@example.org", "--to",
                        "bob@example.net,carol@example.net", "--data",
                        f"@{swaks_data(tmp_path)}", "--no-data-fixup",
                        check=0)
        assert "250 2.0.0 Ok, mail was piped" in out
        assert srv.sessions == []           # spooled only
        p = subprocess.run([queue, "-C", str(rc_file), "--flush"],
                           capture_output=True, timeout=60, env=env)
        assert p.returncode == 0, p.stderr
        assert srv.wait_closed(10)
        [(mail_from, rcpts, content)] = [
            t for r in srv.sessions for t in r.transactions]
    assert mail_from == "alice@example.org"
    assert rcpts == ["bob@example.net", "carol@example.net"]
    received, rest = split_received(content, crlf=True)
    assert rest == MAIL         # every byte swaks sent, after one header
