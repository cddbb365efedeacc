"""Differential tests of international names (RFC 5890, RFC 6531) against
Debian's msmtp 1.8.23.

What msmtp does, found by running it (and what ours does the same):
  - the server's host name goes to getaddrinfo() with AI_IDN, so the
    resolver is asked for its A-label form (libidn2: UTS #46 mapping,
    non-transitional); a name libidn2 refuses fails with "cannot locate
    host NAME: Parameter string not correctly encoded", exit 68, and no
    question is asked. The DNS server (dnssrv.py, on loopback in a private
    mount namespace, as in test_dns.py) records the questions.
  - the TLS name check and SNI use the A-label (GnuTLS converts the name).
  - the EHLO name, a name sent to a SOCKS proxy and the envelope
    addresses go as written.
  - msmtp never sends SMTPUTF8: a server without it refuses the addresses
    (aiosmtpd: "500 Error: strict ASCII mode") and msmtp says so, exit 65.

Deliberate differences (marked "differs"):
  - with SMTPUTF8 offered and an address that is not ASCII, ours puts
    SMTPUTF8 on MAIL FROM, as RFC 6531 (3.4) requires; every other byte is
    msmtp's.
  - msmtp reads the host name in the locale's character set and so
    refuses every non-ASCII name in the C locale; ours reads it as UTF-8
    in any locale (util/idn.h).
"""

import json

import pytest

from conftest import Script, send
from pki import _leaf, server_context, pki  # noqa: F401  (fixture)
from relays import Socks5
from test_dns import resolver  # noqa: F401  (fixture)
from test_spool import show

BOB = "bob@example.net"
MAIL = (b"From: Alice <alice@example.org>\nTo: bob@example.net\n"
        b"Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
        b"Message-ID: <idn.1@example.org>\nSubject: idn\n\nHello.\n")
UTF8 = {"LC_ALL": "C.UTF-8"}
ALABEL = "xn--bcher-kva.example"

RC = """\
defaults
auth off
tls off
timeout 5

account default
host {host}
port {port}
from {from}
"""


def rc(host="127.0.0.1", sender="alice@example.org", extra=""):
    return (RC.replace("{host}", host).replace("{from}", sender) + extra)


def ascii_questions(dns):
    return all(name.isascii() and "\ufffd" not in name
               for name, _ in dns.questions)


# --------------------------------------------------------------------------
# The host name: looked up in A-label form.

HOSTS = {
    "u_label": "bücher.example",
    "upper_case": "BÜCHER.example",
    "full_width": "ｂücher．example",
    "decomposed": "bu\u0308cher.example",
    "final_dot": "bücher.example.",
}


@pytest.mark.parametrize("host", HOSTS.values(), ids=HOSTS.keys())
def test_host_looked_up_as_a_label(diff, resolver, host):  # noqa: F811
    prefix, start = resolver
    dns = start({ALABEL: "127.0.0.1"})
    r, o = diff(config=rc(host), args=[BOB], mail=MAIL, expect_rc=0,
                prefix=prefix, env=UTF8)
    assert len(o.transactions) == 1
    assert (ALABEL, 1) in dns.questions and ascii_questions(dns)


def test_sharp_s_kept(diff, resolver):  # noqa: F811
    """Non-transitional processing: ß is not mapped to ss."""
    prefix, start = resolver
    dns = start({"xn--strae-oqa.example": "127.0.0.1"})
    diff(config=rc("straße.example"), args=[BOB], mail=MAIL, expect_rc=0,
         prefix=prefix, env=UTF8)
    assert {n for n, _ in dns.questions} == {"xn--strae-oqa.example"}


INVALID = {
    "disallowed_symbol": "☃.example",
    "emoji": "😀.example",
    "joiner_out_of_context": "a\u200db.example",
    "leading_hyphen": "-bücher.example",
    "trailing_hyphen": "bücher-.example",
    "backslash": "bü\\cher.example",
}


@pytest.mark.parametrize("host", INVALID.values(), ids=INVALID.keys())
def test_invalid_name(diff, resolver, host):  # noqa: F811
    prefix, start = resolver
    dns = start({})
    r, o = diff(config=rc(host), args=[BOB], mail=MAIL, expect_rc=68,
                prefix=prefix, env=UTF8)
    assert o.stderr.startswith(
        b"msmtp: cannot locate host " + host.encode() +
        b": Parameter string not correctly encoded\n")
    assert not o.sessions and not dns.questions


def test_name_not_utf8(diff, resolver):  # noqa: F811
    """Latin-1 bytes in a UTF-8 locale: not correctly encoded."""
    prefix, start = resolver
    dns = start({})
    host = "b\udcfccher.example"          # the byte 0xFC, via argv
    diff(args=[f"--host={host}", "--port={port}",
               "--from=alice@example.org", BOB],
         mail=MAIL, expect_rc=68, prefix=prefix, env=UTF8)
    assert not dns.questions


@pytest.mark.differs
def test_host_in_the_c_locale(ref, ours, confdir, resolver):  # noqa: F811
    """msmtp refuses a non-ASCII name in the C locale; ours reads it as
    UTF-8, as it does in every locale."""
    prefix, start = resolver
    dns = start({ALABEL: "127.0.0.1"})
    config = rc("bücher.example")
    r = send(ref, confdir, config=config, args=[BOB], mail=MAIL,
             prefix=prefix)
    assert r.rc == 68 and r.err.startswith(
        b"msmtp: cannot locate host b\xc3\xbccher.example: "
        b"Parameter string not correctly encoded\n"), r.stderr
    assert not dns.questions
    o = send(ours, confdir, config=config, args=[BOB], mail=MAIL,
             prefix=prefix)
    assert o.rc == 0, o.stderr
    assert len(o.transactions) == 1
    assert {n for n, _ in dns.questions} == {ALABEL}


def test_proxy_gets_the_name_as_written(diff):
    """The SOCKS5 proxy resolves: it is sent the name msmtp was given."""
    with Socks5(resolve={"bücher.example": "127.0.0.1"}) as proxy:
        diff(config=rc("bücher.example",
                       extra=f"proxy_host 127.0.0.1\nproxy_port "
                             f"{proxy.port}\n"),
             args=[BOB], mail=MAIL, expect_rc=0, env=UTF8)
    assert [(a, h) for a, h, _ in proxy.requests] == \
        [(3, "bücher.example")] * 2


def test_serverinfo(ref, ours, confdir, resolver):  # noqa: F811
    prefix, start = resolver
    start({ALABEL: "127.0.0.1"})
    out = []
    for binary in (ref, ours):
        x = send(binary, confdir, config=rc("bücher.example"),
                 args=["--serverinfo"], mail=None, prefix=prefix, env=UTF8)
        assert x.rc == 0, x.stderr
        out.append((x.stdout.replace(b"%d" % x.port, b"PORT"), x.wire))
    assert out[0] == out[1]
    assert out[1][0].startswith(b"SMTP server at b\xc3\xbccher.example ")


# --------------------------------------------------------------------------
# TLS: the certificate is checked against the A-label, which SNI carries.

@pytest.fixture(scope="module")
def idn_cert(pki):  # noqa: F811
    _leaf(pki.dir, "idn", "ca", 20, ALABEL, f'dns_name = "{ALABEL}"')
    return pki


def tls_script(p, cert, names):
    ctx = server_context(p, cert)
    ctx.sni_callback = lambda sock, name, c: names.append(name)
    return Script(starttls=ctx)


TLS_NAMES = {
    # name: (server certificate, host, extra config, exit code, SNI)
    "override_u_label": ("idn", "127.0.0.1",
                         "tls_host_override bücher.example\n", 0, ALABEL),
    "host_u_label": ("idn", "bücher.example", "", 0, ALABEL),
    "u_label_wrong_certificate": ("server", "127.0.0.1",
                                  "tls_host_override bücher.example\n", 69,
                                  ALABEL),
    # GnuTLS encodes what the resolver's rules refuse: nothing matches
    "override_disallowed": ("idn", "127.0.0.1",
                            "tls_host_override ☃.example\n", 69,
                            "xn--n3h.example"),
}


@pytest.mark.parametrize("cert,host,extra,code,sni", TLS_NAMES.values(),
                         ids=TLS_NAMES.keys())
def test_tls_name(diff, resolver, idn_cert,  # noqa: F811
                  cert, host, extra, code, sni):
    prefix, start = resolver
    start({ALABEL: "127.0.0.1"})
    names = []
    config = rc(host, extra="tls on\ntls_trust_file "
                f"{idn_cert.path('ca.pem')}\n" + extra)
    diff(script=tls_script(idn_cert, cert, names), config=config,
         args=[BOB], mail=MAIL, expect_rc=code, prefix=prefix, env=UTF8)
    assert names == [sni] * 2


# --------------------------------------------------------------------------
# The EHLO name and the envelope: sent as written.

def test_ehlo_name_as_written(diff):
    r, o = diff(config=rc(extra="domain bücher.example\n"), args=[BOB],
                mail=MAIL, expect_rc=0)
    assert o.sessions[0].startswith(b"EHLO b\xc3\xbccher.example\r\n")


def with_smtputf8(wire):
    """ref's transcript with SMTPUTF8 added to each MAIL FROM."""
    return b"".join(
        line[:-2] + b" SMTPUTF8\r\n" if line.startswith(b"MAIL FROM:")
        else line for line in wire.splitlines(keepends=True))


ENVELOPES = {
    # name: (envelope from, recipients)
    "recipient_domain": ("alice@example.org", ["bob@bücher.example"]),
    "sender_domain": ("alice@bücher.example", [BOB]),
    "both_domains": ("alice@bücher.example",
                     ["bob@bücher.example", "carol@straße.example"]),
    "local_part": ("jörg@example.org", ["ünal@example.net", BOB]),
}


@pytest.mark.differs
@pytest.mark.parametrize("sender,rcpts", ENVELOPES.values(),
                         ids=ENVELOPES.keys())
def test_smtputf8_offered(ref, ours, confdir, sender, rcpts):
    script = Script(extensions=["PIPELINING"])
    kw = dict(script=script, config=rc(sender=sender), args=rcpts,
              mail=MAIL)
    r = send(ref, confdir, **kw)
    o = send(ours, confdir, **kw)
    assert r.rc == o.rc == 0, (r.stderr, o.stderr)
    assert r.stderr == o.stderr == b""
    assert b"SMTPUTF8\r\n" not in r.sessions[0]
    assert o.wire == [with_smtputf8(r.wire[0])]
    assert o.transactions[0][:2] == (sender, rcpts)


@pytest.mark.differs
def test_smtputf8_with_dsn(ref, ours, confdir):
    """SMTPUTF8 follows msmtp's own MAIL parameters."""
    script = Script(extensions=["DSN"])
    kw = dict(script=script, config=rc(
        sender="jörg@example.org", extra="dsn_return headers\n"),
        args=[BOB], mail=MAIL)
    r, o = send(ref, confdir, **kw), send(ours, confdir, **kw)
    assert r.rc == o.rc == 0
    assert b"MAIL FROM:<j\xc3\xb6rg@example.org> RET=HDRS\r\n" in \
        r.sessions[0]
    assert o.wire == [with_smtputf8(r.wire[0])]


def test_ascii_envelope_gets_no_smtputf8(diff):
    r, o = diff(script=Script(), config=rc(), args=[BOB], mail=MAIL,
                expect_rc=0)
    assert b"MAIL FROM:<alice@example.org>\r\n" in o.sessions[0]


NOT_OFFERED = {
    "local_part": ("jörg@example.org", [BOB]),
    "sender_domain": ("alice@bücher.example", [BOB]),
    "recipient_local_part": ("alice@example.org", [BOB, "ünal@example.net"]),
    "recipient_domain": ("alice@example.org", ["bob@bücher.example"]),
}


@pytest.mark.parametrize("sender,rcpts", NOT_OFFERED.values(),
                         ids=NOT_OFFERED.keys())
def test_smtputf8_not_offered(diff, sender, rcpts):
    """As msmtp: the addresses go as written, the server refuses them,
    exit 65 with msmtp's messages (RFC 6531 would have the client
    refuse first; nothing is lost either way)."""
    r, o = diff(script=Script(smtputf8=False), config=rc(sender=sender),
                args=rcpts, mail=MAIL, expect_rc=65)
    assert b"server message: 500 Error: strict ASCII mode" in o.stderr
    assert b"SMTPUTF8" not in o.sessions[0]
    assert not o.transactions


# --------------------------------------------------------------------------
# Through the queue, and --version.

def test_queue_runner_sends_smtputf8(spool, server):
    """A spooled mail gets SMTPUTF8 from the runner too (the one rule,
    delivery/deliver.c)."""
    srv = server(Script())
    spool.port = srv.port
    spool.confdir.write(rc(sender="jörg@example.org").replace(
        "{port}", str(srv.port)), path=spool.rcfile)
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == 0, show(p)
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    assert srv.wait_closed(10)
    assert b"MAIL FROM:<j\xc3\xb6rg@example.org> SMTPUTF8\r\n" in \
        bytes(srv.sessions[0].raw)


def test_queued_invalid_name_is_held(spool, ref, confdir,  # noqa: F811
                                     resolver):  # noqa: F811
    """A name with no A-label form needs the user: msmtp's lines and exit
    code, then the mail held (waiting would change nothing)."""
    prefix, start = resolver
    dns = start({})
    config = rc("☃.example").replace("{port}", "25")
    r = send(ref, confdir, config=config, args=[BOB], mail=MAIL,
             prefix=prefix, env=UTF8, with_server=False)
    assert r.rc == 68
    spool.rcfile = confdir.rc         # the same path in the messages
    p = spool.msmtp(BOB, prefix=prefix, env=UTF8)
    assert p.returncode == 68, show(p)
    head, sep, _ = p.stderr.rpartition(b"msmtp: the mail is held in the "
                                       b"queue as ")
    assert sep and head == r.stderr, show(p)
    q = spool.queue("--list", "--json")
    mail = json.loads(q.stdout)[0]
    assert (mail["state"], mail["class"]) == ("held", "local")
    assert not dns.questions


@pytest.mark.differs
def test_version_says_idn_enabled(ours, confdir):
    o = send(ours, confdir, args=["--version"], mail=None, with_server=False)
    assert o.rc == 0
    assert b"\nIDN support: enabled\n" in o.stdout
