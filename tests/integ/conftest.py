"""Fixtures and helpers for the msmtp integration tests.

The suite is differential: the same configuration, arguments and mail go
through Debian's msmtp (``ref``, /usr/bin/msmtp) and through ours
(``ours``, $MSMTP_BUILD/msmtp), each against a fresh RecordingServer with
the same Script, and the two outcomes are compared: exit code, stdout,
stderr and every byte each client sent on the wire (Date: and Message-ID:
header values normalized).

Run:  MSMTP_BUILD=/abs/build /usr/bin/python3 -m pytest -q \\
          -p no:cacheprovider tests/integ
To check the tests themselves, point MSMTP_BUILD at a directory where
``msmtp`` is a symlink to /usr/bin/msmtp: then every test must pass
(ours then gets no extra arguments, and tests marked ``differs``, which
check a deliberate difference, are skipped). MSMTP_INTEG_SHOW=1 with -s prints
both outcomes of every differential run.

Isolation: each test gets its own HOME (so the machine's ~/.msmtprc is
never read), XDG_* directories inside it, LC_ALL=C and a minimal
environment. Every test passes -C or --host or writes its own user
config, so /etc/msmtprc is never relied on. Both programs run with argv[0] = "msmtp" so that messages
built from argv[0] (getopt's) are comparable.
"""

import dataclasses
import difflib
import os
import pwd
import re
import shlex
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from recsmtpd import RecordingServer, Script  # noqa: E402

__all__ = [
    "Binary", "ConfDir", "Outcome", "RecordingServer", "Script", "compare",
    "free_port", "normalize", "report", "run", "send", "strip_goodbye",
    "ours_extra_args", "REF_PATH", "without_ours_queue_lines",
]

REF_PATH = "/usr/bin/msmtp"

# Arguments given to our msmtp only, before all others. Our msmtp spools by
# default; --queue=off selects msmtp's direct mode. Debian's msmtp would
# reject the option, so ref never gets it. When $MSMTP_BUILD/msmtp is the
# reference itself (a symlink, to check the tests), they are left out;
# MSMTP_OURS_ARGS (shell words) overrides them.
ours_extra_args = ["--queue=off"]

RUN_TIMEOUT = 30      # seconds, hard limit for one msmtp process
TEST_TIMEOUT = 60     # seconds, hard limit for one test (pytest-timeout)

# Variables passed through to the programs under test (sanitizer runs).
_PASSTHROUGH = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
                "MSAN_OPTIONS", "TSAN_OPTIONS", "LLVM_PROFILE_FILE",
                "GCOV_PREFIX", "GCOV_PREFIX_STRIP")


# --------------------------------------------------------------------------
# pytest configuration: a per-test timeout that works with or without the
# ini file being picked up.

def pytest_configure(config):
    config.addinivalue_line(
        "markers", "timeout(seconds): per-test time limit (pytest-timeout)")
    config.addinivalue_line(
        "markers", "differs: a deliberate difference from msmtp (skipped "
                   "when $MSMTP_BUILD/msmtp is the reference itself)")
    if os.path.exists("/etc/msmtprc"):
        warnings.warn("/etc/msmtprc exists; Debian's msmtp reads it, the tests "
                      "override its default account with -C or --host")


def _ours_path():
    build = os.environ.get("MSMTP_BUILD")
    return os.path.join(os.path.abspath(build), "msmtp") if build else None


def _ours_args(path):
    if "MSMTP_OURS_ARGS" in os.environ:
        return tuple(shlex.split(os.environ["MSMTP_OURS_ARGS"]))
    if _ours_is_ref():
        return ()
    return tuple(ours_extra_args)


def pytest_report_header(config):
    path = _ours_path()
    return [f"msmtp integ: ref={REF_PATH} ours={path} "
            f"ours extra args={list(_ours_args(path))}"]


def _ours_is_ref():
    path = _ours_path()
    return bool(path) and os.path.realpath(path) == os.path.realpath(REF_PATH)


def pytest_collection_modifyitems(config, items):
    self_test = _ours_is_ref()
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TEST_TIMEOUT))
        if self_test and item.get_closest_marker("differs"):
            item.add_marker(pytest.mark.skip(
                reason="ours is the reference: a deliberate difference "
                       "cannot be checked"))


# --------------------------------------------------------------------------
# The programs.

@dataclasses.dataclass(frozen=True)
class Binary:
    """A program under test: its path and the arguments it always gets."""
    name: str
    path: str
    extra_args: tuple = ()

    def __str__(self):
        return self.path

    def __fspath__(self):
        return self.path


def _check_executable(path, what):
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        pytest.fail(f"{what}: {path} is missing or not executable",
                    pytrace=False)


@pytest.fixture(scope="session")
def ref():
    _check_executable(REF_PATH, "reference msmtp (apt-get install msmtp)")
    return Binary("ref", REF_PATH)


@pytest.fixture(scope="session")
def ours():
    path = _ours_path()
    if not path:
        pytest.fail("MSMTP_BUILD is not set: run `make test-integ`, or set "
                    "MSMTP_BUILD to the absolute build directory",
                    pytrace=False)
    _check_executable(path, "our msmtp (MSMTP_BUILD=%s; run make)"
                      % os.environ["MSMTP_BUILD"])
    return Binary("ours", path, _ours_args(path))


# --------------------------------------------------------------------------
# Running one process.

def run(binary, args, mail_bytes, env=None, timeout=RUN_TIMEOUT, cwd=None,
        prefix=None):
    """Run msmtp with ``args``, feeding ``mail_bytes`` on stdin.

    ``binary`` is a Binary (its extra_args go first) or a path. argv[0] is
    always "msmtp". ``mail_bytes`` None means stdin is /dev/null. Returns
    (exit code, stdout bytes, stderr bytes); a negative exit code is a
    signal. A process that outlives ``timeout`` is killed and the test
    fails. ``prefix`` (e.g. a setpriv command line) runs msmtp through
    another program; argv[0] is then msmtp's path.
    """
    if isinstance(binary, Binary):
        path, extra = binary.path, list(binary.extra_args)
    else:
        path, extra = os.fspath(binary), []
    argv = ["msmtp", *extra, *[str(a) for a in args]]
    executable = path
    if prefix:
        argv, executable = [*prefix, path, *argv[1:]], None
    try:
        proc = subprocess.run(
            argv, executable=executable,
            input=mail_bytes if mail_bytes is not None else None,
            stdin=subprocess.DEVNULL if mail_bytes is None else None,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, cwd=cwd, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{path} {argv[1:]!r} did not exit within {timeout}s "
                    f"(killed)\nstdout: {e.stdout!r}\nstderr: {e.stderr!r}",
                    pytrace=False)
    return proc.returncode, proc.stdout, proc.stderr


# --------------------------------------------------------------------------
# Normalizing transcripts.

DATE_PLACEHOLDER = b"<DATE>"
MSGID_PLACEHOLDER = b"<MESSAGE-ID>"
_LINE = re.compile(rb"[^\n]*\n|[^\n]+\Z")
_VOLATILE = re.compile(rb"(?i)(date|message-id)([ \t]*:)")
_GREETING_CMD = re.compile(rb"(?i)(ehlo|helo|lhlo)\b")


def normalize(raw_bytes):
    """Replace the values of the Date: and Message-ID: headers.

    Works on a whole wire transcript (client side of an SMTP/LMTP session:
    only the header block after each DATA is touched) or on a bare message
    (anything not starting with EHLO/HELO/LHLO: its header block). Header
    names, their case, the line ends and every other byte are kept; folded
    continuation lines of a replaced header are dropped.
    """
    raw = bytes(raw_bytes)
    wire = bool(_GREETING_CMD.match(raw))
    state = "cmd" if wire else "hdr"
    out = []
    replacing = False
    for line in _LINE.findall(raw):
        body = line.rstrip(b"\r\n")
        if state == "cmd":
            if body.upper() == b"DATA":
                state = "hdr"
            out.append(line)
            continue
        if state == "hdr":
            if wire and body == b".":
                state, replacing = "cmd", False
                out.append(line)
                continue
            if body == b"":
                state, replacing = "body", False
                out.append(line)
                continue
            if replacing and line[:1] in (b" ", b"\t"):
                continue                      # continuation of Date/Msg-ID
            m = _VOLATILE.match(line)
            if m:
                value = (DATE_PLACEHOLDER if m.group(1).lower() == b"date"
                         else MSGID_PLACEHOLDER)
                out.append(line[:m.end()] + b" " + value + line[len(body):])
                replacing = True
            else:
                replacing = False
                out.append(line)
            continue
        # body
        if wire and body == b".":
            state = "cmd"
        out.append(line)
    return b"".join(out)


# --------------------------------------------------------------------------
# Environment and configuration.

def free_port():
    """A 127.0.0.1 TCP port with nothing listening (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ConfDir:
    """A private HOME and config file location for one test.

    ``rc`` is the file given with -C; ``home_rc`` is ~/.msmtprc and
    ``xdg_rc`` is $XDG_CONFIG_HOME/msmtp/config. Nothing exists until
    written.
    """

    def __init__(self, root):
        self.root = Path(root)
        self.home = self.root / "home"
        self.xdg_config = self.home / ".config"
        self.tmp = self.root / "tmp"
        for d in (self.home, self.xdg_config, self.tmp,
                  self.home / ".local" / "share",
                  self.home / ".local" / "state", self.home / ".cache",
                  self.root / "run"):
            d.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root / "run", 0o700)
        self.rc = self.root / "msmtprc"
        self.home_rc = self.home / ".msmtprc"
        self.xdg_rc = self.xdg_config / "msmtp" / "config"

    def write(self, text, mode=0o600, path=None):
        """Write a config file (default: ``rc``) with ``mode``; return it."""
        path = Path(path) if path is not None else self.rc
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode() if isinstance(text, str) else text
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        return path

    def env(self, **extra):
        user = pwd.getpwuid(os.geteuid()).pw_name
        env = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                    "/sbin:/bin",
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.xdg_config),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "XDG_STATE_HOME": str(self.home / ".local" / "state"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "XDG_RUNTIME_DIR": str(self.root / "run"),
            "TMPDIR": str(self.tmp),
            "LC_ALL": "C",
            "LANG": "C",
            "TZ": "UTC",
            "USER": user,
            "LOGNAME": user,
        }
        for k in _PASSTHROUGH:
            if k in os.environ:
                env[k] = os.environ[k]
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = str(v)
        return env


@pytest.fixture
def confdir(tmp_path):
    return ConfDir(tmp_path)


@pytest.fixture
def spool(confdir, tmp_path):
    """A Spool (test_spool.py) of the test's own: its msmtprc, its queue
    file. A module that needs more (a tool that must be there) defines
    its own."""
    from test_spool import Spool    # it imports this module
    return Spool(confdir, tmp_path)


@pytest.fixture
def server():
    """Factory: ``srv = server(Script(...))`` starts a RecordingServer on
    127.0.0.1; every server started is stopped at teardown."""
    started = []

    def start(script=None):
        srv = RecordingServer(script or Script())
        srv.__enter__()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


# --------------------------------------------------------------------------
# One send, and the differential comparison.

@dataclasses.dataclass
class Outcome:
    name: str
    rc: int
    stdout: bytes
    stderr: bytes
    sessions: list          # raw bytes each connection sent
    transactions: list      # (mail_from, [rcpts], content) seen by server
    port: int | None
    files: dict = dataclasses.field(default_factory=dict)  # collected files

    @property
    def wire(self):
        """Normalized bytes of every connection, one list item each."""
        return [normalize(s) for s in self.sessions]

    @property
    def err(self):
        """stderr with the server's port number replaced by PORT."""
        if self.port is None:
            return self.stderr
        return self.stderr.replace(b"port %d" % self.port, b"port PORT")


def _subst(s, port):
    return s if port is None else s.replace("{port}", str(port))


def send(binary, confdir, *, script=None, config=None, config_at="C",
         config_mode=0o600, args=(), mail=b"", env=None, with_server=True,
         timeout=RUN_TIMEOUT, collect=(), config_owner=None, prefix=None):
    """Run ``binary`` once against a fresh RecordingServer.

    ``config`` (text, "{port}" replaced by the server's port) is written to
    confdir.rc and given with -C (config_at="C"), or written to ~/.msmtprc
    ("home") or $XDG_CONFIG_HOME/msmtp/config ("xdg") and found by msmtp
    itself; None writes nothing. "{port}" in ``args`` is replaced too.
    ``env`` adds to / removes from (value None) confdir.env().
    ``collect``: paths (e.g. a logfile) removed before the run and read
    after it into ``files`` (None if absent). ``config_owner`` (uid, gid)
    chowns the written config; ``prefix`` is passed to run().
    """
    for p in collect:
        if os.path.lexists(p):
            os.unlink(p)
    srv = RecordingServer(script or Script()) if with_server else None
    if srv is not None:
        srv.__enter__()
    try:
        port = srv.port if srv is not None else None
        argv = [_subst(str(a), port) for a in args]
        if config is not None:
            text = _subst(config, port)
            if config_at == "C":
                path = confdir.write(text, config_mode)
                argv = ["-C", str(path), *argv]
            elif config_at == "home":
                confdir.write(text, config_mode, confdir.home_rc)
            elif config_at == "xdg":
                confdir.write(text, config_mode, confdir.xdg_rc)
            else:
                raise ValueError(config_at)
            if config_owner is not None:
                os.chown({"C": confdir.rc, "home": confdir.home_rc,
                          "xdg": confdir.xdg_rc}[config_at], *config_owner)
        rc, out, err = run(binary, argv, mail, env=confdir.env(**(env or {})),
                           timeout=timeout, prefix=prefix)
        sessions, transactions = [], []
        if srv is not None:
            if not srv.wait_closed(10):
                # The client has exited, so its socket is closed: the server
                # must have noticed. Compare what arrived anyway.
                warnings.warn(f"{binary.name}: a session did not close")
            sessions = [bytes(r.raw) for r in srv.sessions]
            transactions = [t for r in srv.sessions for t in r.transactions]
    finally:
        if srv is not None:
            srv.stop()
    files = {}
    for p in collect:
        try:
            with open(p, "rb") as f:
                files[str(p)] = f.read()
        except FileNotFoundError:
            files[str(p)] = None
    name = getattr(binary, "name", str(binary))
    return Outcome(name, rc, out, err, sessions, transactions, port, files)


def _show(b, limit=3000):
    text = b.decode("utf-8", "backslashreplace")
    return text if len(text) <= limit else text[:limit] + f"... ({len(b)} bytes)"


def _wire_diff(a, b, max_lines=60):
    al = [repr(x) for x in _LINE.findall(a)]
    bl = [repr(x) for x in _LINE.findall(b)]
    d = list(difflib.unified_diff(al, bl, "ref", "ours", lineterm="", n=2))
    if len(d) > max_lines:
        d = d[:max_lines] + [f"... ({len(d) - max_lines} more diff lines)"]
    return "\n".join(d)


def strip_goodbye(raw):
    """Drop a trailing RSET/QUIT from a transcript (politeness after an
    error is not compared)."""
    lines = _LINE.findall(raw)
    while lines and lines[-1].rstrip(b"\r\n").upper() in (b"QUIT", b"RSET"):
        lines.pop()
    return b"".join(lines)


def report(r, o):
    """Both outcomes, side by side, for assertion messages."""
    parts = [f"exit code: ref={r.rc} ours={o.rc}"]
    for x in (r, o):
        parts.append(f"--- {x.name} stderr ---\n{_show(x.err)}")
        if x.stdout:
            parts.append(f"--- {x.name} stdout ---\n{_show(x.stdout)}")
    parts.append(f"sessions: ref={len(r.sessions)} ours={len(o.sessions)}")
    return "\n".join(parts)


# What -P and -d print after msmtp's lines and msmtp has not: the spool
# and, with -d, the delivery mode (client/pretend.h, part 4). Only these
# lines, only right after msmtp's last line of the sendmail block.
_OURS_QUEUE_LINES = re.compile(
    rb"(?m)^(reading recipients from the command line(?: and the mail)?\n)"
    rb"queue_file = [^\n]*\n(?:delivery_mode = [^\n]*\n)?")


def without_ours_queue_lines(stdout):
    """stdout without the lines -P and -d add after msmtp's block."""
    return _OURS_QUEUE_LINES.sub(rb"\1", stdout)


# The advice our msmtp prints after msmtp's own lines (delivery/advice.h,
# test_advice.py): msmtp's lines stay byte for byte as msmtp's, and only
# these lines, each starting "msmtp: hint: ", are ours alone.
_OURS_HINT_LINES = re.compile(rb"(?m)^msmtp: hint: [^\n]*\n")


def without_ours_hints(stderr):
    """stderr without the advice lines msmtp has not."""
    return _OURS_HINT_LINES.sub(b"", stderr)


def compare(r, o, *, wire="exact", stderr=True, stdout=True):
    """Assert that two outcomes agree.

    wire: "exact" (normalized transcripts byte for byte), "raw" (not even
    Date:/Message-ID: normalized: for mails that carry their own), "lenient"
    (normalized, a trailing RSET/QUIT is ignored) or None. Collected files
    (send(collect=...)) must be equal. stderr: True compares it
    (port numbers normalized), "prefix" only checks that both wrote an
    "msmtp: " message, False nothing.
    """
    rep = report(r, o)
    if os.environ.get("MSMTP_INTEG_SHOW"):       # run with -s to see
        print("\n" + rep)
    assert r.rc == o.rc, "exit codes differ\n" + rep
    if stdout:
        assert r.stdout == without_ours_queue_lines(o.stdout), \
            "stdout differs\n" + rep
    if stderr == "prefix":
        for x in (r, o):
            assert x.stderr.startswith(b"msmtp: "), \
                f"{x.name} wrote no 'msmtp: ' message\n" + rep
    elif stderr:
        assert r.err == without_ours_hints(o.err), "stderr differs\n" + rep
    for path in sorted(set(r.files) | set(o.files)):
        a, b = r.files.get(path), o.files.get(path)
        assert a == b, (f"{path} differs\n--- ref ---\n{a!r}\n"
                        f"--- ours ---\n{b!r}\n" + rep)
    if wire:
        if wire == "raw":
            rw, ow = r.sessions, o.sessions
        else:
            rw, ow = r.wire, o.wire
        if wire == "lenient":
            rw = [strip_goodbye(x) for x in rw]
            ow = [strip_goodbye(x) for x in ow]
        assert len(rw) == len(ow), "number of connections differs\n" + rep
        for i, (a, b) in enumerate(zip(rw, ow)):
            assert a == b, (f"wire bytes of connection {i} differ "
                            f"(ref {len(a)} bytes, ours {len(b)} bytes)\n"
                            + _wire_diff(a, b) + "\n" + rep)


@pytest.fixture
def diff(ref, ours, confdir):
    """``r, o = diff(script=..., config=..., args=..., mail=...,
    expect_rc=..., wire=..., stderr=...)``: run ref, then ours, with the
    same inputs and the same config path, and compare (see compare()).

    expect_rc checks the premise on ref first: if Debian's msmtp does not
    exit with it, the test itself is wrong.
    """
    def both(*, expect_rc=None, wire="exact", stderr=True, stdout=True,
             **kw):
        r = send(ref, confdir, **kw)
        if expect_rc is not None:
            assert r.rc == expect_rc, (
                f"test premise: reference msmtp exited {r.rc}, expected "
                f"{expect_rc}\nstderr: {_show(r.stderr)}")
        o = send(ours, confdir, **kw)
        compare(r, o, wire=wire, stderr=stderr, stdout=stdout)
        return r, o
    return both
