"""The network hooks in dist/hooks (issue 18).

Each hook runs as root with the arguments and the environment its caller
gives (NetworkManager's dispatcher, ifupdown's run-parts,
networkd-dispatcher; /work/shared/reference/integration.md, sections
1-3), on a machine where two users and root have mail waiting in their
spools. The hook must return within a second (the server is slow: a
hook that waited for the mail would not); every user's mail must then
arrive, sent by msmtp-queue running as that user; and when the
background work is done, no process of it may be left.

The users exist only in a private mount namespace (unshare -m, with a
passwd and a group file of the test's bound over the real ones), where
every hook runs, so the machine's own users are never touched. Homes,
/run/user directories and the hooks' lock live in a directory of the
test: the hooks are installed there as make install writes them
(distfiles.py), with RUNDIR= set to the test's run/. Needs root, unshare(1),
setpriv(1) and run-parts(8); skipped otherwise.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import Script, free_port
from distfiles import DIST, installed_text
from test_spool import (BOB, _build, poll, port_server,  # noqa: F401
                        read_spool, show, transactions)

ROOT = os.geteuid() == 0
HOOKS = DIST / "hooks"

pytestmark = pytest.mark.skipif(
    not ROOT or not all(shutil.which(p) for p in ("unshare", "setpriv",
                                                   "run-parts")),
    reason="needs root, unshare(1), setpriv(1) and run-parts(8)")

USERS = {"hookusr1": 4251, "hookusr2": 4252}
UIDS = {**USERS, "root": 0}     # root's own spool counts too
RUNDIR_LINE = "RUNDIR=/run\n"

USER_RC = """\
defaults
auth off
tls off
queue_backoff_min 3600
queue_backoff_max 7200

account default
host 127.0.0.1
port {port}
from {name}@example.org
"""

# $0 is the test's directory; the users exist only in here.
NAMESPACE = r"""set -e
mount --make-rprivate /
mount --bind "$0/passwd" /etc/passwd
mount --bind "$0/group" /etc/group
exec "$@"
"""


def _owned(path, uid, mode):
    os.chown(path, uid, uid)
    os.chmod(path, mode)


class Machine:
    """The test's directory: users, their homes, and the installed hooks."""

    def __init__(self, root, port):
        self.root = root
        self.port = port
        self.msmtp, self.queue = _build()
        os.chmod(root, 0o755)
        self._write_users()
        (root / "run" / "user").mkdir(parents=True)
        for name, uid in UIDS.items():
            home = self.home(name)
            home.mkdir(parents=True)
            _owned(home, uid, 0o755)
            rc = home / ".msmtprc"
            rc.write_text(USER_RC.format(port=port, name=name))
            _owned(rc, uid, 0o600)
            rt = self.runtime(uid)
            rt.mkdir()
            _owned(rt, uid, 0o700)
        self.lib = root / "lib"
        self.lib.mkdir()
        self.netup = self.install(HOOKS / "msmtp-queue-netup", self.lib)
        self.hooks = {
            "nm": self.install(HOOKS / "nm" / "90-msmtp-queue",
                               root / "dispatcher.d"),
            "ifupdown": self.install(HOOKS / "ifupdown" / "msmtp-queue",
                                     root / "if-up.d"),
            "networkd": self.install(HOOKS / "networkd" / "msmtp-queue",
                                     root / "routable.d"),
        }

    def _write_users(self):
        """Only root (its home in here), nobody and the two users: the
        hooks must not touch the machine's real users."""
        passwd = (f"root:x:0:0:root:{self.root}/home/root:/bin/sh\n"
                  "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
        group = "root:x:0:\nnogroup:x:65534:\n"
        for name, uid in USERS.items():
            passwd += f"{name}:x:{uid}:{uid}::{self.home(name)}:/bin/sh\n"
            group += f"{name}:x:{uid}:\n"
        (self.root / "passwd").write_text(passwd)
        (self.root / "group").write_text(group)

    def home(self, name):
        return self.root / "home" / name

    def runtime(self, uid):
        return self.root / "run" / "user" / str(uid)

    def spool(self, name):
        return self.home(name) / ".local/state/msmtp/queue.db"

    def install(self, src, directory):
        """src with its paths set to this machine's, mode 0755 root."""
        directory.mkdir(exist_ok=True)
        os.chmod(directory, 0o755)
        text = installed_text(src, os.path.dirname(self.queue), self.lib)
        if RUNDIR_LINE in text:
            text = text.replace(RUNDIR_LINE, f"RUNDIR={self.root}/run\n")
        dst = directory / src.name
        dst.write_text(text)
        os.chmod(dst, 0o755)
        return dst

    def ns(self, argv, env, cwd="/", mail=None, timeout=30):
        """argv in the namespace, with exactly env (and cwd)."""
        return subprocess.run(
            ["unshare", "-m", "sh", "-c", NAMESPACE, str(self.root),
             "env", "-i", *[f"{k}={v}" for k, v in env.items()],
             *[str(a) for a in argv]],
            input=mail, stdin=None if mail else subprocess.DEVNULL,
            capture_output=True, cwd=cwd, timeout=timeout,
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})

    def user_env(self, name):
        uid = UIDS[name]
        return {"PATH": "/usr/bin:/bin", "HOME": self.home(name),
                "USER": name, "LOGNAME": name, "LC_ALL": "C",
                "XDG_RUNTIME_DIR": self.runtime(uid)}

    def as_user(self, name, argv):
        uid = UIDS[name]
        return ["setpriv", f"--reuid={uid}", f"--regid={uid}",
                "--init-groups", "--", *argv]

    def spool_mail(self, name):
        """One mail from name, spooled only (-odq): it waits."""
        p = self.ns(self.as_user(name, [self.msmtp, "-odq", BOB]),
                    self.user_env(name), cwd=self.home(name),
                    mail=f"Subject: from {name}\n\nhi\n".encode())
        assert p.returncode == 0, show(p)
        assert len(read_spool(self.spool(name), with_data=False)) == 1

    def leftovers(self, keep=()):
        """PIDs of the processes this test started: those that name the
        test's directory in their arguments (the hooks) or environment
        (HOME: msmtp-queue as a user). Not by uid: another run of this
        file may use the same users at the same time."""
        mark = str(self.root).encode()
        out = []
        for d in Path("/proc").iterdir():
            if not d.name.isdigit() or int(d.name) in keep:
                continue
            try:
                seen = ((d / "cmdline").read_bytes() +
                        (d / "environ").read_bytes())
            except OSError:
                continue
            if mark in seen:
                out.append(int(d.name))
        return out


@pytest.fixture
def machine_at():
    """Factory: machine_at(port); every process left is killed (by PID)
    and the directory removed at teardown."""
    made = []

    def make(port):
        root = Path(tempfile.mkdtemp(prefix="msmtp-hooks-"))
        m = Machine(root, port)
        made.append(m)
        probe = m.ns(["true"], {})
        if probe.returncode != 0:
            pytest.skip(f"cannot make the namespace: {probe.stderr!r}")
        return m

    yield make
    for m in made:
        for pid in m.leftovers():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(m.root, ignore_errors=True)


@pytest.fixture
def machine(machine_at, server):
    # A slow server (1.5 s before each MAIL and RCPT reply): a hook that
    # waited for the mail to go would not return within the second.
    srv = server(Script(hold_replies=1.5))
    m = machine_at(srv.port)
    m.srv = srv
    return m


# What each caller gives its hooks: (argv, environment). The interface
# is eth0 with 192.0.2.10/24 (TEST-NET-1: never contacted).

NM_ENV = {
    "CONNECTION_UUID": "0b1e4a5e-6f4d-4b43-9a1c-3e1f0e7bbd6c",
    "CONNECTION_ID": "Wired connection 1",
    "CONNECTION_DBUS_PATH": "/org/freedesktop/NetworkManager/Settings/1",
    "CONNECTION_FILENAME":
        "/run/NetworkManager/system-connections/Wired connection 1.nmconnection",
    "DEVICE_IFACE": "eth0", "DEVICE_IP_IFACE": "eth0",
    "IP4_ADDRESS_0": "192.0.2.10/24 192.0.2.1", "IP4_NUM_ADDRESSES": "1",
    "IP4_GATEWAY": "192.0.2.1", "IP4_NAMESERVERS": "192.0.2.53",
    "DHCP4_IP_ADDRESS": "192.0.2.10",
}

IFUPDOWN_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "IFACE": "eth0", "LOGICAL": "eth0", "ADDRFAM": "inet",
    "METHOD": "dhcp", "MODE": "start", "PHASE": "post-up",
    "VERBOSITY": "0", "IF_HOSTNAME": "laptop",
}

NETWORKD_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "IFACE": "eth0", "STATE": "routable",
    "AdministrativeState": "configured", "OperationalState": "routable",
    "ADDR": "192.0.2.10", "IP_ADDRS": "192.0.2.10", "IP6_ADDRS": "",
    "ESSID": "",
    "json": '{"Type": "ether", "OperationalState": "routable"}',
}


def caller(m, kind):
    """(argv, env) of one caller's event that means "the network is up"."""
    if kind == "nm-up":
        return ([m.hooks["nm"], "eth0", "up"],
                {**NM_ENV, "NM_DISPATCHER_ACTION": "up"})
    if kind == "nm-connectivity":
        return ([m.hooks["nm"], "", "connectivity-change"],
                {"NM_DISPATCHER_ACTION": "connectivity-change",
                 "CONNECTIVITY_STATE": "FULL"})
    if kind == "ifupdown":
        # As /sbin/ifup calls it: run-parts over the directory.
        return (["run-parts", "--exit-on-error", m.hooks["ifupdown"].parent],
                IFUPDOWN_ENV)
    if kind == "networkd":
        return [m.hooks["networkd"]], NETWORKD_ENV
    raise ValueError(kind)


def run_hook(m, argv, env):
    """Run the hook as its caller would; (process, seconds it took)."""
    start = time.monotonic()
    p = m.ns(argv, env)
    return p, time.monotonic() - start


def wait_done(m, keep=()):
    poll(lambda: not m.leftovers(keep), timeout=30,
         what="the hook's background work to end")


def senders(srv):
    return sorted(t[0] for t in transactions(srv))


def states(m, name):
    return [x["state"] for x in read_spool(m.spool(name), with_data=False)]


@pytest.mark.timeout(90)
@pytest.mark.parametrize("kind", ["nm-up", "nm-connectivity", "ifupdown",
                                  "networkd"])
def test_hook_flushes_every_users_queue(machine, kind):
    m = machine
    for name in UIDS:
        m.spool_mail(name)
    assert transactions(m.srv) == []
    p, took = run_hook(m, *caller(m, kind))
    assert p.returncode == 0, show(p)
    assert p.stdout == b"" and p.stderr == b"", show(p)
    assert took < 1.0, f"the hook took {took:.2f}s"
    poll(lambda: len(transactions(m.srv)) >= 3, timeout=30,
         what="every user's mail to arrive")
    wait_done(m)
    assert senders(m.srv) == [f"{n}@example.org" for n in sorted(UIDS)]
    for name, uid in UIDS.items():
        assert states(m, name) == ["sent"]
        # Run as the user: the spool is still the user's alone.
        assert m.spool(name).stat().st_uid == uid


@pytest.mark.parametrize("argv,env", [
    (["eth0", "down"], {"NM_DISPATCHER_ACTION": "down"}),
    (["lo", "up"], {"NM_DISPATCHER_ACTION": "up"}),
    (["", "connectivity-change"], {"CONNECTIVITY_STATE": "UNKNOWN"}),
    (["", "connectivity-change"], {"CONNECTIVITY_STATE": "LIMITED"}),
    (["none", "hostname"], {}),
    (["eth0", "pre-up"], {}),
    (None, {"IFACE": "lo", "MODE": "start", "METHOD": "loopback"}),
    (None, {"IFACE": "--all", "ADDRFAM": "meta", "METHOD": "none",
            "MODE": "start"}),
    (None, {"IFACE": "eth0", "MODE": "start",
            "METHOD": "NetworkManager"}),
    ("networkd", {"IFACE": "lo", "STATE": "routable"}),
    ("networkd", {"IFACE": "eth0", "STATE": "off"}),
], ids=["nm-down", "nm-lo", "nm-unknown", "nm-limited", "nm-hostname",
        "nm-pre-up", "ifupdown-lo", "ifupdown-all", "ifupdown-replayed-by-nm",
        "networkd-lo", "networkd-off"])
def test_other_events_do_nothing(machine_at, argv, env):
    """Events that do not mean "the network is now usable" (or that
    another hook already handles) do not start the helper: here a stub
    that leaves a mark."""
    m = machine_at(free_port())
    mark = m.root / "ran"
    m.netup.write_text(f"#!/bin/sh\necho ran >{mark}\n")
    if argv is None:
        argv = ["run-parts", "--exit-on-error", m.hooks["ifupdown"].parent]
    elif argv == "networkd":
        argv = [m.hooks["networkd"]]
    else:
        argv = [m.hooks["nm"], *argv]
    p, _ = run_hook(m, argv, {"PATH": "/usr/bin:/bin", **env})
    assert p.returncode == 0 and p.stderr == b"", show(p)
    assert not mark.exists()
    # The check itself: an "up" event does reach the stub.
    p, _ = run_hook(m, [m.hooks["nm"], "eth0", "up"], {})
    assert p.returncode == 0 and mark.exists(), show(p)


def test_hooks_without_the_helper_exit_0(machine_at):
    """The package removed but its hooks (conffiles) kept: ifup must not
    fail because of them."""
    m = machine_at(free_port())
    m.netup.unlink()
    for argv, env in (caller(m, "nm-up"), caller(m, "ifupdown"),
                      caller(m, "networkd")):
        p, _ = run_hook(m, argv, env)
        assert p.returncode == 0 and p.stderr == b"", show(p)


def test_hook_names_are_run_by_their_callers():
    """run-parts skips names with a dot; each hook is executable."""
    for hook in (HOOKS / "ifupdown" / "msmtp-queue",
                 HOOKS / "networkd" / "msmtp-queue",
                 HOOKS / "nm" / "90-msmtp-queue",
                 HOOKS / "msmtp-queue-netup"):
        assert os.access(hook, os.X_OK), hook
    p = subprocess.run(["run-parts", "--test", HOOKS / "ifupdown"],
                       capture_output=True, timeout=10)
    assert p.stdout.decode().split() == [str(HOOKS / "ifupdown" /
                                             "msmtp-queue")]


@pytest.mark.timeout(60)
def test_background_work_is_bounded(machine_at, server):
    """A server that stops answering: the helper's time limit (here cut
    from 300 s to 2 s) ends the work, and every process it started."""
    srv = server(Script(hang_at="MAIL"))
    m = machine_at(srv.port)
    text = m.netup.read_text()
    assert "\nTIMEOUT=300\n" in text
    m.netup.write_text(text.replace("\nTIMEOUT=300\n", "\nTIMEOUT=2\n"))
    for name in USERS:
        m.spool_mail(name)
    p, took = run_hook(m, *caller(m, "networkd"))
    assert p.returncode == 0 and took < 1.0, show(p)
    poll(lambda: len(srv.sessions) >= 2, timeout=15,
         what="both users' msmtp-queue to connect")
    assert m.leftovers()
    wait_done(m)
    assert transactions(srv) == []
    for name in USERS:
        assert read_spool(m.spool(name), with_data=False), name


@pytest.mark.timeout(60)
def test_a_burst_of_events_sends_each_mail_once(machine):
    """ifupdown's run per address family, and several interfaces, come
    together: the runs follow one another and each mail goes once."""
    m = machine
    for name in USERS:
        m.spool_mail(name)
    argv, env = caller(m, "ifupdown")
    for fam, iface in (("inet", "eth0"), ("inet6", "eth0"),
                       ("inet", "wlan0")):
        p, took = run_hook(m, argv, {**env, "ADDRFAM": fam, "IFACE": iface})
        assert p.returncode == 0 and took < 1.0, show(p)
    poll(lambda: len(transactions(m.srv)) >= 2, timeout=30,
         what="both users' mail to arrive")
    wait_done(m)
    assert len(transactions(m.srv)) == 2


def daemon_supports_sigusr1():
    """msmtp-queue --help mentions SIGUSR1, or the program has its
    "SIGUSR1: trying every waiting mail now" message."""
    _, queue = _build()
    p = subprocess.run([queue, "--help"], capture_output=True, timeout=10)
    return (b"SIGUSR1" in p.stdout + p.stderr or
            b"SIGUSR1" in Path(queue).read_bytes())


@pytest.mark.timeout(90)
def test_running_daemon_is_woken(machine_at, port_server):
    """hookusr1 runs msmtp-queue --daemon; its mail waits, backed off
    for an hour, after the server was down. The server comes back and
    the hook fires: the daemon is woken with SIGUSR1 (it sends the mail
    and still runs), and hookusr2's mail goes through msmtp-queue --flush
    as before."""
    if not daemon_supports_sigusr1():
        pytest.skip("msmtp-queue --daemon does not take SIGUSR1 yet")
    port = free_port()
    m = machine_at(port)
    d_user = "hookusr1"
    # Where the daemon keeps its pid: beside its spool (queue/pidfile.h).
    pidfiles = [Path(f"{m.spool(d_user)}.pid")]
    daemon = subprocess.Popen(
        ["unshare", "-m", "sh", "-c", NAMESPACE, str(m.root), "env", "-i",
         *[f"{k}={v}" for k, v in m.user_env(d_user).items()],
         *m.as_user(d_user, [m.queue, "--daemon"])],
        cwd=m.home(d_user), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
    try:
        pidfile = poll(lambda: next((f for f in pidfiles if f.exists()),
                                    None),
                       timeout=15, what="the daemon's pid file")
        dpid = int(pidfile.read_text())
        assert dpid == daemon.pid   # unshare, sh, env, setpriv: all exec
        for name in USERS:
            m.spool_mail(name)
        poll(lambda: states(m, d_user) == ["deferred"], timeout=15,
             what="the daemon to try the mail and defer it")
        srv = port_server(port, Script())
        p, took = run_hook(m, *caller(m, "nm-up"))
        assert p.returncode == 0 and took < 1.0, show(p)
        poll(lambda: len(transactions(srv)) >= 2, timeout=30,
             what="both users' mail to arrive")
        wait_done(m, keep=(daemon.pid, dpid))
        assert senders(srv) == [f"{n}@example.org" for n in sorted(USERS)]
        assert daemon.poll() is None, "SIGUSR1 ended the daemon"
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            _, err = daemon.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            _, err = daemon.communicate()
    # The daemon says why it flushed (not a --flush beside it).
    assert b"SIGUSR1" in err, err
