"""Errors that say how to fix them (issue 22): the advice after msmtp's lines.

For each mistake, Debian's msmtp and ours run the same case against a real
server on loopback (the private Postfix of mta.py, or the recording aiosmtpd
server with TLS from the test CA of pki.py). Ours must print msmtp's lines
byte for byte, first and whole (scripts parse them), and then its advice,
each line "msmtp: hint: ..." (delivery/advice.h), naming the msmtprc line
to change. A case that is not a mistake of these kinds gets no advice.
"""

import hashlib
import re
import ssl

import pytest

from conftest import Binary, Script, run, send
from mta import mta, mta_ca, mta_server  # noqa: F401  (fixtures)
from pki import pki, server_context  # noqa: F401  (fixture)

MAIL = (b"From: Alice <alice@example.org>\nTo: bob@example.net\n"
        b"Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
        b"Message-ID: <fixed.1@example.org>\nSubject: advice\n\nHello.\n")
BOB = "bob@example.net"
HINT = b"msmtp: hint: "

BASE = """\
defaults
auth off

account default
host 127.0.0.1
port {port}
from alice@example.org
timeout 5
"""


def hints_after(r, o):
    """Ours printed exactly ref's stderr first, then only hint lines:
    return those lines as text, without the prefix."""
    assert o.rc == r.rc, (r.rc, o.rc, r.err, o.err)
    assert o.err.startswith(r.err), (
        f"msmtp's lines are not first and unchanged\n--- ref ---\n"
        f"{r.err.decode()}\n--- ours ---\n{o.err.decode()}")
    rest = o.err[len(r.err):].splitlines(keepends=True)
    assert rest, "no advice followed msmtp's lines:\n" + o.err.decode()
    for line in rest:
        assert line.startswith(HINT) and line.endswith(b"\n"), line
    return [line[len(HINT):-1].decode() for line in rest]


def both(ref, ours, confdir, **kw):
    """The same case with Debian's msmtp and ours."""
    return send(ref, confdir, **kw), send(ours, confdir, **kw)


# --------------------------------------------------------------------------
# The wrong kind of TLS for the port, against Postfix (submission with
# STARTTLS on `port`, implicit TLS on `tls_port`).

def mta_rc(confdir, mta, text):
    return confdir.write("account t\n" + text + "timeout 3\n"
                         "account default : t\n")


class Res:
    def __init__(self, t):
        self.rc, self.out, self.err = t


def run_both(ref, ours, confdir, rc_path):
    """Debian's msmtp and ours on the same msmtprc."""
    args = ["-C", str(rc_path), "-f", "alice@example.org", BOB]
    return (Res(run(ref, args, MAIL, env=confdir.env())),
            Res(run(ours, args, MAIL, env=confdir.env())))


def test_starttls_against_implicit_tls_port(ref, ours, confdir, mta):
    """tls_starttls on against port 465 style: the server waits for a TLS
    ClientHello, msmtp for a greeting, until the timeout."""
    text = mta.account("starttls").replace(f"port {mta.port}",
                                           f"port {mta.tls_port}")
    path = mta_rc(confdir, mta, text)
    r, o = run_both(ref, ours, confdir, path)
    assert r.rc == 74 and b"timed out" in r.err, r.err
    hints = hints_after(r, o)
    assert "speaks TLS from the first byte" in hints[0], hints
    assert hints[-1] == 'set "tls_starttls off" in the account', hints


def test_no_tls_against_implicit_tls_port(ours, confdir, server, pki):
    """tls off against an implicit-TLS port: both lines to set."""
    srv = server(Script(implicit_tls=server_context(pki)))
    rc = confdir.write(BASE.replace("{port}", str(srv.port))
                       .replace("timeout 5", "timeout 2"))
    code, _, err = run(ours, ["-C", str(rc), BOB], MAIL, env=confdir.env())
    assert code == 74
    assert err.endswith(b'msmtp: hint: set "tls on" and "tls_starttls off"'
                        b' in the account\n'), err


def test_implicit_tls_against_starttls_port(ref, ours, confdir, mta):
    """tls_starttls off against port 587/25 style: the handshake gets
    "220 ..." in plain text back."""
    text = mta.account("smtps").replace(f"port {mta.tls_port}",
                                        f"port {mta.port}")
    path = mta_rc(confdir, mta, text)
    r, o = run_both(ref, ours, confdir, path)
    assert r.rc == 76 and b"TLS handshake failed" in r.err, r.err
    hints = hints_after(r, o)
    assert "STARTTLS" in hints[0] and "587" in hints[0], hints
    assert hints[-1].startswith('set "tls_starttls on" in the account'), hints


def test_implicit_tls_against_starttls_port_aiosmtpd(ref, ours, confdir,
                                                      pki):
    r, o = both(ref, ours, confdir,
                script=Script(starttls=server_context(pki)),
                config=BASE + "tls on\ntls_starttls off\n"
                f"tls_trust_file {pki.path('ca.pem')}\n",
                args=[BOB], mail=MAIL)
    hints = hints_after(r, o)
    assert hints[-1].startswith('set "tls_starttls on" in the account')


# --------------------------------------------------------------------------
# Certificates that fail verification: what they are, and the pin.

def fingerprint(p, name):
    der = ssl.PEM_cert_to_DER_cert(open(p.path(name + ".pem")).read())
    h = hashlib.sha256(der).hexdigest().upper()
    return ":".join(h[i:i + 2] for i in range(0, len(h), 2))


def cert_case(ref, ours, confdir, pki, cert, trust="ca.pem"):
    trust_line = ("tls_trust_file system\n" if trust == "system" else
                  f"tls_trust_file {pki.path(trust)}\n")
    r, o = both(ref, ours, confdir,
                script=Script(starttls=server_context(pki, cert)),
                config=BASE + "tls on\n" + trust_line, args=[BOB],
                mail=MAIL)
    assert r.rc == 69 and b"TLS certificate verification failed" in r.err
    hints = hints_after(r, o)
    fpr = fingerprint(pki, cert)
    assert hints[0] == "the server's certificate:"
    assert hints[5] == "  SHA-256 fingerprint: " + fpr
    assert hints[-1] == "  tls_fingerprint " + fpr
    return hints


def test_untrusted_certificate(ref, ours, confdir, pki):
    hints = cert_case(ref, ours, confdir, pki, "rogue")
    assert hints[1] == "  subject: O=msmtp tests,CN=localhost"
    assert hints[2] == "  issuer: O=msmtp tests,CN=Test CA rogue_ca"
    assert re.fullmatch(r"  valid: from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"
                        r" until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC",
                        hints[3]), hints[3]
    assert hints[4] == "  names: localhost, 127.0.0.1, ::1"
    assert hints[6] == ("its issuer is not in " + pki.path("ca.pem") +
                        ': set "tls_trust_file" to the file of the CA that '
                        "issued it")


def test_untrusted_certificate_system_store(ref, ours, confdir, pki):
    hints = cert_case(ref, ours, confdir, pki, "server", trust="system")
    assert hints[6].startswith("its issuer is not in the system's trust")


def test_expired_certificate(ref, ours, confdir, pki):
    hints = cert_case(ref, ours, confdir, pki, "expired")
    assert hints[3].endswith("until 2020-01-01 00:00:00 UTC") or \
        "2020" in hints[3], hints
    assert hints[6].startswith("it expired on "), hints


def test_misnamed_certificate(ref, ours, confdir, pki):
    hints = cert_case(ref, ours, confdir, pki, "wronghost")
    assert hints[4] == "  names: mail.example.org"
    assert hints[6] == ('it is not for 127.0.0.1: set "host" (or '
                        '"tls_host_override") to one of its names')


def test_pinning_the_printed_fingerprint_works(ours, confdir, pki):
    """The tls_fingerprint line the advice prints is one msmtp takes."""
    script = Script(starttls=server_context(pki, "rogue"))
    o = send(ours, confdir, script=script, config=BASE + "tls on\n"
             f"tls_trust_file {pki.path('ca.pem')}\n", args=[BOB], mail=MAIL)
    pin = [line for line in o.err.decode().splitlines()
           if line.startswith("msmtp: hint:   tls_fingerprint ")]
    assert len(pin) == 1, o.err
    o = send(ours, confdir, script=script, config=BASE + "tls on\n"
             + pin[0][len("msmtp: hint:   "):] + "\n", args=[BOB],
             mail=MAIL)
    assert o.rc == 0 and o.transactions, o.err


def test_certificate_from_postfix(ref, ours, confdir, mta):
    """Postfix's own certificate against a CA that did not sign it."""
    path = mta_rc(confdir, mta, mta.account("starttls",
                                            trust=mta.ca.other_ca))
    r, o = run_both(ref, ours, confdir, path)
    assert r.rc == 69, r.err
    hints = hints_after(r, o)
    assert hints[-1] == "  tls_fingerprint " + mta.ca.fingerprint()


# --------------------------------------------------------------------------
# Authentication.

AUTH_TLS = ("tls on\ntls_trust_file {ca}\nauth plain\nuser alice\n"
            "password secret\n")


def auth_case(ref, ours, confdir, pki, reply):
    script = Script(starttls=server_context(pki), auth={"alice": "secret"},
                    auth_mechs=["PLAIN"], replies={"AUTH": reply})
    return both(ref, ours, confdir, script=script,
                config=BASE + AUTH_TLS.replace("{ca}", pki.path("ca.pem")),
                args=[BOB], mail=MAIL)


def test_auth_required_but_off(ref, ours, confdir):
    r, o = both(ref, ours, confdir, script=Script(replies={
        "MAIL": "530 5.7.0 Authentication required"}), config=BASE,
        args=[BOB], mail=MAIL)
    assert r.rc == 65
    hints = hints_after(r, o)
    assert '"auth off"' in hints[0]
    assert hints[1] == ('set "auth on", "user NAME" and "password SECRET" '
                        '(or "passwordeval COMMAND")')


def test_application_specific_password(ref, ours, confdir, pki):
    r, o = auth_case(ref, ours, confdir, pki,
                     "534-5.7.9 Application-specific password required. "
                     "Learn more at\r\n534 5.7.9  https://support.google."
                     "com/mail/?p=InvalidSecondFactor x1")
    assert r.rc == 77
    hints = hints_after(r, o)
    assert "application-specific password" in hints[0]


def test_oauth_required(ref, ours, confdir, pki):
    r, o = auth_case(ref, ours, confdir, pki,
                     "535 5.7.139 Authentication unsuccessful, basic "
                     "authentication is disabled.")
    assert r.rc == 77
    hints = hints_after(r, o)
    assert "OAuth" in hints[0]
    assert '"auth oauthbearer"' in hints[1]


def test_wrong_password_gets_no_advice(ours, confdir, pki):
    """A plain 535: msmtp's message says it all."""
    script = Script(starttls=server_context(pki), auth={"alice": "other"},
                    auth_mechs=["PLAIN"])
    o = send(ours, confdir, script=script,
             config=BASE + AUTH_TLS.replace("{ca}", pki.path("ca.pem")),
             args=[BOB], mail=MAIL)
    assert o.rc == 77 and HINT not in o.err, o.err


# --------------------------------------------------------------------------
# A from that no account matches.

FROM_RC = """\
account work
host 127.0.0.1
port 1
from alice@work.example

account home
host 127.0.0.1
port 1
from *@home.example
"""


@pytest.mark.parametrize("args,mail", [
    (["-f", "x@other.example", BOB], MAIL),
    (["-t", "--read-envelope-from"],
     b"From: x@other.example\nTo: bob@example.net\n\nHi.\n"),
], ids=["-f", "--read-envelope-from"])
def test_from_matches_no_account(ref, ours, confdir, args, mail):
    r, o = both(ref, ours, confdir, config=FROM_RC, args=args, mail=mail,
                with_server=False)
    assert r.rc == 78 and b"account default not found" in r.err, r.err
    hints = hints_after(r, o)
    rc = str(confdir.rc)
    assert hints == [
        "no account's \"from\" matches x@other.example; the accounts' "
        "\"from\" lines are:",
        f"  account work: from alice@work.example ({rc})",
        f"  account home: from *@home.example ({rc})",
        "add an account whose \"from\" matches x@other.example (it may be "
        "a pattern such as *@other.example), or an account named "
        "\"default\""]


def test_no_from_lines_no_advice(ours, confdir):
    o = send(ours, confdir, config="account work\nhost 127.0.0.1\n",
             args=["-f", "x@other.example", BOB], mail=MAIL,
             with_server=False)
    assert o.rc == 78 and HINT not in o.err, o.err


def test_queued_mail_gets_the_advice_too(ref, ours, confdir, pki, tmp_path):
    """With the queue (the default), msmtp's lines, the advice, then the
    queue's own line: the mail is held until the user acts on it."""
    queued = Binary("ours", ours.path, ("--queue-file",
                                        str(tmp_path / "q" / "queue.db")))
    kw = dict(script=Script(starttls=server_context(pki, "expired")),
              config=BASE + f"tls on\ntls_trust_file {pki.path('ca.pem')}\n",
              args=[BOB], mail=MAIL)
    r = send(ref, confdir, **kw)
    o = send(queued, confdir, **kw)
    head, sep, last = o.err.rpartition(b"msmtp: the mail is held in the "
                                       b"queue as ")
    assert sep and re.fullmatch(rb"(\w+): fix the account, then run "
                                rb"'msmtp-queue --release \1'\n", last), \
        o.err
    hints = hints_after(r, Res((o.rc, o.stdout, head)))
    assert hints[6].startswith("it expired on "), hints


def test_serverinfo_shows_the_refused_certificate(ref, ours, confdir, pki):
    """--serverinfo, where one goes to look at a server, says as much."""
    r, o = both(ref, ours, confdir,
                script=Script(starttls=server_context(pki, "wronghost")),
                config=BASE + f"tls on\ntls_trust_file {pki.path('ca.pem')}\n",
                args=["--serverinfo"])
    assert r.rc == 69 and r.stdout == o.stdout == b""
    hints = hints_after(r, o)
    assert hints[4] == "  names: mail.example.org"
    assert hints[-1] == "  tls_fingerprint " + fingerprint(pki, "wronghost")
