"""Differential tests of --serverinfo and --rmqs (msmtp.md 1.12).

stdout, stderr, exit code and the client's transcript are compared with
Debian's msmtp; the server's port number, which differs between the two
runs, is replaced by PORT in stdout.
"""

import pytest

from conftest import Script, compare, send
from pki import pki, server_context  # noqa: F401  (fixture)

BASE = """\
defaults
tls off
auth off

account default
host 127.0.0.1
port {port}
timeout 10
"""


def rc_text(extra="", p=None, tls=False):
    text = BASE
    if tls:
        text += f"tls on\ntls_trust_file {p.path('ca.pem')}\n"
    return text + extra


@pytest.fixture
def sdiff(ref, ours, confdir):
    def run(script, config, args, rc=0, wire="exact"):
        r = send(ref, confdir, script=script, config=config, args=args,
                 mail=None)
        assert r.rc == rc, f"premise: ref exited {r.rc}: {r.stderr!r}"
        o = send(ours, confdir, script=script, config=config, args=args,
                 mail=None)
        compare(r, o, wire=wire, stdout=False)
        assert r.stdout.replace(b"%d" % r.port, b"PORT") == \
            o.stdout.replace(b"%d" % o.port, b"PORT"), \
            f"stdout differs\n{r.stdout.decode()}\n---\n{o.stdout.decode()}"
        return r, o
    return run


ALL_METHODS = ["XOAUTH2", "LOGIN", "PLAIN", "SCRAM-SHA-256", "CRAM-MD5",
               "DIGEST-MD5", "NTLM", "GSSAPI", "EXTERNAL", "OAUTHBEARER",
               "SCRAM-SHA-1", "FOO"]

INFO = {
    "plain": (lambda p: Script(extensions=[
        "PIPELINING", "SIZE 35882577", "ETRN", "DSN"]), "", False),
    "nothing_special": (lambda p: Script(), "", False),
    "helo_only": (lambda p: Script(no_ehlo=True), "", False),
    "lmtp": (lambda p: Script(lmtp=True), "protocol lmtp\n", False),
    "size_units": (lambda p: Script(extensions=["SIZE 2048"]), "", False),
    "size_1m": (lambda p: Script(extensions=["SIZE 1048576"]), "", False),
    "size_unlimited": (lambda p: Script(extensions=["SIZE 0"]), "", False),
    "size_not_a_number": (lambda p: Script(extensions=["SIZE abc"]), "",
                          False),
    "auth_in_msmtp_order": (lambda p: Script(
        auth={"a": "b"}, auth_mechs=ALL_METHODS), "", False),
    "auth_old_style": (lambda p: Script(
        extensions=["AUTH=LOGIN PLAIN", "auth cram-md5"]), "", False),
    "starttls_offered_not_used": (lambda p: Script(
        starttls=server_context(p), extensions=["DSN"]), "", False),
    "starttls": (lambda p: Script(
        starttls=server_context(p), extensions=["PIPELINING", "SIZE 1000"],
        auth={"a": "b"}, auth_mechs=["LOGIN", "PLAIN"],
        auth_in_clear=False), "", True),
    "starttls_certcheck_off": (lambda p: Script(
        starttls=server_context(p, "rogue")), "tls on\ntls_certcheck off\n",
        False),
    "implicit_tls": (lambda p: Script(
        implicit_tls=server_context(p), extensions=["SIZE 2000000"]),
        "tls_starttls off\n", True),
    "auth_configured_but_never_used": (lambda p: Script(
        auth={"alice": "x"}), "auth plain\nuser alice\npassword x\n",
        False),
}


@pytest.mark.parametrize("maker,extra,tls", INFO.values(), ids=INFO.keys())
def test_serverinfo(sdiff, pki, maker, extra, tls):
    r, o = sdiff(maker(pki), rc_text(extra, pki, tls), ["--serverinfo"])
    assert o.stdout.startswith(b"SMTP server at 127.0.0.1 (") or \
        o.stdout.startswith(b"LMTP server at 127.0.0.1 (")


def test_serverinfo_localhost(sdiff, pki):
    sdiff(Script(), rc_text().replace("host 127.0.0.1", "host localhost"),
          ["-S"])


def test_serverinfo_host_option(sdiff, pki):
    sdiff(Script(extensions=["ETRN"]), None,
          ["--serverinfo", "--host=127.0.0.1", "--port={port}"])


SI_FAIL = {
    "greeting_421": (lambda p: Script(greeting="421 4.3.2 busy"), "", False,
                     76),
    "untrusted": (lambda p: Script(starttls=server_context(p, "rogue")), "",
                  True, 69),
    "no_starttls": (lambda p: Script(), "", True, 69),
    "starttls_454": (lambda p: Script(starttls=server_context(p), replies={
        "STARTTLS": "454 4.7.0 no"}), "", True, 76),
}


@pytest.mark.parametrize("maker,extra,tls,rc", SI_FAIL.values(),
                         ids=SI_FAIL.keys())
def test_serverinfo_fails(sdiff, pki, maker, extra, tls, rc):
    r, o = sdiff(maker(pki), rc_text(extra, pki, tls), ["--serverinfo"],
                 rc=rc, wire="lenient")
    assert o.stderr.startswith(b"msmtp: ")
    assert b"could not send mail" not in o.stderr


def test_serverinfo_debug(sdiff, pki):
    sdiff(Script(extensions=["ETRN"]), rc_text(), ["--serverinfo", "-d"])


def test_serverinfo_pretend(sdiff, pki):
    sdiff(Script(), rc_text(), ["--serverinfo", "-P"], wire=None)


def test_serverinfo_with_recipient(sdiff, pki):
    sdiff(Script(), rc_text(), ["--serverinfo", "bob@example.net"], rc=64,
          wire=None)


def test_serverinfo_passwordeval_runs_first(sdiff, pki):
    sdiff(Script(), rc_text("auth on\nuser a\npasswordeval true\n"),
          ["--serverinfo"], rc=78, wire=None)


# --------------------------------------------------------------------------
# --rmqs: ETRN.

ETRN = ["ETRN"]
RMQS = {
    # name: (script, extra config, argument, exit code)
    "ok_250": (lambda p: Script(extensions=ETRN), "", "host.example", 0),
    "ok_251": (lambda p: Script(extensions=ETRN, replies={
        "ETRN": "251 OK, no messages waiting"}), "", "@example.org", 0),
    "ok_253": (lambda p: Script(extensions=ETRN, replies={
        "ETRN": "253 OK, 14 pending messages"}), "", "#queue", 0),
    "unable_458": (lambda p: Script(extensions=ETRN, replies={
        "ETRN": "458 Unable to queue messages"}), "", "x", 69),
    "unable_459": (lambda p: Script(extensions=ETRN, replies={
        "ETRN": "459 Node x not allowed"}), "", "x", 69),
    "syntax_500": (lambda p: Script(extensions=ETRN, replies={
        "ETRN": "500 Syntax error"}), "", "x", 65),
    "syntax_501": (lambda p: Script(extensions=ETRN, replies={
        "ETRN": "501 Syntax error in parameters"}), "", "x", 65),
    "other_421": (lambda p: Script(extensions=ETRN, replies={
        "ETRN": "421 closing"}), "", "x", 76),
    "other_450": (lambda p: Script(extensions=ETRN, replies={
        "ETRN": "450 later"}), "", "x", 76),
    "no_etrn": (lambda p: Script(), "", "x", 69),
    "helo_only": (lambda p: Script(no_ehlo=True), "", "x", 69),
    "closed": (lambda p: Script(extensions=ETRN, close_at="ETRN"), "", "x",
               76),
    "with_auth": (lambda p: Script(extensions=ETRN, auth={"alice": "x"}),
                  "auth plain\nuser alice\npassword x\n", "x", 0),
    "auth_refused": (lambda p: Script(extensions=ETRN, auth={"alice": "x"}),
                     "auth plain\nuser alice\npassword y\n", "x", 77),
    "over_starttls": (lambda p: Script(extensions=ETRN,
                                       starttls=server_context(p)),
                      "tls on\ntls_trust_file {ca}\n", "x", 0),
    "lmtp": (lambda p: Script(extensions=ETRN, lmtp=True),
             "protocol lmtp\n", "x", 0),
}


@pytest.mark.parametrize("maker,extra,arg,rc", RMQS.values(),
                         ids=RMQS.keys())
def test_rmqs(sdiff, pki, maker, extra, arg, rc):
    extra = extra.replace("{ca}", pki.path("ca.pem"))
    r, o = sdiff(maker(pki), rc_text(extra), [f"--rmqs={arg}"], rc=rc,
                 wire="exact" if rc == 0 else "lenient")
    if rc == 0:
        assert o.sessions[0].count(b"ETRN " + arg.encode() + b"\r\n") == 1
    else:
        assert b"could not send mail" not in o.stderr


def test_rmqs_debug_and_pretend(sdiff, pki):
    sdiff(Script(extensions=ETRN), rc_text(), ["--rmqs=x", "-d"])
    sdiff(Script(extensions=ETRN), rc_text(), ["--rmqs=x", "-P"], wire=None)


def test_rmqs_with_recipient(sdiff, pki):
    sdiff(Script(), rc_text(), ["--rmqs=x", "bob@example.net"], rc=64,
          wire=None)
