"""Differential tests of bad input, bad configuration and server faults.

Each case asserts that our exit code equals Debian msmtp's (and that the
reference gives the documented one: expect_rc), that both print an
"msmtp: " message on stderr, and that the stderr texts are identical
(ports normalized; both runs use the same config path and argv[0]).
What went over the wire is compared too, except that a polite RSET/QUIT
after a failure is allowed.
"""

import os
import pwd
import shutil
import tempfile

import pytest

from conftest import ConfDir, Script, compare, free_port, send

RC = """\
defaults
auth off
tls off

account default
host 127.0.0.1
port {port}
from alice@example.org
"""

BOB = "bob@example.net"
MAIL = b"From: Alice <alice@example.org>\nTo: bob@example.net\n" \
       b"Subject: test\n\nHello, Bob.\n"

ROOT = os.geteuid() == 0


@pytest.fixture
def errdiff(diff):
    """diff() for a failing run: both must explain themselves on stderr."""
    def run(**kw):
        kw.setdefault("wire", "lenient")
        r, o = diff(**kw)
        if kw.get("expect_rc", 1) != 0:
            for x in (r, o):
                assert x.stderr.startswith(b"msmtp: "), (
                    f"{x.name} printed no 'msmtp: ' message: {x.stderr!r}")
        return r, o
    return run


# --------------------------------------------------------------------------
# The server says no, or goes away.

FAULTS = {
    # name: (script, recipients, expected exit code)
    "greeting_421": (Script(greeting="421 4.3.2 busy, try later"), [BOB], 76),
    "greeting_554": (Script(greeting="554 5.3.2 go away"), [BOB], 76),
    "mail_451": (Script(replies={"MAIL": "451 4.3.0 try later"}), [BOB], 69),
    "mail_550": (Script(replies={"MAIL": "550 5.7.1 sender rejected"}),
                 [BOB], 65),
    "rcpt_451": (Script(replies={"RCPT": "451 4.3.0 try later"}), [BOB], 69),
    "rcpt_550": (Script(replies={"RCPT": "550 5.1.1 no such user"}),
                 [BOB], 65),
    "rcpt_second_of_two_550": (
        Script(replies={"RCPT": {"carol@example.net": "550 5.1.1 no such user"}}),
        [BOB, "carol@example.net"], 65),
    "rcpt_first_of_two_451": (
        Script(replies={"RCPT": {BOB: "451 4.2.1 mailbox busy"}}),
        [BOB, "carol@example.net"], 69),
    "data_554": (Script(replies={"DATA": "554 5.5.1 no valid recipients"}),
                 [BOB], 65),
    "data_451": (Script(replies={"DATA": "451 4.3.0 try later"}), [BOB], 69),
    "eom_452": (Script(replies={"EOM": "452 4.3.1 insufficient storage"}),
                [BOB], 69),
    "eom_554": (Script(replies={"EOM": "554 5.7.1 rejected as spam"}),
                [BOB], 69),
    "eom_multiline_554": (
        Script(replies={"EOM": "554-5.7.1 rejected\r\n554 5.7.1 as spam"}),
        [BOB], 69),
    "close_at_greeting": (Script(close_at="GREETING"), [BOB], 76),
    "close_at_ehlo": (Script(close_at="EHLO"), [BOB], 76),
    "close_at_mail": (Script(close_at="MAIL"), [BOB], 76),
    "close_at_rcpt": (Script(close_at="RCPT"), [BOB], 76),
    "close_at_data": (Script(close_at="DATA"), [BOB], 76),
    "close_at_eom": (Script(close_at="EOM"), [BOB], 76),
    "lmtp_eom_452": (Script(lmtp=True, replies={"EOM": "452 4.2.2 over quota"}),
                     ["--protocol=lmtp", BOB], 69),
}


@pytest.mark.parametrize("script,args,rc", FAULTS.values(), ids=FAULTS.keys())
def test_server_fault(errdiff, script, args, rc):
    errdiff(script=script, config=RC, args=args, mail=MAIL, expect_rc=rc)


@pytest.mark.timeout(40)
@pytest.mark.parametrize("where", ["GREETING", "MAIL", "RCPT", "EOM"])
def test_server_stops_answering(errdiff, where):
    r, o = errdiff(script=Script(hang_at=where), config=RC,
                   args=["--timeout=1", BOB], mail=MAIL, expect_rc=74,
                   timeout=15)


@pytest.mark.timeout(40)
def test_server_stops_answering_timeout_in_config(errdiff):
    errdiff(script=Script(hang_at="RCPT"), config=RC + "timeout 1\n",
            args=[BOB], mail=MAIL, expect_rc=74, timeout=15)


def test_connection_refused(errdiff):
    port = free_port()
    r, o = errdiff(config=RC.replace("{port}", str(port)), args=[BOB],
                   mail=MAIL, with_server=False, expect_rc=75)
    assert b"port %d: Connection refused" % port in r.stderr


def test_connection_refused_host_option(errdiff):
    port = free_port()
    errdiff(args=["--host=127.0.0.1", f"--port={port}",
                  "--from=alice@example.org", BOB],
            mail=MAIL, with_server=False, expect_rc=75)


# --------------------------------------------------------------------------
# Configuration.

@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_unreadable_config_file(errdiff, confdir, kind):
    path = confdir.root / ("missing" if kind == "missing" else "home")
    errdiff(args=["-C", str(path), BOB], mail=MAIL, with_server=False,
            expect_rc=74)


def test_config_file_mode_000(errdiff):
    # Root reads it anyway (and sends); others cannot.
    errdiff(config=RC, config_mode=0o000, args=[BOB], mail=MAIL,
            expect_rc=0 if ROOT else 74)


BAD_CONFIGS = {
    "unknown_command": RC + "bogus_cmd value\n",
    "unknown_command_first": "bogus_cmd value\n" + RC,
    "duplicate_account": RC + "\naccount default\nhost 127.0.0.1\n",
    "bad_port": RC + "port notanumber\n",
    "bad_on_off": RC + "tls maybe\n",
    "account_without_name": RC + "account\n",
    "inherit_unknown": RC + "account x : nosuch\n",
}


@pytest.mark.parametrize("text", BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
def test_malformed_config(errdiff, text):
    errdiff(config=text, args=[BOB], mail=MAIL, expect_rc=78)


@pytest.mark.differs
def test_config_line_over_500_is_accepted(ref, ours, confdir):
    """Deliberate difference: msmtp refuses msmtprc lines over 500
    characters (which breaks OAuth tokens); we accept any length."""
    text = RC + "# " + "x" * 600 + "\n"
    r = send(ref, confdir, config=text, args=[BOB], mail=MAIL)
    assert r.rc == 78 and b"line longer than 500 characters" in r.stderr
    o = send(ours, confdir, config=text, args=[BOB], mail=MAIL)
    assert o.rc == 0, o.stderr
    assert len(o.transactions) == 1


def test_unknown_account(errdiff):
    errdiff(config=RC, args=["-a", "nosuch", BOB], mail=MAIL, expect_rc=78)


@pytest.mark.parametrize("cmd", ["true", "exit 1"])
def test_passwordeval_prints_nothing(errdiff, cmd):
    """The account fails before any connection: one line, no "could not
    send mail", exit 78."""
    r, o = errdiff(config=RC + f"auth on\nuser u\npasswordeval {cmd}\n",
                   args=[BOB], mail=MAIL, expect_rc=78)
    assert not o.sessions


@pytest.mark.parametrize("cmd", ["false", "exit 3"])
def test_eval_prints_nothing(errdiff, cmd):
    """msmtprc's eval: a command that prints nothing stops the config
    (msmtp's message names the file; exit 74)."""
    r, o = errdiff(config=RC + f"eval {cmd}\n", args=[BOB], mail=MAIL,
                   expect_rc=74)
    assert not o.sessions


def test_eval_sets_a_command(diff):
    """eval's output is read as a config line of the account."""
    diff(config=RC.replace("host 127.0.0.1\n", "eval echo host 127.0.0.1\n"),
         args=[BOB], mail=MAIL, expect_rc=0)


@pytest.mark.parametrize("rcpt", ["<bob@x.org", "bob@", '"unterminated@x',
                                  "a b@c.org", "", "(comment", "a,b"],
                         ids=["open_angle", "no_domain", "open_quote",
                              "space", "empty", "open_comment", "comma"])
def test_malformed_address_argument(diff, rcpt):
    """Recipients as msmtp parses them: some go out as they are, some are
    no recipient at all (exit 64)."""
    diff(config=RC, args=["--", rcpt], mail=MAIL)


@pytest.mark.parametrize("header", [b"From: <unterminated", b'From: "q@x',
                                    b"To: <a@b.org", b"Cc: (c",
                                    b"To: a@b.org,, ,c@d.org",
                                    b"Bcc: Group: x@y.org, z@w.org;"],
                         ids=["from_angle", "from_quote", "to_angle",
                              "cc_comment", "empty_items", "group"])
def test_malformed_address_header(diff, header):
    diff(config=RC, args=["-t"], mail=header + b"\nSubject: x\n\nhi\n")


def test_no_default_account(errdiff):
    errdiff(config=RC.replace("account default", "account other"),
            args=[BOB], mail=MAIL, expect_rc=78)


def test_password_in_world_readable_config(errdiff):
    # msmtp skips the permission check for root: it then simply sends.
    errdiff(config=RC + "password secret\n", config_mode=0o644, args=[BOB],
            mail=MAIL, expect_rc=0 if ROOT else 78)


# The secret check (msmtp.md 1.4) is skipped for root, and the suite
# usually runs as root: run both programs as "nobody" to see it.

@pytest.fixture
def nobody_confdir():
    setpriv = shutil.which("setpriv")
    try:
        pw = pwd.getpwnam("nobody")
    except KeyError:
        pw = None
    if not ROOT or not setpriv or pw is None:
        pytest.skip("needs root, setpriv and a 'nobody' user")
    root = tempfile.mkdtemp(prefix="msmtp-integ-")
    try:
        os.chmod(root, 0o755)
        d = ConfDir(root)
        for dirpath, dirnames, filenames in os.walk(root):
            for name in [dirpath] + [os.path.join(dirpath, n)
                                     for n in dirnames + filenames]:
                os.chown(name, pw.pw_uid, pw.pw_gid)
        d.prefix = [setpriv, f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}",
                    "--clear-groups", "--"]
        d.owner = (pw.pw_uid, pw.pw_gid)
        d.user_env = {"USER": "nobody", "LOGNAME": "nobody"}
        yield d
    finally:
        shutil.rmtree(root, ignore_errors=True)


SECRET_CASES = {
    # name: (extra config, mode, owned by nobody?, expected exit code)
    "password_0644": ("password secret\n", 0o644, True, 78),
    "password_0640": ("password secret\n", 0o640, True, 78),
    "password_0600": ("password secret\n", 0o600, True, 0),
    "password_0400": ("password secret\n", 0o400, True, 0),
    "password_not_owned_0644": ("password secret\n", 0o644, False, 78),
    "no_password_0644": ("", 0o644, True, 0),
    "passwordeval_0644": ("passwordeval echo secret\n", 0o644, True, 0),
    "unreadable_0000": ("", 0o000, True, 74),
}


@pytest.mark.parametrize("extra,mode,owned,rc", SECRET_CASES.values(),
                         ids=SECRET_CASES.keys())
def test_secret_check_unprivileged(ref, ours, nobody_confdir, extra, mode,
                                   owned, rc):
    d = nobody_confdir
    kw = dict(config=RC + extra, config_mode=mode, args=[BOB], mail=MAIL,
              env=d.user_env, prefix=d.prefix,
              config_owner=d.owner if owned else None)
    r = send(ref, d, **kw)
    assert r.rc == rc, f"test premise: ref exited {r.rc}: {r.stderr!r}"
    o = send(ours, d, **kw)
    compare(r, o, wire="lenient")
    if rc:
        assert o.stderr.startswith(b"msmtp: ")


def test_host_without_from(errdiff):
    errdiff(args=["--host=127.0.0.1", "--port={port}", BOB], mail=MAIL,
            expect_rc=78)


def test_read_envelope_from_without_from_header(errdiff):
    # 1.8.23: EX_CONFIG "envelope-from address is missing" (1.8.31: 64).
    errdiff(config=RC, args=["--read-envelope-from", BOB],
            mail=b"To: bob@example.net\nSubject: x\n\nbody\n", expect_rc=78)


# --------------------------------------------------------------------------
# Command line.

def test_no_recipients(errdiff):
    errdiff(config=RC, args=[], mail=MAIL, expect_rc=64)


def test_read_recipients_none_found(errdiff):
    errdiff(config=RC, args=["-t"], mail=b"Subject: nobody\n\nbody\n",
            expect_rc=64)


def test_host_with_account(errdiff):
    errdiff(config=RC, args=["--host=127.0.0.1", "-a", "default", BOB],
            mail=MAIL, expect_rc=64)


@pytest.mark.parametrize("args", [["-bs"], ["-bi"]], ids=["-bs", "-bi"])
def test_unsupported_mode(errdiff, args):
    errdiff(config=RC, args=args, mail=MAIL, expect_rc=64)


# Deliberate difference: msmtp has no queue, so it refuses sendmail's -bp
# and -q (exit 64); here they list and flush the queue (msmtp-queue).
@pytest.mark.differs
@pytest.mark.parametrize("args,expect", [(["-bp"], b"The queue is empty."),
                                         (["-q"], b"")],
                         ids=["-bp", "-q"])
def test_queue_commands(ref, ours, confdir, args, expect):
    r = send(ref, confdir, config=RC, args=args, mail=MAIL)
    assert r.rc == 64
    o = send(ours, confdir, config=RC, args=args, mail=MAIL)
    assert o.rc == 0, o.stderr
    assert expect in o.stdout


@pytest.mark.parametrize("args", [["--no-such-option", BOB],
                                  ["--port=notanumber", BOB],
                                  ["--protocol=esmtp", BOB],
                                  ["--timeout=soon", BOB]],
                         ids=["unknown-long", "bad-port", "bad-protocol",
                              "bad-timeout"])
def test_bad_option(errdiff, args):
    errdiff(config=RC, args=args, mail=MAIL, expect_rc=64)


# --------------------------------------------------------------------------
# With PIPELINING the client sends MAIL, RCPT... and DATA before it sees a
# reply: a rejected recipient is noticed after DATA was sent.

PIPE = ["PIPELINING", "8BITMIME"]

PIPELINED = {
    "rcpt_second_of_two_550": (
        Script(extensions=PIPE,
               replies={"RCPT": {"carol@example.net": "550 5.1.1 unknown"}}),
        65),
    "rcpt_all_550": (Script(extensions=PIPE,
                            replies={"RCPT": "550 5.1.1 unknown"}), 65),
    "rcpt_all_451": (Script(extensions=PIPE,
                            replies={"RCPT": "451 4.3.0 later"}), 69),
    "mail_550": (Script(extensions=PIPE,
                        replies={"MAIL": "550 5.7.1 sender rejected"}), 65),
    "data_554": (Script(extensions=PIPE,
                        replies={"DATA": "554 5.5.1 no"}), 65),
}


@pytest.mark.parametrize("script,rc", PIPELINED.values(),
                         ids=PIPELINED.keys())
def test_pipelined_fault(errdiff, script, rc):
    errdiff(script=script, config=RC, args=[BOB, "carol@example.net"],
            mail=MAIL, expect_rc=rc)


def test_dsn_not_supported(errdiff):
    errdiff(config=RC, args=["-N", "failure", BOB], mail=MAIL, expect_rc=69)
