"""Happy Eyeballs (RFC 8305) and the whole-connect timeout (issue 22).

The mail server's name resolves, through a DNS server of the test's own
on a loopback address (dnssrv.py; each msmtp runs in a mount namespace whose
/etc/resolv.conf names it, as in test_dns.py), to both ::1 and
127.0.0.1. One family, or both, silently drops SYNs: a listener on that
address and the server's port with a backlog of 0 whose one queue slot
is taken by a connection of the test's own, so the kernel drops every
further SYN (its accept queue is full) and the client hears nothing.
(No firewall is needed: neither nftables nor iptables is on the machine.)

- IPv6 drops, IPv4 serves: ours starts IPv4 after the Connection Attempt
  Delay (250 ms) and the mail goes out long before the timeout; msmtp
  waits the whole timeout on ::1 first.
- IPv4 drops, IPv6 serves: IPv6 goes first, the mail goes out at once.
- Both drop: ours gives up after `timeout` in all; msmtp after
  `timeout` per address. The message and the exit code are msmtp's.
- Nothing listens on ::1: its refusal starts 127.0.0.1 at once; nothing
  listens on either: msmtp's "Connection refused" and exit code.

Needs root (port 53, mount namespaces), unshare(1) and IPv6 on lo;
skipped otherwise.
"""

import contextlib
import os
import socket
import time

import pytest

from conftest import REF_PATH, RecordingServer, normalize, ours_extra_args, run
from dnssrv import DnsServer, free_dns_addr, resolver_prefix

NAME = "mail.test-eyeballs.example"
BOB = "bob@example.net"
MAIL = (b"From: Alice <alice@example.org>\nTo: bob@example.net\n"
        b"Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
        b"Message-ID: <eyeballs.1@example.org>\nSubject: eyeballs\n\n"
        b"Hello.\n")
EX_TEMPFAIL = 75
DELAY = 0.25          # ours: the Connection Attempt Delay
SLACK = 1.5           # seconds allowed for a process to start and send

RC = """\
defaults
auth off
tls off
timeout {timeout}

account default
host {host}
port {port}
from alice@example.org
"""

FAMILY = {"v6": (socket.AF_INET6, "::1"), "v4": (socket.AF_INET, "127.0.0.1")}


@pytest.fixture
def prefix(tmp_path):
    """The command line that runs msmtp with our DNS server as its
    resolver; the DNS server runs for the test's length."""
    addr = free_dns_addr()
    prefix = resolver_prefix(tmp_path, addr)
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    with DnsServer({NAME: ("127.0.0.1", "::1")}, addr=addr):
        yield prefix


class Blackhole:
    """A listener on addr:port that never accepts, its one backlog slot
    filled: the kernel drops every SYN that comes to it."""

    def __init__(self, family, port):
        fam, addr = FAMILY[family]
        self.listener = socket.socket(fam, socket.SOCK_STREAM)
        self.listener.bind((addr, port))
        self.listener.listen(0)
        self.port = self.listener.getsockname()[1]
        self.filler = socket.create_connection((addr, self.port), timeout=5)
        probe = socket.socket(fam, socket.SOCK_STREAM)
        probe.settimeout(0.3)
        try:
            with pytest.raises(OSError):    # premise: SYNs go unanswered
                probe.connect((addr, self.port))
        finally:
            probe.close()

    def close(self):
        self.filler.close()
        self.listener.close()


def free_port_on_both():
    """A port free on ::1 and on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET6) as s6:
            s6.bind(("::1", 0))
            port = s6.getsockname()[1]
            with socket.socket(socket.AF_INET) as s4:
                try:
                    s4.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    pytest.fail("no port free on both ::1 and 127.0.0.1")


@contextlib.contextmanager
def server_on(serving, dropping):
    """A RecordingServer on the `serving` family (None: none) and a
    Blackhole on each family of `dropping`, all on one port."""
    with contextlib.ExitStack() as stack:
        srv = None
        port = free_port_on_both()
        if serving is not None:
            srv = RecordingServer(port=port, host=FAMILY[serving][1])
            stack.enter_context(srv)
        for family in dropping:
            stack.callback(Blackhole(family, port).close)
        yield srv, port


def timed_send(binary, prefix, tmp_path, port, timeout):
    """Run one msmtp (ours: with ours_extra_args, i.e. --queue=off) on
    MAIL; (exit code, stderr, seconds it took)."""
    rc_path = tmp_path / "msmtprc"
    rc_path.write_text(RC.format(timeout=timeout, host=NAME, port=port))
    rc_path.chmod(0o600)
    extra = [] if binary == REF_PATH else ours_extra_args
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "HOME": str(tmp_path)}
    start = time.monotonic()
    rc, _out, err = run(binary, [*extra, "-C", rc_path, BOB], MAIL, env=env,
                        prefix=prefix, timeout=4 * timeout + 20)
    return rc, err, time.monotonic() - start


@pytest.fixture
def ours_path():
    build = os.environ.get("MSMTP_BUILD")
    if not build:
        pytest.fail("MSMTP_BUILD is not set", pytrace=False)
    return os.path.join(build, "msmtp")


def delivered(srv):
    assert srv.wait_closed(10)
    assert len(srv.sessions) == 1, srv.sessions
    assert len([t for r in srv.sessions for t in r.transactions]) == 1
    return normalize(bytes(srv.sessions[0].raw))


def test_ipv6_drops_ipv4_goes_out_after_the_delay(prefix, tmp_path,
                                                  ours_path):
    """::1 drops SYNs: the mail goes out over 127.0.0.1 within the
    attempt delay plus a round trip, far within `timeout` (10 s), which
    msmtp spends on ::1 first."""
    with server_on("v4", ["v6"]) as (srv, port):
        rc, err, took = timed_send(ours_path, prefix, tmp_path, port, 10)
        assert rc == 0, err
        delivered(srv)
    # ::1 first: 127.0.0.1 is not tried before the delay is over.
    assert DELAY <= took < DELAY + SLACK, f"took {took:.2f} s"


def test_ipv4_drops_ipv6_goes_out_at_once(prefix, tmp_path, ours_path):
    with server_on("v6", ["v4"]) as (srv, port):
        rc, err, took = timed_send(ours_path, prefix, tmp_path, port, 10)
        assert rc == 0, err
        delivered(srv)
    assert took < SLACK, f"took {took:.2f} s"


def test_both_drop_the_timeout_bounds_the_whole_connect(prefix, tmp_path,
                                                        ours_path):
    """Both addresses drop SYNs: one `timeout` (2 s) in all, not one per
    address, then msmtp's message and exit code."""
    with server_on(None, ["v6", "v4"]) as (_srv, port):
        rc, err, took = timed_send(ours_path, prefix, tmp_path, port, 2)
    assert rc == EX_TEMPFAIL, err
    assert err.startswith(b"msmtp: cannot connect to %s, port %d: "
                          b"Connection timed out\n" % (NAME.encode(), port)), err
    assert 2.0 - 0.05 <= took < 2.0 + SLACK, f"took {took:.2f} s"


def test_differential_one_family_drops(prefix, tmp_path, ours_path):
    """Where msmtp's behaviour is visible, the same: the mail on the wire
    byte for byte, exit code and stderr. Only the time differs (msmtp:
    the whole timeout on ::1 first)."""
    result = {}
    for name, binary in (("ref", REF_PATH), ("ours", ours_path)):
        with server_on("v4", ["v6"]) as (srv, port):
            rc, err, took = timed_send(binary, prefix, tmp_path, port, 2)
            result[name] = (rc, err, delivered(srv), took)
    assert result["ref"][:3] == result["ours"][:3]
    assert result["ref"][0] == 0
    assert result["ref"][3] >= 2.0 - 0.05   # premise: msmtp waits on ::1
    assert result["ours"][3] < DELAY + SLACK


def test_differential_both_drop(prefix, tmp_path, ours_path):
    """Both drop: msmtp's message and exit code, in half msmtp's time
    (msmtp: timeout × 2 addresses)."""
    result = {}
    for name, binary in (("ref", REF_PATH), ("ours", ours_path)):
        with server_on(None, ["v6", "v4"]) as (_srv, port):
            rc, err, took = timed_send(binary, prefix, tmp_path, port, 2)
            result[name] = (rc, err.replace(b"port %d" % port, b"port P"),
                            took)
    assert result["ref"][:2] == result["ours"][:2]
    assert result["ref"][0] == EX_TEMPFAIL
    assert result["ref"][2] >= 2 * 2.0 - 0.05   # premise: per address
    assert 2.0 - 0.05 <= result["ours"][2] < 2.0 + SLACK


def test_ipv6_refuses_ipv4_goes_out(prefix, tmp_path, ours_path):
    """Nothing listens on ::1: its refusal starts 127.0.0.1 at once."""
    with server_on("v4", []) as (srv, port):
        rc, err, took = timed_send(ours_path, prefix, tmp_path, port, 10)
        assert rc == 0, err
        delivered(srv)
    assert took < SLACK, f"took {took:.2f} s"


def test_differential_both_refuse(prefix, tmp_path, ours_path):
    """Nothing listens on either address: msmtp's message (the last
    address's error) and exit code."""
    result = {}
    for name, binary in (("ref", REF_PATH), ("ours", ours_path)):
        with server_on(None, []) as (_srv, port):
            rc, err, _took = timed_send(binary, prefix, tmp_path, port, 10)
            result[name] = (rc, err.replace(b"port %d" % port, b"port P"))
    assert result["ref"] == result["ours"]
    assert b"Connection refused" in result["ours"][1]
