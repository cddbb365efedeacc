"""The network comes up, the queue flushes (issue 18).

msmtp-queue --daemon watches the kernel's address and route events
(netlink) and, when the machine gets a usable network, tries every
waiting mail at once, whatever its retry time, and forgets that the
server could not be reached; SIGUSR1 does the same on demand (the
hooks' "flush now"). The daemon holds SPOOL.pid while it runs.

The network tests run the daemon and a recording server in a private
network namespace (``ip netns``, as root), where the test brings a
veth pair up with an address and a default route; loopback only, no
DNS. Run as a script, this file is that server: ``test_netup.py serve
PORT`` listens on 127.0.0.1:PORT of its namespace, says "ready", and
when its stdin ends prints how many mails it received.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def serve(port):
    sys.path.insert(0, HERE)
    import recsmtpd
    with recsmtpd.RecordingServer(recsmtpd.Script(), port=port) as srv:
        print("ready", flush=True)
        sys.stdin.read()
        print(sum(len(r.transactions) for r in srv.sessions), flush=True)


if __name__ == "__main__" and sys.argv[1:2] == ["serve"]:
    serve(int(sys.argv[2]))
    sys.exit(0)


from conftest import free_port                            # noqa: E402
from test_spool import PortServer, Spool, poll, show      # noqa: E402

EX_TEMPFAIL = 75
BACKOFF = "queue_backoff_min 3600\n"    # no retry within any test


def states(spool):
    return sorted(m["state"] for m in spool.mails(with_data=False))


def tries(spool):
    return sum(m["tries"] for m in spool.mails(with_data=False))


def spool_mails(spool, n):
    for i in range(n):
        p = spool.msmtp("-odq", "bob@example.org",
                        mail=b"Subject: m %d\n\nbody\n" % i)
        assert p.returncode == 0, show(p)


def stop(pr):
    """SIGTERM, then its exit code, stdout and stderr (killed if it does
    not end in time)."""
    try:
        if pr.poll() is None:
            pr.send_signal(signal.SIGTERM)
        out, err = pr.communicate(timeout=10)
    finally:
        if pr.poll() is None:
            pr.kill()
            pr.wait()
    return pr.returncode, out, err


def in_ns(ns, *argv):
    # nsenter enters only the network namespace: `ip netns exec` also
    # remounts /sys, which fails where / is not a mount point (a chroot).
    return ["nsenter", f"--net=/run/netns/{ns}",
            *[str(a) for a in argv]]


def ip(ns, *args):
    p = subprocess.run(in_ns(ns, "ip", *args), capture_output=True,
                       timeout=10)
    assert p.returncode == 0, (args, p.stderr)


@pytest.fixture
def netns():
    """A private network namespace with lo up (the server's 127.0.0.1);
    deleted at teardown, after the test has ended its processes."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    ns = f"msq-netup-{os.getpid()}-{time.monotonic_ns() % 100000}"
    p = subprocess.run(["ip", "netns", "add", ns], capture_output=True,
                       timeout=10)
    if p.returncode != 0:
        pytest.skip(f"ip netns add: {p.stderr!r}")
    try:
        ip(ns, "link", "set", "lo", "up")
        yield ns
    finally:
        subprocess.run(["ip", "netns", "del", ns], timeout=10)


def start_server(ns, port):
    pr = subprocess.Popen(in_ns(ns, sys.executable, __file__, "serve", port),
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    line = pr.stdout.readline()
    if line != b"ready\n":
        pr.kill()
        pytest.fail(f"the server did not start: {line!r} "
                    f"{pr.stderr.read()!r}")
    return pr


def stop_server(pr):
    """How many mails it received."""
    try:
        out, err = pr.communicate(input=b"", timeout=10)
    finally:
        if pr.poll() is None:
            pr.kill()
            pr.wait()
    return int(out)


def bring_network_up(ns):
    """An address and a default route on a non-loopback interface."""
    ip(ns, "link", "add", "msq0", "type", "veth", "peer", "name", "msq1")
    ip(ns, "addr", "add", "10.9.8.7/24", "dev", "msq0")
    ip(ns, "link", "set", "msq1", "up")
    ip(ns, "link", "set", "msq0", "up")
    ip(ns, "route", "add", "default", "via", "10.9.8.1", "dev", "msq0")


def daemon_down_once(spool, popen_argv):
    """Start the daemon while the server is down: its first pass fails
    to connect, so the mails wait for an hour and the account's breaker
    holds."""
    pr = subprocess.Popen(popen_argv, env=spool.env(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    poll(lambda: tries(spool) >= 1, timeout=10,
         what="the daemon's first, failed, attempt")
    return pr


@pytest.mark.timeout(90)
def test_network_up_flushes_waiting_mail(spool, netns):
    port = 2525
    spool.rc(port, extra=BACKOFF)
    spool_mails(spool, 2)
    daemon = daemon_down_once(
        spool, in_ns(netns, spool.queue_path, *spool.argv("--daemon")))
    server = start_server(netns, port)
    try:
        # Loopback only: no flush (the mails would go now if it were).
        ip(netns, "addr", "add", "127.0.0.2/8", "dev", "lo")
        ip(netns, "route", "add", "10.1.0.0/16", "dev", "lo")
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            assert "sent" not in states(spool)
            time.sleep(0.1)
        t0 = time.monotonic()
        bring_network_up(netns)
        poll(lambda: states(spool) == ["sent", "sent"], timeout=15,
             what="the waiting mails to go when the network came up")
        delay = time.monotonic() - t0
    finally:
        rc, out, err = stop(daemon)
        received = stop_server(server)
    assert rc == 0, (rc, out, err)
    assert received == 2
    assert delay < 10
    # One burst of events (address, link, routes), one flush.
    assert err.count(b"the network came up") == 1, err


@pytest.mark.timeout(90)
def test_a_complete_network_flushes_at_once(spool, netns):
    """The event that leaves both a usable address and a default route
    is answered within milliseconds, not after the second a lone address
    waits for its route (bench/daemon_react.py measures it)."""
    port = 2525
    spool.rc(port, extra=BACKOFF)
    spool_mails(spool, 1)
    daemon = daemon_down_once(
        spool, in_ns(netns, spool.queue_path, *spool.argv("--daemon")))
    server = start_server(netns, port)
    try:
        bring_network_up(netns)
        t0 = time.monotonic()
        poll(lambda: states(spool) == ["sent"], timeout=15,
             what="the waiting mail to go when the network came up")
        delay = time.monotonic() - t0
    finally:
        rc, out, err = stop(daemon)
        received = stop_server(server)
    assert rc == 0, (rc, out, err)
    assert received == 1
    assert err.count(b"the network came up") == 1, err
    assert delay < 0.5, delay


@pytest.mark.timeout(90)
def test_refresh_is_not_new_but_a_return_is(spool, netns, tmp_path):
    """An address and default route there before the daemon started, then
    renewed (as DHCP and router adverts do), make no flush; the address
    gone and back does."""
    spool.rc(2525, extra=BACKOFF)
    bring_network_up(netns)
    log = tmp_path / "daemon.err"

    def flushes():
        return log.read_bytes().count(b"the network came up")

    with open(log, "wb") as errf:
        daemon = subprocess.Popen(
            in_ns(netns, spool.queue_path, *spool.argv("--daemon")),
            env=spool.env(), stdout=subprocess.DEVNULL, stderr=errf)
    try:
        poll(lambda: os.path.exists(str(spool.qf) + ".pid"), timeout=10,
             what="the daemon to start")
        ip(netns, "addr", "replace", "10.9.8.7/24", "dev", "msq0",
           "valid_lft", "300", "preferred_lft", "300")
        ip(netns, "route", "replace", "default", "via", "10.9.8.1",
           "dev", "msq0")
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            assert flushes() == 0, log.read_bytes()
            time.sleep(0.1)
        ip(netns, "addr", "del", "10.9.8.7/24", "dev", "msq0")
        ip(netns, "addr", "add", "10.9.8.7/24", "dev", "msq0")
        poll(lambda: flushes() == 1, timeout=5,
             what="a flush for the address that came back")
    finally:
        rc, out, err = stop(daemon)
    assert rc == 0, (rc, out, err)


@pytest.mark.timeout(90)
def test_flapping_link_flushes_at_most_every_ten_seconds(spool, netns,
                                                         tmp_path):
    """Bursts right after a flush are answered once, at the end of the
    gap (not lost), not each at once."""
    spool.rc(2525, extra=BACKOFF)
    log = tmp_path / "daemon.err"

    def flushes():
        return log.read_bytes().count(b"the network came up")

    with open(log, "wb") as errf:
        daemon = subprocess.Popen(
            in_ns(netns, spool.queue_path, *spool.argv("--daemon")),
            env=spool.env(), stdout=subprocess.DEVNULL, stderr=errf)
    try:
        poll(lambda: os.path.exists(str(spool.qf) + ".pid"), timeout=10,
             what="the daemon to start")
        bring_network_up(netns)
        t0 = time.monotonic()
        poll(lambda: flushes() == 1, timeout=5, what="the first flush")
        for i in range(3):      # three more bursts, 1.5 s apart
            deadline = time.monotonic() + 1.5
            while time.monotonic() < deadline:
                time.sleep(0.1)
            ip(netns, "addr", "add", f"10.9.9.{i + 1}/24", "dev", "msq0")
        assert time.monotonic() - t0 < 8
        assert flushes() == 1
        poll(lambda: flushes() == 2, timeout=10,
             what="one flush for the later bursts, at the gap's end")
        assert time.monotonic() - t0 > 9
    finally:
        rc, out, err = stop(daemon)
    assert rc == 0, (rc, out, err)


@pytest.mark.timeout(60)
def test_sigusr1_reaches_each_spools_daemon(spool, tmp_path):
    """Several spools: one child each, each holding its pid file; the
    parent passes SIGUSR1 on."""
    port = free_port()
    q1, q2 = tmp_path / "q1" / "queue.db", tmp_path / "q2" / "queue.db"
    spool.confdir.write(
        "defaults\nauth off\ntls off\nhost 127.0.0.1\n"
        f"port {port}\n{BACKOFF}\n"
        f"account default\nfrom a@example.org\nqueue_file {q1}\n\n"
        f"account other\nfrom o@example.org\nqueue_file {q2}\n",
        path=spool.rcfile)
    for account, q in (("default", q1), ("other", q2)):
        p = spool.msmtp("-odq", "-a", account, "bob@example.org", qf=False,
                        mail=b"Subject: s\n\nbody\n")
        assert p.returncode == 0, show(p)
    both = [Spool(spool.confdir, tmp_path) for _ in (q1, q2)]
    for sp, q in zip(both, (q1, q2)):
        sp.qf = q
    daemon = subprocess.Popen(
        [spool.queue_path, "-C", str(spool.rcfile), "--daemon"],
        env=spool.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for sp in both:
            poll(lambda: tries(sp) >= 1, timeout=10,
                 what="each spool's first, failed, attempt")
        pids = {int(open(f"{q}.pid").read()) for q in (q1, q2)}
        assert len(pids) == 2 and daemon.pid not in pids
        with PortServer(port=port):
            daemon.send_signal(signal.SIGUSR1)
            for sp in both:
                poll(lambda: states(sp) == ["sent"], timeout=5,
                     what="each spool's mail to go on SIGUSR1")
    finally:
        rc, out, err = stop(daemon)
    assert rc == 0, (rc, out, err)


@pytest.mark.timeout(60)
def test_sigusr1_flushes_waiting_mail(spool):
    port = free_port()
    spool.rc(port, extra=BACKOFF)
    spool_mails(spool, 2)
    daemon = daemon_down_once(
        spool, [spool.queue_path, *[str(a) for a in
                                    spool.argv("--daemon")]])
    try:
        with PortServer(port=port) as srv:
            daemon.send_signal(signal.SIGUSR1)
            poll(lambda: states(spool) == ["sent", "sent"], timeout=5,
                 what="the waiting mails to go on SIGUSR1")
            assert sum(len(r.transactions) for r in srv.sessions) == 2
    finally:
        rc, out, err = stop(daemon)
    assert rc == 0, (rc, out, err)
    assert b"SIGUSR1: trying every waiting mail now" in err


@pytest.mark.timeout(60)
def test_daemon_holds_a_pid_file(spool):
    spool.rc(free_port())
    pidfile = str(spool.qf) + ".pid"
    daemon = subprocess.Popen(
        [spool.queue_path, *[str(a) for a in spool.argv("--daemon")]],
        env=spool.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        poll(lambda: os.path.exists(pidfile) and
             open(pidfile).read() == f"{daemon.pid}\n", timeout=10,
             what="the daemon's pid file")
        assert os.stat(pidfile).st_mode & 0o077 == 0
        # Locked while it runs (how a hook tells a live daemon's file).
        p = subprocess.run(["flock", "-n", "-E", "99", pidfile, "true"],
                           timeout=10)
        assert p.returncode == 99
        second = spool.queue("--daemon")
        assert second.returncode == EX_TEMPFAIL, show(second)
        assert f"pid {daemon.pid} already serves".encode() in \
            second.stderr, show(second)
    finally:
        rc, out, err = stop(daemon)
    assert rc == 0, (rc, out, err)
    assert not os.path.exists(pidfile)
