"""Differential tests of direct sending (msmtp's sendmail mode).

Every case runs Debian's msmtp and ours with the same config, arguments
and mail, each against a fresh RecordingServer with the same Script, and
asserts equal exit codes, stdout, stderr and equal normalized wire bytes
(everything the client sent: EHLO, MAIL, RCPT, DATA, the data, QUIT).
"""

import re

import pytest

from conftest import Script, normalize

RC = """\
# one account, the default
defaults
auth off
tls off

account default
host 127.0.0.1
port {port}
from alice@example.org
"""

RC_TWO = """\
defaults
host 127.0.0.1
port {port}
auth off
tls off

account default
from alice@example.org

account work
from worker@work.example
domain client.work.example
"""

BOB = "bob@example.net"
MAIL = b"From: Alice <alice@example.org>\nTo: bob@example.net\n" \
       b"Subject: test\n\nHello, Bob.\n"


def data_of(o, i=0):
    """The content of transaction i as the server saw it (unstuffed)."""
    assert len(o.transactions) > i, f"{o.name}: no transaction {i} recorded"
    return o.transactions[i][2]


# --------------------------------------------------------------------------
# The mail text: line ends, dots, 8 bits, long lines, odd shapes.

BODIES = {
    "simple": MAIL,
    "dot_stuffing": (
        b"Subject: dots\n\n"
        b".\n"                       # a line that is only "."
        b"..\n"
        b"...\n"
        b".leading dot\n"
        b"..two leading dots\n"
        b"middle . dot\n"
        b" .\n"
        b"after the lone dot\n"),
    "dot_stuffing_crlf": (
        b"Subject: dots\r\n\r\n.\r\n..\r\n.x\r\nend\r\n"),
    "last_line_is_dot": b"Subject: x\n\nbody\n.\n",
    "last_line_is_dot_no_newline": b"Subject: x\n\nbody\n.",
    "bare_lf": (
        b"From: alice@example.org\nTo: bob@example.net\nSubject: lf\n\n"
        b"line one\nline two\n\nline four\n"),
    "crlf": (
        b"From: alice@example.org\r\nTo: bob@example.net\r\n"
        b"Subject: crlf\r\n\r\nline one\r\nline two\r\n\r\nline four\r\n"),
    "mixed_line_ends": (
        b"Subject: mixed\r\nX-A: 1\n\r\nline1\r\nline2\nline3\r\n"
        b"\nline5\r\n"),
    "lone_cr": b"Subject: cr\n\nbefore\rafter\nend with cr\r\rnext\n",
    "no_final_newline": b"Subject: x\n\nno newline at the end",
    "no_final_newline_after_cr": b"Subject: x\n\nends with CR\r",
    "utf8_body": (
        "Subject: utf-8\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n\n"
        "Grüße aus Köln, 日本語, ✓ — “quotes”\n").encode("utf-8"),
    "utf8_header": "Subject: Grüße ✓\n\nbody\n".encode("utf-8"),
    "latin1_body": (
        b"Subject: latin-1\nContent-Type: text/plain; charset=iso-8859-1\n"
        b"Content-Transfer-Encoding: 8bit\n\n"
        + "Grüße, façade, naïve, ÿ\n".encode("latin-1")
        + bytes(range(0x80, 0x100)) + b"\n"),
    "long_line_5000": b"Subject: long\n\n" + b"x" * 5000 + b"\nshort\n",
    "long_line_998_999_1000": (
        b"Subject: edges\n\n" + b"a" * 998 + b"\n" + b"b" * 999 + b"\n"
        + b"c" * 1000 + b"\n"),
    "long_line_dotted": b"Subject: long\n\n." + b"y" * 4000 + b"\n",
    "long_header": b"Subject: " + b"s" * 3000 + b"\n\nbody\n",
    "no_headers": b"Just a body line\nsecond line\n",
    "starts_with_blank_line": b"\nbody after an empty header block\n",
    "empty": b"",
    "only_newline": b"\n",
    "headers_only": b"Subject: only headers\nTo: bob@example.net\n",
    "headers_only_no_newline": b"Subject: only headers",
    "headers_then_blank_line": b"Subject: headers and a blank line\n\n",
    "from_absent": b"To: bob@example.net\nSubject: no From\n\nbody\n",
    "from_present": (
        b"From: Someone Else <else@example.com>\nTo: bob@example.net\n"
        b"Subject: has From\n\nbody\n"),
    "from_lowercase": b"from: else@example.com\nSubject: x\n\nbody\n",
    "date_and_msgid_present": (
        b"From: alice@example.org\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"
        b"Message-ID: <fixed@example.org>\nSubject: x\n\nbody\n"),
    "folded_headers": (
        b"Subject: a folded\n  subject line\nX-Long: one\n\ttwo\n\nbody\n"),
    "mbox_from_line": (
        b"From alice@example.org Mon Jan  1 00:00:00 2024\n"
        b"Subject: x\n\nFrom here on\n>From quoted\n"),
    "many_blank_lines": b"Subject: x\n\n\n\n\nend\n\n\n",
}


@pytest.mark.parametrize("mail", BODIES.values(), ids=BODIES.keys())
def test_body(diff, mail):
    diff(config=RC, args=[BOB], mail=mail, expect_rc=0)


def test_existing_date_and_message_id_are_kept(diff):
    """Compared without normalization: the mail's own values must pass."""
    r, o = diff(config=RC, args=[BOB], mail=BODIES["date_and_msgid_present"],
                expect_rc=0, wire="raw")
    assert b"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n" in r.sessions[0]


def test_dot_stuffing_reaches_server_intact(diff):
    """Beyond equality: the server unstuffs to exactly the lines sent."""
    r, o = diff(config=RC, args=[BOB], mail=BODIES["dot_stuffing"],
                expect_rc=0)
    for x in (r, o):
        content = data_of(x)
        assert content.endswith(
            b"\r\n.\r\n..\r\n...\r\n.leading dot\r\n..two leading dots\r\n"
            b"middle . dot\r\n .\r\nafter the lone dot\r\n"), x.name
        raw = normalize(x.sessions[0])
        assert b"\r\n..\r\n...\r\n....\r\n..leading dot\r\n" in raw, x.name


def test_long_line_is_not_folded(diff):
    r, o = diff(config=RC, args=[BOB], mail=BODIES["long_line_5000"],
                expect_rc=0)
    for x in (r, o):
        assert b"\r\n" + b"x" * 5000 + b"\r\n" in data_of(x), x.name


def test_one_megabyte_body(diff):
    line = b"0123456789abcdefghijklmnopqrstuvwxyz" * 2 + b"\n"   # 73 bytes
    body = line * (1024 * 1024 // len(line) + 1)
    mail = b"From: alice@example.org\nSubject: big\n\n" + body
    assert len(mail) > 1024 * 1024
    r, o = diff(config=RC, args=[BOB], mail=mail, expect_rc=0)
    assert len(data_of(o)) > 1024 * 1024


def test_one_megabyte_crlf_with_dots(diff):
    body = (b".dot line\r\nplain line\r\n" * 45000)
    diff(config=RC, args=[BOB], mail=b"Subject: big\r\n\r\n" + body,
         expect_rc=0)


# --------------------------------------------------------------------------
# Recipients.

TCB = (b"From: Alice <alice@example.org>\n"
       b"To: Bob <bob@example.net>\n"
       b"Cc: carol@example.net, \"Dave D.\" <dave@example.net>\n"
       b"Bcc: eve@example.net\n"
       b"Subject: -t\n\nbody\n")


def test_read_recipients_to_cc_bcc(diff):
    r, o = diff(config=RC, args=["-t"], mail=TCB, expect_rc=0)
    for x in (r, o):
        mail_from, rcpts, content = x.transactions[0]
        assert rcpts == ["bob@example.net", "carol@example.net",
                         "dave@example.net", "eve@example.net"], x.name
        # No Bcc header (a random Message-ID may well contain "bcc").
        assert not re.search(rb"(?im)^bcc:", content), x.name
        assert b"eve@" not in content, x.name


def test_read_recipients_plus_command_line(diff):
    r, o = diff(config=RC, args=["-t", "extra@example.net"], mail=TCB,
                expect_rc=0)
    assert "extra@example.net" in r.transactions[0][1]


def test_read_recipients_duplicate_on_command_line(diff):
    diff(config=RC, args=["-t", "bob@example.net"], mail=TCB, expect_rc=0)


def test_read_recipients_after_double_dash(diff):
    diff(config=RC, args=["-t", "--", "extra@example.net"], mail=TCB,
         expect_rc=0)


def test_read_recipients_folded_and_named(diff):
    mail = (b"To: Bob <bob@example.net>,\n Carol <carol@example.net>\n"
            b"CC: \"Last, First\" <first.last@example.net>\n"
            b"BCC: hidden@example.net,\n\thidden2@example.net\n"
            b"Subject: folded\n\nbody\n")
    r, o = diff(config=RC, args=["-t"], mail=mail, expect_rc=0)
    assert b"hidden" not in data_of(r)


def test_read_recipients_only_bcc(diff):
    mail = b"Bcc: hidden@example.net\nSubject: only bcc\n\nbody\n"
    diff(config=RC, args=["-t"], mail=mail, expect_rc=0)


def test_read_recipients_ignores_body(diff):
    mail = b"To: bob@example.net\nSubject: x\n\nTo: notme@example.net\n"
    r, o = diff(config=RC, args=["-t"], mail=mail, expect_rc=0)
    assert r.transactions[0][1] == ["bob@example.net"]


def test_hundred_recipients(diff):
    rcpts = [f"user{i:03d}@example.net" for i in range(100)]
    r, o = diff(config=RC, args=rcpts, mail=MAIL, expect_rc=0)
    assert o.transactions[0][1] == rcpts


def test_recipient_starting_with_dash_after_double_dash(diff):
    r, o = diff(config=RC, args=["--", "-dash@example.net", BOB], mail=MAIL,
                expect_rc=0)
    assert r.transactions[0][1] == ["-dash@example.net", BOB]


def test_recipient_with_display_name_and_list(diff):
    diff(config=RC, args=["Bob Smith <bob@example.net>",
                          "carol@example.net, Dave <dave@example.net>"],
         mail=MAIL, expect_rc=0)


# --------------------------------------------------------------------------
# Envelope-from, From header and accounts.

def test_envelope_from_f(diff):
    r, o = diff(config=RC, args=["-f", "sender@example.com", BOB], mail=MAIL,
                expect_rc=0)
    assert r.transactions[0][0] == "sender@example.com"


def test_envelope_from_f_attached(diff):
    diff(config=RC, args=["-fsender@example.com", BOB], mail=MAIL,
         expect_rc=0)


def test_envelope_from_f_without_from_header(diff):
    diff(config=RC, args=["-f", "sender@example.com", BOB],
         mail=BODIES["from_absent"], expect_rc=0)


def test_envelope_from_long_option(diff):
    diff(config=RC, args=["--from=sender@example.com", BOB],
         mail=BODIES["from_absent"], expect_rc=0)


def test_envelope_from_empty_sender(diff):
    diff(config=RC, args=["-f", "<>", BOB], mail=MAIL, expect_rc=0)


def test_full_name_F_for_added_from(diff):
    diff(config=RC, args=["-F", "Alice Example", BOB],
         mail=BODIES["from_absent"], expect_rc=0)


def test_read_envelope_from(diff):
    mail = (b"From: Carol <carol@example.com>\nTo: bob@example.net\n"
            b"Subject: x\n\nbody\n")
    r, o = diff(config=RC, args=["--read-envelope-from", BOB], mail=mail,
                expect_rc=0)
    assert r.transactions[0][0] == "carol@example.com"


def test_no_added_headers(diff):
    diff(config=RC, args=["--set-from-header=off", "--set-date-header=off",
                          "--set-msgid-header=off", BOB],
         mail=b"Subject: bare\n\nbody\n", expect_rc=0)


@pytest.mark.parametrize("account", ["default", "work"])
def test_account_a(diff, account):
    r, o = diff(config=RC_TWO, args=["-a", account, BOB],
                mail=BODIES["from_absent"], expect_rc=0)
    want = "worker@work.example" if account == "work" \
        else "alice@example.org"
    assert r.transactions[0][0] == want


def test_account_long_option(diff):
    diff(config=RC_TWO, args=["--account=work", BOB], mail=MAIL, expect_rc=0)


def test_f_selects_account_by_from(diff):
    r, o = diff(config=RC_TWO, args=["-f", "worker@work.example", BOB],
                mail=BODIES["from_absent"], expect_rc=0)
    assert r.sessions[0].startswith(b"EHLO client.work.example\r\n")


def test_host_and_port_without_config(diff, confdir):
    # A decoy user config: --host means no config file is read at all.
    confdir.write("this_is_not_a_command\n", 0o600, confdir.home_rc)
    confdir.write("this_is_not_a_command\n", 0o600, confdir.xdg_rc)
    diff(args=["--host=127.0.0.1", "--port={port}",
               "--from=alice@example.org", BOB],
         mail=MAIL, expect_rc=0)


def test_user_config_in_home(diff):
    diff(config=RC, config_at="home", args=[BOB], mail=MAIL, expect_rc=0)


def test_user_config_in_xdg(diff):
    diff(config=RC, config_at="xdg", args=[BOB], mail=MAIL, expect_rc=0)


def test_domain(diff):
    r, o = diff(config=RC, args=["--domain=client.example.com", BOB],
                mail=BODIES["from_absent"], expect_rc=0)
    assert r.sessions[0].startswith(b"EHLO client.example.com\r\n")


def test_domain_in_config(diff):
    diff(config=RC + "domain mx.client.example\n", args=[BOB], mail=MAIL,
         expect_rc=0)


# --------------------------------------------------------------------------
# Protocol variants.

def test_lmtp(diff):
    r, o = diff(script=Script(lmtp=True),
                config=RC, args=["--protocol=lmtp", BOB, "carol@example.net"],
                mail=MAIL, expect_rc=0)
    assert r.sessions[0].startswith(b"LHLO ")


def test_lmtp_in_config(diff):
    diff(script=Script(lmtp=True), config=RC + "protocol lmtp\n",
         args=[BOB], mail=MAIL, expect_rc=0)


def test_helo_fallback(diff):
    r, o = diff(script=Script(no_ehlo=True), config=RC, args=[BOB],
                mail=MAIL, expect_rc=0)
    assert b"\r\nHELO localhost\r\n" in r.sessions[0]


# --------------------------------------------------------------------------
# Real callers.

CRON_MAIL = (b"From: root (Cron Daemon)\nTo: user@example.org\n"
             b"Subject: Cron <user@host> /usr/local/bin/job\n"
             b"MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n"
             b"Content-Transfer-Encoding: 8bit\n"
             b"X-Cron-Env: <SHELL=/bin/sh>\nX-Cron-Env: <HOME=/root>\n\n"
             + "job output: Grüße\n".encode())


def test_cron_invocation(diff):
    diff(config=RC,
         args=["-FCronDaemon", "-i", "-B8BITMIME", "-oem",
               "user@example.org"],
         mail=CRON_MAIL, expect_rc=0)


def test_cron_invocation_without_from(diff):
    mail = b"\n".join(l for l in CRON_MAIL.split(b"\n")
                      if not l.startswith(b"From:"))
    diff(config=RC,
         args=["-FCronDaemon", "-i", "-B8BITMIME", "-oem",
               "user@example.org"],
         mail=mail, expect_rc=0)


def test_mutt_invocation(diff):
    mail = (b"Date: Mon, 1 Jan 2024 10:00:00 +0100\n"
            b"From: Alice <alice@example.org>\nTo: bob@example.net\n"
            b"Subject: from mutt\nMessage-ID: <20240101.mutt@example.org>\n"
            b"MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n"
            b"Content-Disposition: inline\n\nHi.\n.\n-- \nAlice\n")
    # Mutt's mail has Date and Message-ID: compared raw.
    diff(config=RC,
         args=["-oem", "-oi", "-f", "alice@example.org", "--",
               "bob@example.net"],
         mail=mail, expect_rc=0, wire="raw")


def test_ignored_sendmail_options(diff):
    diff(config=RC,
         args=["-i", "-oi", "-odi", "-odb", "-oem", "-G", "-m", "-n",
               "-bm", "-A", "c", "-h", "10", "-L", "tag", "-O", "x=y",
               "-Bbinarymime", BOB],
         mail=MAIL, expect_rc=0)


# --------------------------------------------------------------------------
# Server extensions.

ESMTP = ["PIPELINING", "DSN", "SIZE 10000000"]


def test_pipelining_and_size(diff):
    r, o = diff(script=Script(extensions=ESMTP), config=RC,
                args=[BOB, "carol@example.net"], mail=MAIL, expect_rc=0)


def test_dsn_options(diff):
    r, o = diff(script=Script(extensions=ESMTP), config=RC,
                args=["-N", "failure,delay", "-R", "hdrs", BOB,
                      "carol@example.net"], mail=MAIL, expect_rc=0)
    assert b" NOTIFY=FAILURE,DELAY\r\n" in r.sessions[0]


def test_dsn_in_config(diff):
    diff(script=Script(extensions=ESMTP),
         config=RC + "dsn_notify never\ndsn_return full\n",
         args=["--dsn-notify=success", BOB], mail=MAIL, expect_rc=0)
