"""Differential tests of DNS failures: Debian's msmtp and ours, each in
a mount namespace whose /etc/resolv.conf names a DNS server this test
runs on a loopback address (dnssrv.py), so no query leaves the machine. A name
that does not exist, a resolver failure, a resolver that never answers,
and a name that resolves to the recording server.

Needs root (port 53, mount namespaces) and unshare(1); skipped
otherwise.
"""

import pytest

from dnssrv import DnsServer, free_dns_addr, resolver_prefix

BOB = "bob@example.net"
MAIL = (b"From: Alice <alice@example.org>\nTo: bob@example.net\n"
        b"Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
        b"Message-ID: <dns.1@example.org>\nSubject: dns\n\nHello.\n")

RC = """\
defaults
auth off
tls off
timeout 5

account default
host {host}
port {port}
from alice@example.org
"""


@pytest.fixture
def resolver(tmp_path):
    """(prefix for send(), the DnsServer factory)."""
    addr = free_dns_addr()
    prefix = resolver_prefix(tmp_path, addr)
    servers = []

    def start(answers):
        srv = DnsServer(answers, addr).__enter__()
        servers.append(srv)
        return srv
    yield prefix, start
    for srv in servers:
        srv.__exit__()


CASES = {
    "nxdomain": ("NXDOMAIN", 68),
    "servfail": ("SERVFAIL", 68),
    "no_answer": ("DROP", 68),
}


@pytest.mark.parametrize("answer,rc", CASES.values(), ids=CASES.keys())
def test_dns_failure(diff, resolver, answer, rc):
    prefix, start = resolver
    dns = start({"mail.test-dns.example": answer})
    config = RC.replace("{host}", "mail.test-dns.example")
    r, o = diff(config=config, args=[BOB], mail=MAIL, expect_rc=rc,
                wire="lenient", prefix=prefix)
    assert o.stderr.startswith(b"msmtp: cannot locate host "
                               b"mail.test-dns.example: ")
    assert not o.sessions
    assert ("mail.test-dns.example", 1) in dns.questions


def test_dns_name_resolves(diff, resolver):
    prefix, start = resolver
    start({"mail.test-dns.example": "127.0.0.1"})
    config = RC.replace("{host}", "mail.test-dns.example")
    r, o = diff(config=config, args=[BOB], mail=MAIL, expect_rc=0,
                prefix=prefix)
    assert len(o.transactions) == 1
