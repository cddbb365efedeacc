"""A real Secret Service on a private D-Bus session bus, for the keyring
tests: Debian's dbus-daemon and gnome-keyring-daemon, and secret-tool
(libsecret-tools) to store items, exactly as a user would.

    with SecretService(confdir) as ss:
        ss.store("127.0.0.1", "smtp", "alice", "secret")
        env = confdir.env(DBUS_SESSION_BUS_ADDRESS=ss.address)

The bus has its own configuration: it listens on a socket under the
test's directory and activates no service, so nothing but the daemons
started here ever answers on it (the machine's session bus, if any, is
never used). gnome-keyring-daemon runs in the test's HOME and
XDG_RUNTIME_DIR with only its secrets component, its login keyring
created and unlocked with a fixed password at start.

Every wait is a poll with a deadline; stop() ends the two daemons by
the PIDs this module started, SIGTERM first, SIGKILL after 5 s.
"""

import os
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

TOOLS = ("dbus-daemon", "dbus-send", "gnome-keyring-daemon", "secret-tool")
START_TIMEOUT = 15          # seconds for each daemon to come up
CALL_TIMEOUT = 10           # seconds for one secret-tool or dbus-send

BUS_CONF = """<!DOCTYPE busconfig PUBLIC
 "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def require_tools():
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.fail("missing %s: run make deps (tests/deps.sh installs "
                    "dbus, gnome-keyring, libsecret-tools)"
                    % " ".join(missing), pytrace=False)


def _end(proc):
    """End a process we started, by its PID."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


class Bus:
    """A private session bus (dbus-daemon) with no service activation."""

    def __init__(self, root):
        self.dir = Path(root) / "dbus"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.socket = self.dir / "bus"
        self.address = f"unix:path={self.socket}"
        self.proc = None

    def start(self):
        conf = self.dir / "session.conf"
        conf.write_text(BUS_CONF.format(socket=self.socket))
        self.proc = subprocess.Popen(
            ["dbus-daemon", f"--config-file={conf}", "--nofork",
             "--print-address=1"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        deadline = time.monotonic() + START_TIMEOUT
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.proc.stdout], [], [],
                                        max(left, 0))
            if not ready:
                self.stop()
                pytest.fail("dbus-daemon did not print its address")
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                err = self.proc.stderr.read()
                self.stop()
                pytest.fail(f"dbus-daemon exited: {err!r}")
            line += chunk
        return self

    def has_owner(self, name):
        p = subprocess.run(
            ["dbus-send", f"--bus={self.address}", "--print-reply",
             "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
             "org.freedesktop.DBus.NameHasOwner", f"string:{name}"],
            capture_output=True, timeout=CALL_TIMEOUT)
        return p.returncode == 0 and b"boolean true" in p.stdout

    def stop(self):
        _end(self.proc)
        for f in (self.proc.stdout, self.proc.stderr) if self.proc else ():
            f.close()


class SecretService:
    """gnome-keyring-daemon's Secret Service on a private Bus."""

    PASSWORD = b"keyring-unlock"

    def __init__(self, confdir):
        require_tools()
        self.confdir = confdir
        self.bus = Bus(confdir.root)
        self.address = self.bus.address
        self.proc = None

    def env(self, **extra):
        return self.confdir.env(DBUS_SESSION_BUS_ADDRESS=self.address,
                                **extra)

    def __enter__(self):
        self.bus.start()
        try:
            self._start_keyring()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def _start_keyring(self):
        self.log = open(self.confdir.root / "gnome-keyring.log", "wb")
        self.proc = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock",
             "--components=secrets"],
            stdin=subprocess.PIPE, stdout=self.log, stderr=self.log,
            env=self.env(), start_new_session=True)
        self.proc.stdin.write(self.PASSWORD)
        self.proc.stdin.close()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.bus.has_owner("org.freedesktop.secrets"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gnome-keyring-daemon did not take "
                            "org.freedesktop.secrets: " +
                            (self.confdir.root /
                             "gnome-keyring.log").read_text())
            time.sleep(0.05)

    def store(self, host, service, user, secret, label="msmtp"):
        """secret-tool store --label=LABEL host H service S user U."""
        self.store_attrs(secret, label, host=host, service=service,
                         user=user)

    def store_attrs(self, secret, label="msmtp", **attrs):
        argv = ["secret-tool", "store", f"--label={label}"]
        for k, v in attrs.items():
            argv += [k, v]
        p = subprocess.run(argv, input=secret.encode(), capture_output=True,
                           env=self.env(), timeout=CALL_TIMEOUT)
        assert p.returncode == 0, f"secret-tool store: {p.stderr!r}"

    def stop(self):
        if self.proc is not None:
            _end(self.proc)
            self.log.close()
            self.proc = None
        self.bus.stop()
