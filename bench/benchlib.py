"""Shared pieces of the benchmarks: Postfix's smtp-sink / smtp-source from
the unpacked packages (tests/postfix-setup.sh), and running one process
with its own wall time and resource usage (posix_spawn + pidfd + wait4).

Not a test module; plain /usr/bin/python3, no pytest needed.
"""

import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SETUP_SCRIPT = REPO / "tests" / "postfix-setup.sh"


def postfix_root():
    root = Path(os.environ.get("POSTFIX_ROOT",
                               REPO / "build" / "postfix-root")).resolve()
    sink = root / "usr" / "sbin" / "smtp-sink"
    if not sink.exists():
        print(f"bench: unpacking Postfix into {root} "
              "(tests/postfix-setup.sh)", file=sys.stderr)
        subprocess.run([str(SETUP_SCRIPT), str(root)], check=True,
                       timeout=300)
    return root


def postfix_env(root):
    return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C",
            "LC_ALL": "C", "TZ": "UTC",
            "LD_LIBRARY_PATH": str(root / "usr" / "lib" / "postfix")}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=10):
    """Bounded poll until something accepts on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.recv(256)       # the 220 greeting
                s.sendall(b"QUIT\r\n")
                return
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


class Sink:
    """Postfix's smtp-sink on 127.0.0.1, a free port; discards mail."""

    def __init__(self, root, extra=("-a",), backlog=1024):
        self.root = root
        self.port = free_port()
        argv = [str(root / "usr" / "sbin" / "smtp-sink"), *extra]
        if os.geteuid() == 0:
            argv += ["-u", "nobody"]   # required when run as root
        argv += [f"127.0.0.1:{self.port}", str(backlog)]
        self.proc = subprocess.Popen(argv, env=postfix_env(root),
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     start_new_session=True)
        try:
            wait_port(self.port, self.proc)
        except BaseException:
            self.stop()
            raise

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Result:
    __slots__ = ("status", "wall", "utime", "stime", "maxrss_kb")

    def __init__(self, status, wall, ru):
        self.status = status
        self.wall = wall
        self.utime = ru.ru_utime
        self.stime = ru.ru_stime
        self.maxrss_kb = ru.ru_maxrss

    @property
    def ok(self):
        return os.WIFEXITED(self.status) and os.WEXITSTATUS(self.status) == 0

    def describe(self):
        if os.WIFEXITED(self.status):
            return f"exit {os.WEXITSTATUS(self.status)}"
        if os.WIFSIGNALED(self.status):
            return f"signal {os.WTERMSIG(self.status)}"
        return f"status {self.status}"


def spawn_timed(argv, stdin_fd, env, timeout, stderr_fd=None):
    """Run argv (argv[0] is the path) with stdin from ``stdin_fd`` (read
    from its current offset), stdout to /dev/null. Returns a Result with
    the wall time from spawn to reap and the child's own rusage. Kills the
    child after ``timeout`` seconds (then status is a signal)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        actions = [(os.POSIX_SPAWN_DUP2, stdin_fd, 0),
                   (os.POSIX_SPAWN_DUP2, devnull, 1),
                   (os.POSIX_SPAWN_DUP2,
                    devnull if stderr_fd is None else stderr_fd, 2)]
        t0 = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    finally:
        os.close(devnull)
    pidfd = os.pidfd_open(pid)
    try:
        p = select.poll()
        p.register(pidfd, select.POLLIN)
        if not p.poll(timeout * 1000):
            os.kill(pid, signal.SIGKILL)
        _, status, ru = os.wait4(pid, 0)
        t1 = time.perf_counter()
    finally:
        os.close(pidfd)
    return Result(status, t1 - t0, ru)


class Deadline:
    """The whole run's time bound."""

    def __init__(self, seconds):
        self.end = time.monotonic() + seconds
        self.seconds = seconds

    def left(self):
        return self.end - time.monotonic()

    def check(self, what):
        if self.left() <= 0:
            raise SystemExit(f"bench: time limit of {self.seconds}s reached "
                             f"during {what}")


GNU_TIME = "/usr/bin/time"


def spawn_peak_rss(argv, stdin_fd, env, timeout, tmpdir):
    """Like spawn_timed, but through GNU time (-f %M): returns (Result,
    peak RSS in KiB of the program itself). ru_maxrss from wait4 on a
    child spawned by this (large) Python process is useless: Linux keeps
    the parent's high-water mark across the child's exec (vfork/fork), so
    every child reports at least Python's RSS. GNU time is ~1 MiB."""
    if not os.access(GNU_TIME, os.X_OK):
        r = spawn_timed(argv, stdin_fd, env, timeout)
        return r, None
    out = Path(tmpdir) / "time.out"
    r = spawn_timed([GNU_TIME, "-f", "%M", "-o", str(out), *argv],
                    stdin_fd, env, timeout)
    try:
        kb = int(out.read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        kb = None
    return r, kb
