"""Our msmtp and our msmtpd together, on what msmtp's own test scripts
exercise (test-basic, test-auth-plain, test-header-handling), in tests of
our own: msmtpd's --command is a shell command line with redirections and
%F, as msmtp's scripts write it; AUTH PLAIN with --auth=user,eval; the
From header msmtp writes (-F with an 8-bit name); envelope and recipients
read from headers over RFC 5322's address-list corner cases; Date and
Message-ID added, Bcc removed. The mail and the recipients the command
got are checked byte for byte.

Where Debian's msmtp (/usr/bin/msmtp) is installed, the same mails also go
through it, into the same msmtpd, and the two results are compared (with
the values of Date and Message-ID, which differ by nature, set aside).

And the client's addresses never reach the shell as code: hostile senders
and recipients are refused by msmtpd at MAIL or RCPT, or reach the command
literally; the file they would create never appears.
"""

import email.utils
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REF_PATH, normalize, run
from test_msmtpd import build_path, wait_for

# What msmtp's scripts ask of msmtpd's command: the mail, the sender and
# the recipients, each in a file of the current directory.
DUMP = ("cat > out-mail.txt; echo %F > out-from.txt; "
        "echo > out-rcpt.txt")


class Daemon:
    """Our msmtpd on a free loopback port, its command run in ``cwd``."""

    def __init__(self, cwd, *args, env=None):
        self.cwd = Path(cwd)
        self.log = self.cwd.parent / f"{self.cwd.name}-msmtpd.log"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            [build_path("msmtpd"), "--interface=127.0.0.1",
             f"--port={self.port}", f"--log={self.log}", *args],
            cwd=self.cwd, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for(lambda: self.proc.poll() is not None or
                 "listening on" in self.log_text(), 10, "msmtpd to listen")
        assert self.proc.poll() is None, self.proc.stderr.read()

    def log_text(self):
        try:
            return self.log.read_text()
        except FileNotFoundError:
            return ""

    def out(self, name):
        return (self.cwd / f"out-{name}.txt").read_bytes()

    def clear(self):
        for p in self.cwd.glob("out-*.txt"):
            p.unlink()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=15)
        err = self.proc.stderr.read()
        self.proc.stderr.close()
        assert rc == 0, err


@pytest.fixture
def msmtpd(tmp_path, confdir):
    """Factory: ``d = msmtpd(*args)`` (stopped at the end)."""
    started = []

    def start(*args, env=None):
        cwd = tmp_path / f"d{len(started)}"
        cwd.mkdir()
        d = Daemon(cwd, *args, env=env or confdir.env())
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()


def clients(ours):
    """Our msmtp, and Debian's where it is installed."""
    out = [ours]
    if os.access(REF_PATH, os.X_OK) and \
            os.path.realpath(ours.path) != os.path.realpath(REF_PATH):
        out.append(REF_PATH)
    return out


def send(client, d, args, mail, env):
    """``client`` through ``d``: (exit code, stderr)."""
    d.clear()
    rc, _, err = run(client, ["--host=127.0.0.1", f"--port={d.port}",
                              *args], mail, env=env)
    return rc, err.decode(errors="replace")


def split_received(data):
    """msmtpd's Received header (first, folded over three lines) and the
    mail as the client sent it."""
    lines = data.split(b"\n")
    assert lines[0].startswith(b"Received: from "), data[:200]
    assert lines[1].startswith(b"\tby ") and lines[2].startswith(b"\t")
    return b"\n".join(lines[:3]) + b"\n", b"\n".join(lines[3:])


def headers(mail):
    """The header block, unfolded, as a list of (name, value) bytes."""
    head = mail.split(b"\n\n", 1)[0]
    out = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            name, value = out[-1]
            out[-1] = (name, value + b"\n" + line)
        else:
            name, _, value = line.partition(b":")
            out.append((name, value.strip()))
    return out


def drop_fields(mail, names):
    """mail without the header fields called ``names`` (folded lines
    with them)."""
    head, sep, body = mail.partition(b"\n\n")
    keep, dropping = [], False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if not dropping:
                keep.append(line)
            continue
        dropping = line.split(b":", 1)[0].lower() in names
        if not dropping:
            keep.append(line)
    return b"\n".join(keep) + sep + body


# ---------------------------------------------------------------------------
# The basics: a shell command line, the mail byte for byte, %F, the
# recipients appended.

BASIC = (b"From: Alice <alice@example.org>\n"
         b"To: bob@example.net, carol@example.net\n"
         b"Date: Mon, 07 Dec 2026 01:02:03 +0000\n"
         b"Message-ID: <basic.1@example.org>\n"
         b"Subject: basics\n"
         b"\n"
         b".a line with one dot first\n"
         b"..and one with two\n"
         b".\n"
         b"\n"
         b"8-bit: \xc3\xa4\xc3\xb6\xc3\xbc, a tab\there, trailing blank \n"
         + b"x" * 990 + b"\n"
         b"last line without its end")


def test_shell_command_line_gets_mail_sender_and_recipients(
        ours, confdir, msmtpd):
    d = msmtpd(f"--command={DUMP}")
    for client in clients(ours):
        rc, err = send(client, d, ["-f", "alice@example.org",
                                   "bob@example.net", "carol@example.net"],
                       BASIC, confdir.env())
        assert rc == 0, (client, err)
        received, mail = split_received(d.out("mail"))
        assert b"(msmtpd) with ESMTP;" in received
        # msmtp ends the last line; nothing else changes.
        assert mail == BASIC + b"\n", client
        assert d.out("from") == b"alice@example.org\n"
        assert d.out("rcpt") == b"bob@example.net carol@example.net\n"


def test_null_sender_and_one_recipient(ours, confdir, msmtpd):
    d = msmtpd("--command=cat > out-mail.txt; printf '[%s]' %F > "
               "out-from.txt; printf '<%s>' > out-rcpt.txt")
    for client in clients(ours):
        rc, err = send(client, d, ["-f", "", "postmaster"],
                       b"Subject: bounce\n\nno body to speak of\n",
                       confdir.env())
        assert rc == 0, (client, err)
        assert d.out("from") == b"[<>]"
        assert d.out("rcpt") == b"<postmaster>"


def test_command_status_reaches_msmtp(ours, confdir, msmtpd):
    """A shell command that fails: the client gets the reply msmtpd makes
    of its status and stderr (msmtp exits 69 for a refusal after the final
    dot, 4xx or 5xx alike)."""
    cases = [("cat > /dev/null; echo 'over quota' >&2; exit 75",
              "451 4.3.0 Pipe command reported error 75 (EX_TEMPFAIL): "
              "over quota"),
             ("cat > /dev/null; exit 3",
              "554 5.3.0 Pipe command reported error 3"),
             ("cat > /dev/null; /no/such/program",
              "451 4.3.0 Cannot start pipe command (exit status 127): "
              "sh: 1: /no/such/program: not found")]
    for command, reply in cases:
        d = msmtpd(f"--command={command}")
        for client in clients(ours):
            rc, err = send(client, d, ["-f", "a@example.org",
                                       "b@example.net"],
                           b"Subject: x\n\nx\n", confdir.env())
            assert rc == 69, (client, err)
            assert f"msmtp: server message: {reply}\n" in err, err


# ---------------------------------------------------------------------------
# AUTH PLAIN, msmtpd --auth=user,eval against msmtp --passwordeval.

AUTH_MAIL = b"Subject: auth\n\nauthenticated\n"


def test_auth_plain_with_password_eval(ours, confdir, msmtpd):
    d = msmtpd("--auth=tester,echo 'pass word'",
               "--command=cat > out-mail.txt; echo > out-rcpt.txt")
    for client in clients(ours):
        rc, err = send(client, d, [
            "--auth=plain", "--user=tester",
            "--passwordeval=echo 'pass word'", "-f", "t@example.org",
            "r@example.net"], AUTH_MAIL, confdir.env())
        assert rc == 0, (client, err)
        received, mail = split_received(d.out("mail"))
        assert b"(msmtpd) with ESMTPA;" in received
        assert mail.endswith(b"\n" + AUTH_MAIL), mail
        assert d.out("rcpt") == b"r@example.net\n"
        # A wrong password: refused, nothing piped.
        rc, err = send(client, d, [
            "--auth=plain", "--user=tester", "--passwordeval=echo nope",
            "-f", "t@example.org", "r@example.net"], AUTH_MAIL,
            confdir.env())
        assert rc == 77, (client, err)     # EX_NOPERM
        assert "535" in err, err
        assert not (d.cwd / "out-mail.txt").exists()
        # No AUTH at all: msmtpd wants it before MAIL.
        rc, err = send(client, d, ["-f", "t@example.org", "r@example.net"],
                       AUTH_MAIL, confdir.env())
        assert rc != 0, client
        assert "530" in err, err
        assert not (d.cwd / "out-mail.txt").exists()


# ---------------------------------------------------------------------------
# The From header msmtp writes: --set-from-header with and without -F.

FROMLESS = (b"From: Someone Else <else@example.net>\n"
            b"To: recipient@example.com\n"
            b"Subject: from header\n\nbody\n")

FROM_CASES = [
    ([], "C", b"From: test@example.com"),
    (["-F", "Test User"], "C", b"From: Test User <test@example.com>"),
    # An 8-bit name is encoded as RFC 2047 in the locale's charset.
    (["-F", "Test \u00dcser"], "C.UTF-8",
     b"From: =?utf-8?B?VGVzdCDDnHNlcg==?= <test@example.com>"),
    (["-F", "\u00c5sa \u00d6berg-\u00c4ng"], "C.UTF-8",
     b"From: =?utf-8?B?w4VzYSDDlmJlcmctw4RuZw==?= <test@example.com>"),
]


@pytest.mark.parametrize("extra,locale,want", FROM_CASES,
                         ids=["address", "name", "8bit", "8bit-long"])
def test_set_from_header(ours, confdir, msmtpd, extra, locale, want):
    d = msmtpd(f"--command={DUMP}")
    env = confdir.env(LC_ALL=locale, LANG=locale)
    # Debian's msmtp 1.8.23 writes an 8-bit name raw; msmtp's later
    # releases (and their test-header-handling) encode it, as ours does.
    for client in clients(ours) if locale == "C" else [ours]:
        rc, err = send(client, d, ["--set-from-header=on", "--from",
                                   "test@example.com", *extra,
                                   "recipient@example.com"], FROMLESS, env)
        assert rc == 0, (client, err)
        _, mail = split_received(d.out("mail"))
        froms = [line for line in mail.split(b"\n")
                 if line.lower().startswith(b"from:")]
        assert froms == [want], (client, mail)
        assert d.out("from") == b"test@example.com\n"
        assert d.out("rcpt") == b"recipient@example.com\n"


# ---------------------------------------------------------------------------
# Envelope from the headers: RFC 5322 address lists at their strangest.

HEADERS = (
    b'From: "Sender, The" <sender@example.org> (who sends)\n'
    b"To: plain1@example.net,\n"
    b'\t"Last, First" <quoted-comma@example.net>, Folded\n'
    b"\tName <folded@example.net>\n"
    b'Cc: "Say \\"hi\\"; ok" <escaped@example.net>, localonly\n'
    b"To: undisclosed:;\n"
    b"To: friends: a@example.com, B Person <b@example.com>;,\n"
    b"  after-group@example.net\n"
    b"Cc: (comment first) commented(inner \\) paren)@example.net"
    b"(trailing), <angle@example.net>\n"
    b'Cc: "Group: Not" <colon-in-quotes@example.net>\n'
    b"Cc: Team (the team) : m1@example.com,\n"
    b"     Member Two <m2@example.com> (second); (done)\n"
    b"Bcc: (nobody) Nobody At All : (none at all) ;\n"
    b"Bcc: secret@example.net\n"
    b"Subject: address lists\n"
    b"X-Note: To: not-a-recipient@example.net\n"
)
ENVELOPE_BODY = b"\nTo: not-a-header@example.net\nthe body\n"

WANT_RCPTS = [
    "plain1@example.net", "quoted-comma@example.net", "folded@example.net",
    "escaped@example.net", "localonly", "a@example.com", "b@example.com",
    "after-group@example.net", "commented@example.net",
    "angle@example.net", "colon-in-quotes@example.net", "m1@example.com",
    "m2@example.com", "secret@example.net",
]


def check_date(value):
    when = email.utils.parsedate_to_datetime(value.decode())
    assert when.tzinfo is not None, value
    assert abs(time.time() - when.timestamp()) < 300, value


def test_read_envelope_from_and_recipients(ours, confdir, msmtpd):
    d = msmtpd(f"--command={DUMP}")
    mail_in = HEADERS + ENVELOPE_BODY
    got = {}
    for client in clients(ours):
        rc, err = send(client, d, ["--read-envelope-from",
                                   "--read-recipients"], mail_in,
                       confdir.env())
        assert rc == 0, (client, err)
        assert d.out("from") == b"sender@example.org\n", client
        assert d.out("rcpt").decode().split() == WANT_RCPTS, client
        _, mail = split_received(d.out("mail"))
        fields = headers(mail)
        names = [n.lower() for n, _ in fields]
        # Bcc is gone, every other line is as it was; Date and Message-ID
        # were added (once each).
        assert b"bcc" not in names and b"Bcc" not in mail, client
        assert drop_fields(mail, {b"date", b"message-id"}) == \
            drop_fields(mail_in, {b"bcc"}), client
        assert names.count(b"date") == 1 and names.count(b"message-id") == 1
        check_date(dict((n.lower(), v) for n, v in fields)[b"date"])
        msgid = dict((n.lower(), v) for n, v in fields)[b"message-id"]
        assert re.fullmatch(rb"<[!-=?-~]+@example\.org>", msgid), msgid
        got[client] = normalize(mail)
    assert len(set(got.values())) == 1, got     # ours == Debian's


def test_read_recipients_with_command_line_ones(ours, confdir, msmtpd):
    """-t adds the command line's recipients to the headers' ones (msmtp
    1.8 adds, it does not subtract), and an empty Bcc group alone adds
    nothing."""
    d = msmtpd(f"--command={DUMP}")
    mail_in = (b"From: a@example.org\nTo: to@example.net\n"
               b"Bcc: Nobody:;\nSubject: t\n\nx\n")
    for client in clients(ours):
        rc, err = send(client, d, ["-f", "a@example.org", "-t",
                                   "extra@example.net"], mail_in,
                       confdir.env())
        assert rc == 0, (client, err)
        assert d.out("rcpt") == b"extra@example.net to@example.net\n", \
            client
        assert b"Bcc" not in d.out("mail")


# ---------------------------------------------------------------------------
# The client's addresses never run as shell code.

# printf, not echo: dash's echo reads backslashes.
LITERAL = ("cat > out-mail.txt; printf '%s\\n' %F > out-from.txt; "
           "printf '%s\\n' > out-rcpt.txt")
LITERAL_DQ = ("cat > out-mail.txt; printf '%s\\n' \"from=%F\" > out-from.txt;"
              " printf '%s\\n' > out-rcpt.txt")
NESTED = ("cat > out-mail.txt; sh -c 'printf \"%s\\n\" %F > out-from.txt';"
          " printf '%s\\n' > out-rcpt.txt")

# Addresses msmtpd takes (RFC 5321 Mailboxes) that a shell would run.
TAKEN = [
    "`touch${IFS}pwned`@example.net",
    "${IFS}x$PWD{touch}pwned@example.net",
    "a|touch${IFS}pwned@example.net",
    "a&touch${IFS}pwned&@example.net",
    "'$PWD'@example.net",
    '"$(touch pwned); `touch pwned` | x"@example.net',
    '"a\\"; touch pwned; \\"b"@example.net',
    '"it\'s; touch pwned"@example.net',
    "*@example.net",
    "~root@example.net",
]
# And ones msmtpd refuses: syntax no Mailbox has.
REFUSED = [
    "$(touch pwned)@example.net",
    "a;touch pwned@example.net",
    "a b@example.net",
    "a@example.net;touch pwned",
    "a@$(touch pwned)",
    "-oQ/tmp/x@example.net",
    "a@[x;touch pwned]",
]


class Smtp:
    """A raw SMTP client: what no well-behaved client would send."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.f = self.s.makefile("rb")
        self.reply()

    def reply(self):
        out = b""
        while True:
            line = self.f.readline()
            assert line, out
            out += line
            if line[3:4] != b"-":
                return out

    def cmd(self, line):
        self.s.sendall(line + b"\r\n")
        return self.reply()

    def close(self):
        self.cmd(b"QUIT")
        self.f.close()
        self.s.close()


def smtp_send(port, sender, rcpts):
    """One transaction; the replies to MAIL, each RCPT and the end (the
    final dot's, or DATA's when that refuses)."""
    c = Smtp(port)
    c.cmd(b"EHLO client.test")
    replies = [c.cmd(b"MAIL FROM:<" + sender.encode() + b">")]
    for r in rcpts:
        replies.append(c.cmd(b"RCPT TO:<" + r.encode() + b">"))
    if replies[0].startswith(b"250") and \
            any(r.startswith(b"250") for r in replies[1:]):
        d = c.cmd(b"DATA")
        replies.append(d if not d.startswith(b"354") else
                       c.cmd(b"Subject: s\r\n\r\nbody\r\n."))
    c.close()
    return replies


@pytest.mark.parametrize("command", [LITERAL, LITERAL_DQ, DUMP],
                         ids=["unquoted", "dquoted", "echo"])
def test_hostile_addresses_reach_the_command_literally(msmtpd, command):
    d = msmtpd(f"--command={command}")
    for i, addr in enumerate(TAKEN):
        other = TAKEN[(i + 1) % len(TAKEN)]
        replies = smtp_send(d.port, addr, [addr, other])
        assert [r[:3] for r in replies] == [b"250"] * 4, replies
        if command == DUMP:
            continue            # echo: only that nothing ran
        want_from = addr if command == LITERAL else f"from={addr}"
        assert d.out("from") == want_from.encode() + b"\n"
        assert d.out("rcpt") == f"{addr}\n{other}\n".encode()
        assert d.out("mail").endswith(b"\nSubject: s\n\nbody\n")
    assert not (d.cwd / "pwned").exists()
    assert not list(d.cwd.parent.glob("**/pwned"))


def test_hostile_addresses_refused_at_mail_and_rcpt(msmtpd):
    d = msmtpd(f"--command={LITERAL}")
    for addr in REFUSED:
        c = Smtp(d.port)
        c.cmd(b"EHLO client.test")
        r = c.cmd(b"MAIL FROM:<" + addr.encode() + b">")
        assert r[:1] == b"5", (addr, r)
        assert c.cmd(b"MAIL FROM:<ok@example.org>").startswith(b"250")
        r = c.cmd(b"RCPT TO:<" + addr.encode() + b">")
        assert r[:1] == b"5", (addr, r)
        c.close()
    # A bare LF in the middle: two lines, neither an address taken.
    c = Smtp(d.port)
    c.cmd(b"EHLO client.test")
    c.s.sendall(b"MAIL FROM:<a\ntouch pwned>\r\n")
    assert c.reply()[:1] == b"5"
    c.s.sendall(b"MAIL FROM:<ok@example.org>\r\n")
    replies = [c.reply()]
    if not replies[0].startswith(b"250"):
        replies.append(c.reply())
    assert replies[-1].startswith(b"250"), replies
    c.s.sendall(b"RCPT TO:<b@x\n;touch pwned>\r\n")
    assert c.reply()[:1] == b"5"
    c.close()
    assert not list(d.cwd.glob("out-*")) and not (d.cwd / "pwned").exists()


def test_sender_where_only_an_inert_one_may_go(msmtpd):
    """%F inside single quotes (a script for a second shell): a plain
    sender is written there, any other is refused (554 5.1.7); the
    recipients still go as arguments."""
    d = msmtpd(f"--command={NESTED}")
    replies = smtp_send(d.port, "plain.one+tag@example.org",
                        [TAKEN[0], TAKEN[5]])
    assert [r[:3] for r in replies] == [b"250"] * 4, replies
    assert d.out("from") == b"plain.one+tag@example.org\n"
    assert d.out("rcpt") == f"{TAKEN[0]}\n{TAKEN[5]}\n".encode()
    d.clear()
    for addr in TAKEN + ["o'brien@example.org", ""]:
        replies = smtp_send(d.port, addr, ["r@example.net"])
        assert replies[-1].startswith(b"554 5.1.7 "), (addr, replies)
    assert not list(d.cwd.glob("out-*")) and not (d.cwd / "pwned").exists()
    assert "the pipe command takes it only as" in d.log_text()
