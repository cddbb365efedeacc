"""msmtp against a real MTA: Postfix's smtpd with STARTTLS, implicit TLS
and Cyrus SASL AUTH (tests/integ/mta.py).

Not differential: each client (``ref`` = Debian's msmtp, ``ours``) is
checked against what Postfix saw (the held message, its Received: header,
its log).

Needs Postfix unpacked by tests/postfix-setup.sh (make deps); skipped
otherwise.
"""

import smtplib

import pytest

from conftest import run
from mta import mta, mta_ca, mta_server  # noqa: F401  (fixtures)

SENDER = "sender@example.org"
RCPT = "rcpt@example.net"
MAIL = (b"From: Sender <sender@example.org>\n"
        b"To: rcpt@example.net\n"
        b"Subject: real MTA test\n"
        b"\n"
        b"Hello through Postfix.\n"
        b".a line starting with a dot\n")


@pytest.fixture(params=["ref", "ours"])
def client(request):
    """Each test runs with Debian's msmtp and with ours."""
    return request.getfixturevalue(request.param)


def send(client, confdir, mta, account_text, mail=MAIL, rcpts=(RCPT,)):
    rc_text = "account t\n" + account_text + "account default : t\n"
    rc = confdir.write(rc_text)
    return run(client, ["-C", rc, "-f", SENDER, *rcpts], mail,
               env=confdir.env())


def accepted(mta, rc, err):
    """The one message Postfix accepted, after checking msmtp's exit."""
    assert rc == 0, f"msmtp exited {rc}: {err!r}\n--- postfix log ---\n" \
                    + mta.log()
    msgs = mta.wait_messages(1)
    assert len(msgs) == 1, mta.log()
    m = msgs[0]
    assert m.sender == SENDER
    assert m.recipients == [RCPT]
    # msmtp may add Date:/Message-ID:; everything we wrote arrives as is.
    assert m.data.endswith(MAIL), m.data
    return m


def refused(mta, rc, err, code, message, log_pattern):
    """msmtp failed the way msmtp does, and Postfix saw it try."""
    assert rc == code, f"exit {rc}, expected {code}: {err!r}"
    assert message in err, err
    assert mta.wait_log(log_pattern), (
        f"Postfix log lacks {log_pattern!r}:\n{mta.log()}")
    assert mta.messages() == []


# --------------------------------------------------------------------------
# The helper itself (no msmtp).

def test_fixture_reads_back_exact_bytes(mta):
    body = (b"Subject: bytes\n\n8-bit: \xc3\xa4\xff\n"
            + b"x" * 5000 + b"\n..two dots\n.\n \ttrailing ws \n")
    with smtplib.SMTP(mta.host, mta.port, timeout=10) as s:
        s.ehlo()
        assert s.has_extn("starttls") and s.has_extn("auth")
        s.sendmail("a@example.org", ["b@example.org", "c@example.org"],
                   body.replace(b"\n", b"\r\n"))
    [m] = mta.wait_messages(1)
    assert (m.sender, m.recipients) == ("a@example.org",
                                        ["b@example.org", "c@example.org"])
    assert m.data == body
    assert not m.tls and m.sasl_user is None
    assert m.content == mta.postcat(m.queue_id)     # our reader = Postfix's


def test_fixture_tls_and_auth_recorded(mta):
    import ssl
    ctx = ssl.create_default_context(cafile=str(mta.ca.ca_cert))
    with smtplib.SMTP_SSL(mta.host, mta.tls_port, timeout=10,
                          context=ctx) as s:
        s.login("bob", mta.users["bob"])
        s.sendmail("a@example.org", ["b@example.org"], b"Subject: x\r\n\r\nx\r\n")
    [m] = mta.wait_messages(1)
    assert m.tls and m.sasl_user.split("@")[0] == "bob"
    assert "Authenticated sender: bob" in m.received


def test_fixture_fingerprint_format(mta_ca):
    fp = mta_ca.fingerprint()
    assert len(fp) == 32 * 3 - 1 and fp.count(":") == 31
    assert fp == fp.upper()


# --------------------------------------------------------------------------
# TLS.

def test_starttls_verified(client, confdir, mta):
    rc, _, err = send(client, confdir, mta, mta.account("starttls"))
    m = accepted(mta, rc, err)
    assert m.tls, m.received
    assert mta.wait_log(r"disconnect from .* starttls=1"), mta.log()


def test_implicit_tls(client, confdir, mta):
    rc, _, err = send(client, confdir, mta, mta.account("smtps"))
    m = accepted(mta, rc, err)
    assert m.tls, m.received


def test_untrusted_certificate(client, confdir, mta):
    rc, _, err = send(client, confdir, mta,
                      mta.account("starttls", trust=mta.ca.other_ca))
    refused(mta, rc, err, 69, b"TLS certificate verification failed",
            r"SSL_accept error|lost connection after STARTTLS")


def test_untrusted_certificate_implicit_tls(client, confdir, mta):
    rc, _, err = send(client, confdir, mta,
                      mta.account("smtps", trust=mta.ca.other_ca))
    refused(mta, rc, err, 69, b"TLS certificate verification failed",
            r"SSL_accept error|lost connection after CONNECT")


def test_wrong_host_name(client, confdir, mta):
    rc, _, err = send(client, confdir, mta, mta.account(
        "starttls", tls_host_override="wrong.example"))
    refused(mta, rc, err, 69, b"name in the certificate does not match",
            r"SSL_accept error|lost connection after STARTTLS")


def test_fingerprint_pinning(client, confdir, mta):
    rc, _, err = send(client, confdir, mta, mta.account(
        "starttls", trust=None, tls_fingerprint=mta.ca.fingerprint()))
    m = accepted(mta, rc, err)
    assert m.tls


def test_fingerprint_mismatch(client, confdir, mta):
    fp = mta.ca.fingerprint()
    wrong = ("00" if not fp.startswith("00") else "11") + fp[2:]
    rc, _, err = send(client, confdir, mta, mta.account(
        "starttls", trust=None, tls_fingerprint=wrong))
    refused(mta, rc, err, 69, b"fingerprint does not match",
            r"SSL_accept error|lost connection after STARTTLS")


# --------------------------------------------------------------------------
# AUTH (Cyrus SASL, sasldb).

@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN", "CRAM-MD5",
                                  "SCRAM-SHA-256"])
def test_auth_mechanism(client, confdir, mta, mech):
    rc, _, err = send(client, confdir, mta, mta.account(
        "starttls", user="alice", password=mta.users["alice"],
        auth=mech.lower()))
    m = accepted(mta, rc, err)
    assert m.sasl_method == mech, m.attrs
    assert m.sasl_user.split("@")[0] == "alice"
    assert m.tls


def test_auth_on_picks_a_mechanism_implicit_tls(client, confdir, mta):
    # bob's password has a space and a colon; auth "on" lets msmtp choose.
    rc, _, err = send(client, confdir, mta, mta.account(
        "smtps", user="bob", password=mta.users["bob"], auth="on"))
    m = accepted(mta, rc, err)
    assert m.sasl_user.split("@")[0] == "bob"
    assert m.sasl_method in ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256")


@pytest.mark.parametrize("mech", ["PLAIN", "SCRAM-SHA-256"])
def test_wrong_password(client, confdir, mta, mech):
    rc, _, err = send(client, confdir, mta, mta.account(
        "starttls", user="alice", password="not-the-password",
        auth=mech.lower()))
    refused(mta, rc, err, 77, b"authentication failed",
            rf"SASL {mech} authentication failed")


# --------------------------------------------------------------------------
# --serverinfo and --rmqs against Postfix: both clients must say the same.

def _server_mode(client, confdir, mta, args, account="starttls"):
    rc_text = "account t\n" + mta.account(account) + "account default : t\n"
    rc = confdir.write(rc_text)
    return run(client, ["-C", rc, *args], None, env=confdir.env())


def test_serverinfo_against_postfix(ref, ours, confdir, mta):
    out = {}
    for b in (ref, ours):
        rc, stdout, err = _server_mode(b, confdir, mta, ["--serverinfo"])
        assert rc == 0, (b.name, err)
        out[b.name] = stdout
    for line in (b"SMTP server at ", b"Capabilities:", b"PIPELINING",
                 b"TLS session parameters:", b"TLS certificate information:",
                 b"PLAIN SCRAM-SHA-256 CRAM-MD5 LOGIN"):
        assert line in out["ref"], out["ref"]
        assert line in out["ours"], out["ours"]
    # The capability lines are the server's, so they must be equal.
    caps = {k: v[v.index(b"Capabilities:"):] for k, v in out.items()}
    assert caps["ours"] == caps["ref"]


def test_rmqs_against_postfix(ref, ours, confdir, mta):
    got = {}
    for b in (ref, ours):
        got[b.name] = _server_mode(b, confdir, mta, ["--rmqs=example.org"])
    assert got["ours"][0] == got["ref"][0], got
    assert got["ours"][2] == got["ref"][2], got
    assert got["ref"][2].startswith(b"msmtp: ") or got["ref"][0] == 0, got
