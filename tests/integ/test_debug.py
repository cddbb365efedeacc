"""Differential tests of -d (--debug) in sendmail mode.

msmtp's -d prints what -P prints (the files loaded, how the account was
chosen, every setting of the account in msmtp's order and words), then
the SMTP dialogue. The same configuration, arguments and mail go through
Debian's msmtp 1.8.23 and ours (each against its own recording server),
and stdout is compared line by line after masking what legitimately
differs between two runs: the server's port, the Date and Message-ID
values we and msmtp generate (and so the mail's size in the log line),
and the AUTH lines' credentials (ours
prints them as ********, a deliberate difference: test_auth.py).

After msmtp's lines ours adds two: "queue_file = PATH" and
"delivery_mode = MODE" (client/pretend.h); conftest's
without_ours_queue_lines() takes exactly those out before comparing,
and test_debug_adds_spool_and_mode checks them.
"""

import re

import pytest

from conftest import Script, send, without_ours_queue_lines
from pki import pki, server_context  # noqa: F401  (fixture)

BOB = "bob@example.net"
MAIL = (b"From: Alice <alice@example.org>\nTo: bob@example.net\n"
        b"Subject: debug\n\nHello.\n")
MAIL_RCPTS = (b"From: Alice <alice@example.org>\nTo: bob@example.net\n"
              b"Cc: carol@example.com\nBcc: dave@example.com\n"
              b"Subject: debug\n\nHello.\n")

RC = """\
account default
host 127.0.0.1
port {port}
from alice@example.org
"""

RC_TWO = """\
defaults
host 127.0.0.1
port {port}
timeout 20
dsn_notify failure
dsn_return headers

account work
from alice@work.example
domain client.work.example

account default
from alice@example.org
"""

DSN = ["DSN", "PIPELINING"]

_MASKS = [
    (re.compile(rb"(?m)^port = \d+$"), rb"port = PORT"),
    (re.compile(rb"(?mi)^--> (Date|Message-ID): .*$"), rb"--> \1: MASKED"),
    (re.compile(rb"(?m)^--> (AUTH [A-Z0-9-]+) .*$"), rb"--> \1 MASKED"),
    (re.compile(rb"(?m)^--> [A-Za-z0-9+/=*]+\r$"), rb"--> MASKED\r"),
    # the log line (logfile -): the Message-ID's length is in it
    (re.compile(rb"(?m)^(STAMP host=.*) mailsize=\d+ "), rb"\1 mailsize=N "),
]


def masked(stdout):
    """-d output with what differs between two runs masked."""
    for pattern, repl in _MASKS:
        stdout = pattern.sub(repl, stdout)
    return stdout


def lines(stdout):
    return masked(stdout).decode("utf-8", "backslashreplace").splitlines()


def assert_same_lines(r, o):
    want, got = lines(r.stdout), lines(without_ours_queue_lines(o.stdout))
    for i, (a, b) in enumerate(zip(want, got)):
        assert a == b, f"line {i + 1} differs\nref:  {a!r}\nours: {b!r}"
    assert len(want) == len(got), (
        f"ref printed {len(want)} lines, ours {len(got)}\n"
        f"ref's rest: {want[len(got):]!r}\nours' rest: {got[len(want):]!r}")


@pytest.fixture
def ddiff(ref, ours, confdir):
    """Run -d through both; compare exit codes, stderr and the masked
    stdout line by line. Returns (ref, ours)."""
    def run(script=None, config=RC, args=(BOB,), mail=MAIL, rc=0,
            config_at="C", env=None, stderr=True):
        kw = dict(script=script or Script(extensions=DSN), config=config,
                  args=["-d", *args], mail=mail, config_at=config_at,
                  env=env)
        r = send(ref, confdir, **kw)
        assert r.rc == rc, f"premise: ref exited {r.rc}: {r.stderr!r}"
        o = send(ours, confdir, **kw)
        assert o.rc == r.rc, f"ours exited {o.rc}: {o.stderr!r}"
        if stderr:
            assert o.err == r.err
        assert_same_lines(r, o)
        return r, o
    return run


# --------------------------------------------------------------------------
# Sends that succeed.

def test_debug_send(ddiff):
    r, o = ddiff()
    assert b"\nusing account default from " in r.stdout
    assert b"\nhost = 127.0.0.1\n" in o.stdout
    assert b"\n--> MAIL FROM:<alice@example.org>\r\n" in o.stdout


def test_debug_prints_as_many_lines_as_msmtp(ddiff):
    r, o = ddiff(config=RC_TWO, args=["-t"], mail=MAIL_RCPTS)
    n = len(without_ours_queue_lines(o.stdout).splitlines())
    assert n == len(r.stdout.splitlines()) > 60


SETTINGS = {
    "dsn_and_domain": "dsn_notify success,failure\ndsn_return full\n"
                      "domain client.example.org\n",
    "headers_off": "set_from_header off\nset_date_header off\n"
                   "remove_bcc_headers off\nallow_from_override off\n",
    "timeout": "timeout 7\n",
    "logfile_syslog": "logfile -\nlogfile_time_format STAMP\n"
                      "syslog LOG_MAIL\n",
    "undisclosed": "undisclosed_recipients on\n",
    "auth_password": "auth plain\nuser alice\npassword secret\n",
    "auth_passwordeval": "auth plain\nuser alice\n"
                         "passwordeval \"echo secret\"\n",
    "lmtp": "protocol lmtp\n",
}


@pytest.mark.parametrize("extra", SETTINGS.values(), ids=SETTINGS.keys())
def test_debug_settings(ddiff, extra):
    script = Script(lmtp="lmtp" in extra, extensions=DSN,
                    auth={"alice": "secret"} if "auth" in extra else None,
                    auth_mechs=["PLAIN"] if "auth" in extra else None)
    ddiff(script=script, config=RC + extra)


def test_debug_selected_by_from(ddiff):
    r, o = ddiff(config=RC_TWO, args=["-f", "alice@work.example", BOB])
    assert b"account chosen by envelope from address" in o.stdout


def test_debug_account_option(ddiff):
    ddiff(config=RC_TWO, args=["-a", "work", BOB])


def test_debug_read_envelope_from(ddiff):
    r, o = ddiff(config=RC_TWO, args=["--read-envelope-from", BOB])
    assert o.stdout.startswith(
        b"envelope from address extracted from mail: alice@example.org\n")


def test_debug_user_config_in_home(ddiff):
    r, o = ddiff(config_at="home")
    assert b"loaded user configuration file " in o.stdout


def test_debug_command_line_account(ddiff):
    r, o = ddiff(config=None, args=["--host=127.0.0.1", "--port={port}",
                                    "-f", "alice@example.org", BOB])
    assert o.stdout.startswith(b"using account specified on command line\n")


def test_debug_over_starttls(ddiff, confdir, pki):
    extra = f"tls on\ntls_trust_file {pki.path('ca.pem')}\n"
    r, o = ddiff(script=Script(starttls=server_context(pki)),
                 config=RC + extra)
    assert b"TLS session parameters:\n" in o.stdout


# --------------------------------------------------------------------------
# Failures: what was printed before the error stays printed.

def test_debug_recipient_refused(ddiff):
    ddiff(script=Script(replies={"RCPT": "550 5.1.1 no such user"}), rc=65)


def test_debug_no_recipients(ddiff):
    ddiff(args=(), rc=64)


def test_debug_unknown_account(ddiff):
    ddiff(args=["-a", "nope", BOB], rc=78)


def test_debug_host_not_set(ddiff):
    ddiff(config="account default\nfrom a@example.org\n", rc=78)


def test_debug_connection_refused(ddiff, confdir):
    from conftest import free_port
    port = free_port()
    ddiff(config=RC.replace("{port}", str(port)), rc=75)


# --------------------------------------------------------------------------
# Ours: the spool and the delivery mode after msmtp's lines.

@pytest.mark.differs
def test_debug_adds_spool_and_mode(ours, confdir):
    spool = confdir.home / ".local" / "state" / "msmtp" / "queue.db"
    o = send(ours, confdir, script=Script(), config=RC,
             args=["-d", BOB], mail=MAIL)
    assert o.rc == 0, o.stderr
    assert (b"\nreading recipients from the command line\n"
            b"queue_file = %s\ndelivery_mode = direct (queue off)\n"
            b"<-- 220 " % bytes(spool)) in o.stdout


@pytest.mark.differs
@pytest.mark.parametrize("mode,word", [("", "interactive"),
                                      ("-odb", "background"),
                                      ("-odq", "queue")])
def test_debug_spooled_shows_mode(ours, confdir, mode, word):
    spool = confdir.root / "q" / "queue.db"
    args = ["--queue=on", f"--queue-file={spool}", "-d", BOB]
    if mode:
        args.insert(0, mode)
    o = send(ours, confdir, script=Script(), config=RC, args=args,
             mail=MAIL)
    assert o.rc == 0, o.stderr
    assert (b"queue_file = %s\ndelivery_mode = %s\n"
            % (bytes(spool), word.encode())) in o.stdout
    assert o.stdout.index(b"\nhost = 127.0.0.1\n") < \
        o.stdout.index(b"\nqueue_file = ")


@pytest.mark.differs
def test_pretend_shows_the_spool_expanded(ours, confdir):
    o = send(ours, confdir, script=Script(),
             config=RC + "queue_file ~/spool-%u/queue.db\n",
             args=["-odq", "--queue=on", "-P", BOB], mail=MAIL)
    assert o.rc == 0, o.stderr
    import os
    want = confdir.home / f"spool-{os.getuid()}" / "queue.db"
    assert o.stdout.endswith(b"reading recipients from the command line\n"
                             b"queue_file = %s\n" % bytes(want))


@pytest.mark.differs
def test_debug_passwordeval_failure_after_the_block(ours, confdir):
    """msmtp runs passwordeval before it prints the account; ours runs it
    just before AUTH, so -d prints the whole block, then the same error."""
    o = send(ours, confdir, script=Script(auth={"alice": "x"},
                                          auth_mechs=["PLAIN"]),
             config=RC + "auth plain\nuser alice\npasswordeval false\n",
             args=["-d", BOB], mail=MAIL)
    assert o.rc == 78
    assert b"\npassword = *\n" in o.stdout
    assert o.stderr.startswith(b"msmtp: cannot read output of 'false'")
