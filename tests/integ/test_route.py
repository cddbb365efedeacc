"""Differential tests of how msmtp reaches its server: proxy_host and
proxy_port (SOCKS5, the proxy resolving the server's name), socket (a
Unix domain socket) and source_ip, through Debian's msmtp and ours.

The proxy (relays.Socks5) resolves names from its own table, so the
server's name "mail.example.org" never reaches a resolver: if either
client looked it up itself, the test would fail (or leak a query), and
the proxy records what it was asked for.
"""

import pytest

from conftest import normalize, run
from relays import Socks5, UnixRelay

BOB = "bob@example.net"
MAIL = (b"From: Alice <alice@example.org>\nTo: bob@example.net\n"
        b"Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
        b"Message-ID: <route.1@example.org>\nSubject: route\n\nHello.\n")

RC = """\
defaults
auth off
tls off

account default
host {host}
port {port}
from alice@example.org
"""


def proxied(proxy_port, host="mail.example.org"):
    return (RC.replace("{host}", host) +
            f"proxy_host 127.0.0.1\nproxy_port {proxy_port}\n")


def test_proxy_carries_the_session(diff):
    with Socks5(resolve={"mail.example.org": "127.0.0.1"}) as proxy:
        r, o = diff(config=proxied(proxy.port), args=[BOB], mail=MAIL,
                    expect_rc=0)
    # CONNECT by name (type 3), once per client, to the server's port.
    assert [(a, h) for a, h, _ in proxy.requests] == \
        [(3, "mail.example.org")] * 2
    assert len(o.transactions) == 1


def test_proxy_gets_ip_literals_as_names(diff):
    with Socks5(resolve={"127.0.0.1": "127.0.0.1"}) as proxy:
        diff(config=proxied(proxy.port, host="127.0.0.1"), args=[BOB],
             mail=MAIL, expect_rc=0)
    assert [(a, h) for a, h, _ in proxy.requests] == [(3, "127.0.0.1")] * 2


FAULTS = {
    "no_acceptable_method": dict(method=0xFF),
    "wants_a_password": dict(method=2),
    "socks4_reply": dict(version=4),
    **{f"rep_{n}": dict(reply=n) for n in range(1, 10)},
    "unknown_host": dict(),      # resolve table empty: REP 4
}


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_proxy_failure(diff, fault):
    with Socks5(**fault) as proxy:
        r, o = diff(config=proxied(proxy.port), args=[BOB], mail=MAIL,
                    expect_rc=69, wire="lenient")
    assert o.stderr.startswith(b"msmtp: proxy failure: ")
    assert not o.transactions


def test_proxy_not_listening(diff):
    from conftest import free_port
    diff(config=proxied(free_port()), args=[BOB], mail=MAIL, expect_rc=75,
         wire="lenient")


def test_unix_socket(ref, ours, confdir, server, tmp_path):
    srv = server()
    path = tmp_path / "smtp.sock"
    config = RC.replace("{host}", "mail.example.org").replace(
        "{port}", "25") + f"socket {path}\n"
    rc_file = confdir.write(config)
    with UnixRelay(path, srv.port):
        for b in (ref, ours):
            rc, out, err = run(b, ["-C", rc_file, BOB], MAIL,
                               env=confdir.env())
            assert rc == 0, (b.name, err)
        assert srv.wait_closed(10)
    raw = [normalize(bytes(s.raw)) for s in srv.sessions]
    assert len(raw) == 2 and raw[0] == raw[1]


def test_unix_socket_missing(diff, tmp_path):
    config = RC + f"socket {tmp_path / 'nothing.sock'}\n"
    diff(config=config.replace("{host}", "mail.example.org"), args=[BOB],
         mail=MAIL, expect_rc=75, wire="lenient")


@pytest.mark.parametrize("ip,rc", [("127.0.0.1", 0), ("10.9.9.9", 71),
                                   ("bogus", 71)],
                         ids=["loopback", "not_local", "not_an_address"])
def test_source_ip(diff, ip, rc):
    config = RC.replace("{host}", "127.0.0.1") + f"source_ip {ip}\n"
    diff(config=config, args=[BOB], mail=MAIL, expect_rc=rc,
         wire="exact" if rc == 0 else "lenient")
