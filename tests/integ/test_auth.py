"""Differential tests of SMTP AUTH and where the password comes from.

The recording server checks credentials for PLAIN, LOGIN, CRAM-MD5, the
SCRAM family, OAUTHBEARER, XOAUTH2 and EXTERNAL (saslsrv.py). SCRAM and
CRAM-MD5 exchanges carry random nonces, so their SASL lines are masked
before the transcripts are compared; everything else is compared byte for
byte with Debian's msmtp, exit codes first (expect_rc).

Deliberate differences (tests marked ``differs``): under TLS the choice
follows msmtp 1.8.33 (SCRAM before PLAIN); the debug output masks
credentials; OAuth tokens of 8 KB work (msmtp 1.8.23 stops at
4094 characters); EXTERNAL without a user name answers the server's 334;
a failing passwordeval is reported like a configuration error but the
report module prints its "could not send mail" line (exit code equal).
"""

import base64
import os
import pty
import select
import ssl
import time

import pytest

from conftest import Script, compare, send, _LINE
from pki import pki, server_context  # noqa: F401  (fixture)

MAIL = (b"From: Alice <alice@example.org>\nTo: bob@example.net\n"
        b"Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
        b"Message-ID: <fixed.1@example.org>\nSubject: auth\n\nHello.\n")
BOB = "bob@example.net"
USERS = {"alice": "secret"}

BASE = """\
defaults
tls off
logfile {log}
logfile_time_format STAMP

account default
host 127.0.0.1
port {port}
from alice@example.org
timeout 10
"""
CREDS = "user alice\npassword secret\n"


def rc_text(confdir, extra, p=None, tls=False):
    text = BASE.replace("{log}", str(confdir.root / "msmtp.log"))
    if tls:
        text += f"tls on\ntls_trust_file {p.path('ca.pem')}\n"
    return text + extra


def mask_sasl(raw):
    """The transcript with every SASL message after AUTH replaced."""
    out, in_auth = [], False
    for line in _LINE.findall(raw):
        word = line.split(b" ", 1)[0].rstrip(b"\r\n").upper()
        if word == b"AUTH":
            in_auth = True
            out.append(b" ".join(line.split(b" ")[:2]).rstrip(b"\r\n")
                       + b"\r\n")
            continue
        if in_auth and word in (b"MAIL", b"ETRN", b"QUIT", b"RSET"):
            in_auth = False
        out.append(b"<sasl>\r\n" if in_auth else line)
    return b"".join(out)


@pytest.fixture
def authdiff(ref, ours, confdir, pki):
    """Run both; compare with the SASL lines masked."""
    def run(script, extra, rc=0, tls=False, args=(BOB,), masked=True,
            **kw):
        kw.setdefault("collect", [confdir.root / "msmtp.log"])
        text = rc_text(confdir, extra, pki, tls)
        r = send(ref, confdir, script=script, config=text, args=list(args),
                 mail=MAIL, **kw)
        assert r.rc == rc, f"premise: ref exited {r.rc}: {r.stderr!r}"
        o = send(ours, confdir, script=script, config=text, args=list(args),
                 mail=MAIL, **kw)
        compare(r, o, wire=None if masked else "exact")
        if masked:
            rw = [mask_sasl(x) for x in r.wire]
            ow = [mask_sasl(x) for x in o.wire]
            assert rw == ow, f"masked transcripts differ:\n{rw}\n{ow}"
        return r, o
    return run


def S(mechs, **kw):
    return Script(auth=dict(USERS), auth_mechs=mechs, **kw)


def S_tls(p, mechs, **kw):
    return S(mechs, starttls=server_context(p), **kw)


# --------------------------------------------------------------------------
# Named methods, on loopback without TLS (allowed there) and with TLS.

NAMED = {
    "plain": (["PLAIN", "LOGIN"], "auth plain\n"),
    "login": (["PLAIN", "LOGIN"], "auth login\n"),
    "cram_md5": (["CRAM-MD5"], "auth cram-md5\n"),
    "scram_sha_1": (["SCRAM-SHA-1"], "auth scram-sha-1\n"),
    "scram_sha_256": (["SCRAM-SHA-256"], "auth scram-sha-256\n"),
    "oauthbearer": (["OAUTHBEARER"], "auth oauthbearer\n"),
    "xoauth2": (["XOAUTH2"], "auth xoauth2\n"),
}


@pytest.mark.parametrize("mechs,extra", NAMED.values(), ids=NAMED.keys())
def test_named_method(authdiff, mechs, extra):
    r, o = authdiff(S(mechs), extra + CREDS)
    assert len(o.transactions) == 1


@pytest.mark.parametrize("mechs,extra", NAMED.values(), ids=NAMED.keys())
def test_named_method_over_tls(authdiff, pki, mechs, extra):
    r, o = authdiff(S_tls(pki, mechs), extra + CREDS, tls=True)
    assert len(o.transactions) == 1


def test_external_with_client_certificate(authdiff, pki):
    extra = (f"auth external\nuser alice\ntls_cert_file "
             f"{pki.path('client.pem')}\ntls_key_file "
             f"{pki.path('client.key')}\n")
    r, o = authdiff(S_tls(pki, ["EXTERNAL"]), extra, tls=True)
    assert len(o.transactions) == 1


def test_log_line_has_user_not_password(authdiff):
    r, o = authdiff(S(["PLAIN"]), "auth plain\n" + CREDS, masked=False)
    (log,) = o.files.values()
    assert b" auth=on user=alice " in log and b"secret" not in log


# --------------------------------------------------------------------------
# msmtp's choice (auth on).

CHOICE = {
    # name: (methods offered, TLS, expected exit code)
    "clear_scram_256": (["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"], False, 0),
    "clear_scram_1": (["PLAIN", "LOGIN", "SCRAM-SHA-1"], False, 0),
    "clear_plain_only": (["PLAIN", "LOGIN"], False, 69),
    "clear_cram_only": (["CRAM-MD5", "PLAIN"], False, 69),
    "tls_plain_first": (["LOGIN", "PLAIN", "CRAM-MD5"], True, 0),
    "tls_cram_before_login": (["LOGIN", "CRAM-MD5"], True, 0),
    "tls_login_before_ntlm": (["NTLM", "LOGIN"], True, 0),
    "tls_scram_without_plain": (["LOGIN", "CRAM-MD5", "SCRAM-SHA-1"],
                                True, 0),
    "tls_nothing_usable": (["GSSAPI", "EXTERNAL", "OAUTHBEARER", "XOAUTH2"],
                           True, 69),
}


@pytest.mark.parametrize("mechs,tls,rc", CHOICE.values(), ids=CHOICE.keys())
def test_choice(authdiff, pki, mechs, tls, rc):
    script = S_tls(pki, mechs) if tls else S(mechs)
    r, o = authdiff(script, "auth on\n" + CREDS, rc=rc, tls=tls)
    if rc == 0:
        assert len(o.transactions) == 1


@pytest.mark.differs
def test_choice_prefers_scram_over_plain_under_tls(ours, confdir, pki):
    """msmtp 1.8.33's order (SCRAM before PLAIN, -PLUS first); Debian's
    1.8.23 takes PLAIN first under TLS."""
    o = send(ours, confdir, script=S_tls(pki, ["PLAIN", "SCRAM-SHA-256"]),
             config=rc_text(confdir, "auth on\n" + CREDS, pki, tls=True),
             args=[BOB], mail=MAIL)
    assert o.rc == 0, o.stderr
    assert b"\r\nAUTH SCRAM-SHA-256\r\n" in o.sessions[0]


# --------------------------------------------------------------------------
# Refusals and missing pieces: msmtp's exit codes.

FAIL = {
    # name: (script, extra config, exit code)
    "plain_535": (S(["PLAIN"]), "auth plain\nuser alice\npassword bad\n",
                  77),
    "plain_454": (S(["PLAIN"], replies={
        "AUTH": "454 4.7.0 Temporary authentication failure"}),
        "auth plain\n" + CREDS, 77),
    "plain_504": (S(["PLAIN"], replies={"AUTH": "504 5.5.4 not here"}),
                  "auth plain\n" + CREDS, 77),
    "login_535": (S(["LOGIN"]), "auth login\nuser alice\npassword bad\n",
                  77),
    "cram_535": (S(["CRAM-MD5"]), "auth cram-md5\nuser alice\npassword x\n",
                 77),
    "scram_535": (S(["SCRAM-SHA-256"]),
                  "auth scram-sha-256\nuser alice\npassword x\n", 77),
    "xoauth2_535": (S(["XOAUTH2"]), "auth xoauth2\nuser alice\npassword x\n",
                    77),
    "oauthbearer_535": (S(["OAUTHBEARER"]),
                        "auth oauthbearer\nuser alice\npassword x\n", 77),
    "closed_at_auth": (S(["PLAIN"], close_at="AUTH"), "auth plain\n" + CREDS,
                       76),
    "server_has_no_auth": (Script(), "auth on\n" + CREDS, 69),
    "method_not_offered": (S(["LOGIN"]), "auth plain\n" + CREDS, 69),
    "no_user": (S(["PLAIN"]), "auth plain\npassword secret\n", 69),
    "no_password": (S(["PLAIN"]), "auth plain\nuser alice\n", 69),
    "oauth_no_user": (S(["OAUTHBEARER"]), "auth oauthbearer\npassword t\n",
                      69),
    "gnu_sasl_error": (S(["DIGEST-MD5"]), "auth digest-md5\n" + CREDS, 70),
}


@pytest.mark.parametrize("script,extra,rc", FAIL.values(), ids=FAIL.keys())
def test_refused(authdiff, script, extra, rc):
    r, o = authdiff(script, extra, rc=rc)
    assert not o.transactions
    assert b"secret" not in o.stderr and b"secret" not in o.stdout


def test_auth_over_tls_refused_454(authdiff, pki):
    authdiff(S_tls(pki, ["PLAIN"], replies={"AUTH": "454 4.7.0 later"}),
             "auth plain\n" + CREDS, rc=77, tls=True)


# --------------------------------------------------------------------------
# Password sources: password, passwordeval, ~/.netrc, the terminal.

def test_passwordeval(authdiff):
    authdiff(S(["PLAIN"]), "auth plain\nuser alice\npasswordeval "
             "printf 'secret\\r\\nmore\\n'\n")


def test_password_wins_over_passwordeval(authdiff):
    authdiff(S(["PLAIN"]), "auth plain\nuser alice\npassword bad\n"
             "passwordeval echo secret\n", rc=77)


def test_passwordeval_ignored_without_auth(authdiff):
    authdiff(S(["PLAIN"]), "passwordeval false\n", masked=False)


def test_passwordeval_prints_nothing(ref, ours, confdir):
    """msmtp stops before connecting, EX_CONFIG. Ours too; the report
    module still adds its "could not send mail" line (see deliver.h
    config_error), so only the first line is compared."""
    text = rc_text(confdir, "auth plain\nuser alice\npasswordeval true\n")
    r = send(ref, confdir, script=S(["PLAIN"]), config=text, args=[BOB],
             mail=MAIL)
    o = send(ours, confdir, script=S(["PLAIN"]), config=text, args=[BOB],
             mail=MAIL)
    assert r.rc == o.rc == 78
    assert r.sessions == o.sessions == []
    assert o.stderr.split(b"\n")[0] == r.stderr.split(b"\n")[0] == \
        b"msmtp: cannot read output of 'true'"


def _netrc(confdir, text):
    path = confdir.home / ".netrc"
    path.write_text(text)
    os.chmod(path, 0o600)


NETRC = {
    "match": ("machine other login alice password bad\n"
              "machine 127.0.0.1 login alice password secret\n", 0),
    "macdef_skipped": ("macdef init\nmachine 127.0.0.1 login alice password "
                       "bad\n\nmachine 127.0.0.1\n  login alice\n"
                       "  password secret\n", 0),
    "other_user": ("machine 127.0.0.1 login bob password secret\n", 69),
    "default_entry_unused": ("default login alice password secret\n", 69),
}


@pytest.mark.parametrize("text,rc", NETRC.values(), ids=NETRC.keys())
def test_netrc(authdiff, confdir, text, rc):
    _netrc(confdir, text)
    authdiff(S(["PLAIN"]), "auth plain\nuser alice\n", rc=rc)


def _run_on_tty(binary, argv, env, typed, timeout=20, delay=0.1):
    """Run binary on a new pseudo-terminal; type `typed` at the prompt.
    Returns (exit code, everything the terminal showed)."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            mail = os.open(env["MAILFILE"], os.O_RDONLY)
            os.dup2(mail, 0)
            os.execve(binary, ["msmtp", *argv], env)
        finally:
            os._exit(127)
    shown, sent, deadline = b"", False, time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    break
                if not data:
                    break
                shown += data
            if not sent and b"password for " in shown:
                time.sleep(delay)
                os.write(fd, typed)
                sent = True
    finally:
        os.close(fd)
    for _ in range(int(timeout * 10)):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), shown
        time.sleep(0.1)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail(f"{binary} did not exit on the terminal")


@pytest.mark.parametrize("typed,rc,delay", [(b"secret\n", 0, 0.1),
                                            (b"bad\n", 77, 0.1),
                                            (b"secret\n", 0, 2.5)],
                         ids=["right", "wrong", "slower_than_timeout"])
def test_prompt_on_terminal(ref, ours, confdir, server, typed, rc, delay):
    """The prompt on /dev/tty; the timeout (1 s) does not count the time
    the user takes to type."""
    mailfile = confdir.root / "mail"
    mailfile.write_bytes(MAIL)
    results = []
    for binary in (ref, ours):
        srv = server(S(["PLAIN"]))
        text = rc_text(confdir, "auth plain\nuser alice\ntimeout 1\n"
                       ).replace("{port}", str(srv.port))
        path = confdir.write(text)
        env = confdir.env(MAILFILE=mailfile)
        code, shown = _run_on_tty(binary.path, [*binary.extra_args, "-C",
                                                str(path), BOB], env, typed,
                                  delay=delay)
        srv.wait_closed(5)
        results.append((code, shown.replace(b"\r\n", b"\n"),
                        [s.auth for s in srv.sessions]))
    (rc_r, shown_r, auth_r), (rc_o, shown_o, auth_o) = results
    assert rc_r == rc_o == rc
    assert shown_r == shown_o
    assert shown_o.startswith(b"password for alice at 127.0.0.1: \n")
    assert b"secret" not in shown_o
    assert auth_r == auth_o


# --------------------------------------------------------------------------
# Deliberate differences.

@pytest.mark.differs
def test_debug_masks_credentials(ours, confdir):
    text = rc_text(confdir, "auth login\n" + CREDS)
    o = send(ours, confdir, script=S(["LOGIN"]), config=text,
             args=["-d", BOB], mail=MAIL)
    assert o.rc == 0
    assert b"--> AUTH LOGIN\r\n" in o.stdout
    assert o.stdout.count(b"--> ********\r\n") == 2
    for secret in (b"secret", base64.b64encode(b"secret"),
                   base64.b64encode(b"alice")):
        assert secret not in o.stdout


@pytest.mark.differs
@pytest.mark.parametrize("mech", ["OAUTHBEARER", "XOAUTH2"])
def test_oauth_token_of_8k(ours, confdir, mech):
    token = "t" * 8192
    script = Script(auth={"alice": token}, auth_mechs=[mech],
                    command_max=1 << 16)
    text = rc_text(confdir, f"auth {mech.lower()}\nuser alice\n"
                   f"password {token}\n")
    o = send(ours, confdir, script=script, config=text, args=[BOB],
             mail=MAIL)
    assert o.rc == 0, o.stderr
    assert len(o.transactions) == 1


@pytest.mark.differs
def test_external_without_user_answers_the_challenge(ours, confdir, pki):
    """msmtp 1.8.23 leaves the server's 334 unanswered and sends MAIL
    FROM as the SASL response; we answer with an empty response."""
    extra = (f"auth external\ntls_cert_file {pki.path('client.pem')}\n"
             f"tls_key_file {pki.path('client.key')}\n")
    o = send(ours, confdir, script=S_tls(pki, ["EXTERNAL"]),
             config=rc_text(confdir, extra, pki, tls=True), args=[BOB],
             mail=MAIL)
    assert o.rc == 0, o.stderr
    assert b"AUTH EXTERNAL\r\n\r\nMAIL FROM" in o.sessions[0]


@pytest.mark.differs
def test_scram_plus_over_tls12(ours, confdir, pki):
    """SCRAM-SHA-256-PLUS with tls-unique (msmtp 1.8.23 knows no -PLUS)."""
    ctx = server_context(pki, max_version=ssl.TLSVersion.TLSv1_2)
    script = Script(auth=dict(USERS), starttls=ctx,
                    auth_mechs=["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"])
    for extra in ("auth on\n", "auth scram-sha-256-plus\n"):
        o = send(ours, confdir, script=script,
                 config=rc_text(confdir, extra + CREDS, pki, tls=True),
                 args=[BOB], mail=MAIL)
        assert o.rc == 0, o.stderr
        assert b"AUTH SCRAM-SHA-256-PLUS\r\n" in o.sessions[0]


@pytest.mark.differs
def test_no_password_in_files_or_output(ours, confdir):
    text = rc_text(confdir, "auth plain\nuser alice\npassword secret\n")
    for script in (S(["PLAIN"]), S(["PLAIN"], replies={"AUTH": "535 no"})):
        o = send(ours, confdir, script=script, config=text,
                 args=["-d", BOB], mail=MAIL,
                 collect=[confdir.root / "msmtp.log"])
        (log,) = o.files.values()
        for where in (o.stdout, o.stderr, log):
            assert b"secret" not in where
            assert base64.b64encode(b"\0alice\0secret") not in where
