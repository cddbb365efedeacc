"""Differential tests of -P (--pretend) output and of the aliases file.

-P: the same configuration and arguments through Debian's msmtp 1.8.23
and ours; stdout (the info lines and the account block, msmtp.md 1.11,
1.8.23's key set), stderr and the exit code must be equal. -P never
connects, so these run without a server and with a fixed port in the
configuration (a per-run server port would differ in "port = ").

Aliases (msmtp.md 1.5): the recipients the server sees (RCPT TO, in
order), the data, stderr and the exit code must be equal, msmtp's quirk of
listing an expanded alias reversed included. The one deliberate
difference: msmtp does not look at the recipient right after an expanded
one; we expand every recipient (test_aliases_every_recipient).
"""

import pytest

from conftest import send

BOB = "bob@example.net"
MAIL = (b"From: Alice <alice@example.org>\nTo: bob@example.net\n"
        b"Subject: compat\n\nHello.\n")
MAIL_NO_FROM = b"To: bob@example.net\nSubject: compat\n\nHello.\n"
MAIL_CAROL = (b"From: Carol <carol@example.com>\nTo: bob@example.net\n"
              b"Subject: compat\n\nHello.\n")

RC = """\
account default
host 127.0.0.1
port 2525
from alice@example.org
"""

RC_INHERIT = """\
defaults
timeout 1
auth on
password secret
tls on
tls_trust_file /etc/ssl/certs/ca-certificates.crt
dsn_return headers
dsn_notify failure,delay
syslog on

account base
host mx.example
from base@example.org
logfile -

account default : base
timeout 30
auth plain
user bob
proxy_host proxy.example
tls_starttls off
set_from_header on
set_date_header off

account other : base
host other.example
port 587
from other@example.org
"""

RC_SELECT = """\
defaults
host 127.0.0.1
port 2525

account first
from shared@example.org

account second
from shared@example.org
domain second.example

account plus
from bob@plus.example

account wild
from *@wild.example

account default
from alice@example.org
"""

FPR_SHA256 = ("00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:"
              "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF")
FPR_SHA1 = "de:ad:be:ef:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"
FPR_MD5 = "00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff"


def pretend(diff, config=RC, args=(), mail=MAIL, expect_rc=0, **kw):
    """-P through both, no server; returns (ref, ours)."""
    return diff(config=config, args=["-P", *args], mail=mail,
                with_server=False, wire=None, expect_rc=expect_rc, **kw)


# --------------------------------------------------------------------------
# -P: configurations.

PRETEND_CONFIGS = {
    "default": RC,
    "minimal_host_only": "account default\nhost mx.example\n",
    "implicit_default_account": "host mx.example\nfrom a@example.org\n",
    "inheritance": RC_INHERIT,
    "tls_starttls": RC + "tls on\ntls_trust_file /tmp/ca.pem\n"
                         "tls_crl_file /tmp/crl.pem\n",
    "tls_smtps_port_465": RC.replace("port 2525\n", "") +
        "tls on\ntls_starttls off\n",
    "tls_fingerprint_sha256": RC + f"tls on\ntls_fingerprint {FPR_SHA256}\n",
    "tls_fingerprint_sha1": RC + f"tls on\ntls_fingerprint {FPR_SHA1}\n",
    "tls_fingerprint_md5": RC + f"tls on\ntls_fingerprint \"{FPR_MD5}\"\n",
    "tls_everything": RC + (
        "tls on\ntls_certcheck off\ntls_trust_file\n"
        "tls_key_file /tmp/k.pem\ntls_cert_file /tmp/c.pem\n"
        "tls_priorities NORMAL:-VERS-TLS1.0\ntls_host_override mx.example\n"
        "tls_min_dh_prime_bits 2048\n"),
    "auth_on": RC + "auth on\nuser alice\n",
    "auth_scram": RC + "auth scram-sha-256\nuser alice\npassword s3cret\n",
    "auth_off_passwordeval": RC + "auth off\npasswordeval \"echo pw\"\n",
    "auth_on_passwordeval": RC + "auth on\npasswordeval \"echo pw\"\n",
    "dsn": RC + "dsn_notify success,failure\ndsn_return full\n",
    "dsn_never": RC + "dsn_notify never\ndsn_return off\n",
    "logfile_tilde": RC + "logfile ~/msmtp.log\n"
                          "logfile_time_format %Y-%m-%d\n",
    "logfile_stdout_syslog": RC + "logfile -\nsyslog LOG_MAIL\n",
    "timeout_1": RC + "timeout 1\n",
    "timeout_off": RC + "timeout off\n",
    "proxy": RC + "proxy_host 127.0.0.2\n",
    "proxy_port": RC + "proxy_host 127.0.0.2\nproxy_port 9050\n",
    "socket": "account default\nsocket /run/smtp.sock\nfrom a@example.org\n",
    "source_ip": RC + "source_ip 127.0.0.1\n",
    "lmtp": RC + "protocol lmtp\n",
    "domain_empty": RC + "domain \"\"\n",
    "domain_set": RC + "domain client.example.org\n",
    "headers_off": RC + ("set_from_header off\nset_date_header off\n"
                         "remove_bcc_headers off\nallow_from_override off\n"),
    "set_from_header_on": RC + "set_from_header on\n",
    "undisclosed": RC + "undisclosed_recipients on\n",
    "old_names": RC + ("keepbcc on\nadd_missing_from_header off\n"
                       "add_missing_date_header off\ntls_nocertcheck\n"
                       "connect_timeout 5\n"),
    "auto_from": "account default\nhost h\nauto_from on\n"
                 "maildomain example.org\n",
    "auto_from_no_domain": "account default\nhost h\nauto_from on\n",
    "from_pattern_user": "account default\nhost h\nfrom %U@example.org\n",
    "from_empty": "account default\nhost h\nfrom \"\"\n",
    "maildomain_empty": RC + "maildomain \"\"\n",
    "aliases_set": RC + "aliases ~/aliases\n",
    "ntlmdomain": RC + "ntlmdomain WORKGROUP\n",
    "no_from": "account default\nhost h\n",
}


@pytest.mark.parametrize("config", PRETEND_CONFIGS.values(),
                         ids=PRETEND_CONFIGS.keys())
def test_pretend_config(diff, config):
    r, o = pretend(diff, config=config, args=[BOB])
    assert b"\nreading recipients from the command line\n" in r.stdout


def test_pretend_user_config_in_home(diff):
    r, o = pretend(diff, config_at="home", args=[BOB])
    assert b"\nloaded user configuration file /" in r.stdout


def test_pretend_user_config_in_xdg(diff):
    pretend(diff, config_at="xdg", args=[BOB])


# --------------------------------------------------------------------------
# -P: how the account was chosen.

SELECTIONS = {
    "a_default": ["-a", "default"],
    "a_other": ["-a", "other"],
    "a_inherits": ["--account=base"],
}


@pytest.mark.parametrize("args", SELECTIONS.values(), ids=SELECTIONS.keys())
def test_pretend_account_option(diff, args):
    r, o = pretend(diff, config=RC_INHERIT, args=[*args, BOB])
    assert b"falling back" not in r.stdout


FROM_SELECTIONS = {
    "first_of_two": "shared@example.org",
    "case_insensitive": "SHARED@Example.ORG",
    "plus_detail": "bob+lists@plus.example",
    "wildcard": "anyone@wild.example",
    "no_match_falls_back": "nobody@nowhere.example",
}


@pytest.mark.parametrize("addr", FROM_SELECTIONS.values(),
                         ids=FROM_SELECTIONS.keys())
def test_pretend_f_selects(diff, addr):
    r, o = pretend(diff, config=RC_SELECT, args=["-f", addr, BOB])
    assert (b"account chosen by envelope from address" in r.stdout
            or b"falling back to default account" in r.stdout)


def test_pretend_f_with_a(diff):
    """-a wins over -f; -f still overrides from."""
    pretend(diff, config=RC_SELECT, args=["-a", "wild", "-f", "x@y.example",
                                          BOB])


def test_pretend_allow_from_override_off(diff):
    pretend(diff, config=RC + "allow_from_override off\n",
            args=["-f", "other@example.org", BOB])


def test_pretend_read_envelope_from(diff):
    r, o = pretend(diff, config=RC_SELECT,
                   args=["--read-envelope-from", BOB], mail=MAIL_CAROL)
    assert r.stdout.startswith(
        b"envelope from address extracted from mail: carol@example.com\n")


def test_pretend_read_envelope_from_selects(diff):
    mail = MAIL_CAROL.replace(b"carol@example.com", b"shared@example.org")
    pretend(diff, config=RC_SELECT, args=["--read-envelope-from", BOB],
            mail=mail)


def test_pretend_read_envelope_from_without_from(diff):
    """1.8.23 prints "(null)" and "from = (read from mail)"."""
    r, o = pretend(diff, args=["--read-envelope-from", BOB],
                   mail=MAIL_NO_FROM)
    assert b"from = (read from mail)\n" in r.stdout


def test_pretend_host(diff, confdir):
    confdir.write("this_is_not_a_command\n", 0o600, confdir.home_rc)
    r, o = pretend(diff, config=None, args=["--host=mx.example", BOB])
    assert r.stdout.startswith(b"using account specified on command line\n")


def test_pretend_host_with_options(diff):
    pretend(diff, config=None,
            args=["--host=mx.example", "--port=587", "-f", "a@b.example",
                  "--tls", "--tls-starttls=off", "--auth=login",
                  "--user=u", "--timeout=1", BOB])


def test_pretend_env_email_smtpserver(diff):
    r, o = pretend(diff, config=None, args=[BOB],
                   env={"EMAIL": "e@mail.example",
                        "SMTPSERVER": "smtp.example"})
    assert b"using environment variables EMAIL and SMTPSERVER\n" in r.stdout


def test_pretend_env_with_f(diff):
    pretend(diff, config=None, args=["-f", "f@example.org", BOB],
            env={"EMAIL": "e@mail.example", "SMTPSERVER": "smtp.example"})


def test_pretend_env_ignored_with_default_account(diff):
    pretend(diff, args=[BOB], env={"EMAIL": "e@mail.example",
                                   "SMTPSERVER": "smtp.example"})


# --------------------------------------------------------------------------
# -P: modes and the last line.

def test_pretend_read_recipients(diff):
    r, o = pretend(diff, args=["-t"])
    assert r.stdout.endswith(
        b"reading recipients from the command line and the mail\n")


def test_pretend_without_recipients(diff):
    """-P does not need recipients."""
    pretend(diff, args=[])


def test_pretend_serverinfo(diff):
    r, o = pretend(diff, args=["--serverinfo"])
    assert b"auto_from" not in r.stdout


def test_pretend_rmqs(diff):
    r, o = pretend(diff, args=["--rmqs=@example.org"])
    assert r.stdout.endswith(b"RMQS argument = @example.org\n")


COMMAND_LINE = {
    "timeout": ["--timeout=1"],
    "auth_login": ["--auth=login", "--user=u"],
    "dsn": ["-N", "failure,delay", "-R", "hdrs"],
    "dsn_long": ["--dsn-notify=never", "--dsn-return=full"],
    "syslog": ["--syslog"],
    "syslog_facility": ["--syslog=LOG_LOCAL3"],
    "logfile": ["-X", "-", "--logfile-time-format=%H"],
    "proxy": ["--proxy-host=p.example", "--proxy-port=99"],
    "domain_empty": ["--domain="],
    "from_empty": ["--from="],
    "tls": ["--tls", "--tls-trust-file=", "--tls-certcheck=off"],
    "fingerprint": ["--tls", "--tls-fingerprint=" + FPR_SHA1],
    "protocol": ["--protocol=lmtp", "--port=24"],
    "set_headers": ["--set-from-header=on", "--set-date-header=off",
                    "--remove-bcc-headers=off"],
    "undisclosed": ["--undisclosed-recipients"],
    "aliases": ["--aliases=/nonexistent/aliases"],
    "full_name_F": ["-F", "Alice Example"],
    "maildomain_empty": ["--maildomain="],
}


@pytest.mark.parametrize("args", COMMAND_LINE.values(),
                         ids=COMMAND_LINE.keys())
def test_pretend_command_line(diff, args):
    pretend(diff, args=[*args, BOB])


# --------------------------------------------------------------------------
# -P: errors keep what was printed before them.

PRETEND_ERRORS = {
    "host_not_set": ("account default\nport 25\nfrom a@b\n", [], 78),
    "port_not_set_lmtp": ("account default\nhost h\nprotocol lmtp\n", [], 78),
    "account_not_found": ("account other\nhost h\n", [], 78),
    "a_not_found": (RC, ["-a", "nope"], 78),
    "syntax_error": ("account default\nhost h\nbogus x\n", [], 78),
    "tls_crl_needs_trust": (RC + "tls on\ntls_trust_file\n"
                            "tls_fingerprint " + FPR_SHA1 + "\n"
                            "tls_crl_file /tmp/crl\n", [], 78),
    "passwordeval_no_output": (RC + "auth on\npasswordeval true\n", [], 78),
}


@pytest.mark.parametrize("config,args,rc", PRETEND_ERRORS.values(),
                         ids=PRETEND_ERRORS.keys())
def test_pretend_error(diff, config, args, rc):
    pretend(diff, config=config, args=[*args, BOB], expect_rc=rc)


def test_pretend_missing_conffile(diff, confdir):
    pretend(diff, config=None,
            args=["-C", str(confdir.root / "nonexistent"), BOB],
            expect_rc=74)


def test_pretend_bad_aliases_file(diff, confdir):
    """The whole block is printed, then the aliases error."""
    aliases = confdir.root / "aliases"
    aliases.write_text("no colon here\n")
    r, o = pretend(diff, config=RC + f"aliases {aliases}\n",
                   args=["root"], expect_rc=78)
    assert r.stdout.endswith(b"reading recipients from the command line\n")


# --------------------------------------------------------------------------
# Aliases: what the server sees.

RC_ALIASES = """\
account default
host 127.0.0.1
port {port}
from alice@example.org
aliases {aliases}
"""

ALIASES = {
    "simple": ("cron: mark@x.org\n", ["cron"], 0),
    "list_reversed": ("root: joe@x.org, jane@x.org, jim@x.org\n",
                      ["root"], 0),
    "mixed_with_addresses": ("root: joe@x.org, jane@x.org\n"
                             "cron: mark@x.org\n",
                             ["root", "bob@y.org", "cron", "other"], 0),
    "unknown_kept": ("root: r@x.org\n", ["nobody"], 0),
    "addresses_only_file_unread": ("this is not an aliases file\n",
                                   ["bob@y.org"], 0),
    "default": ("root: joe@x.org\ndefault: admin@x.org\n", ["other"], 0),
    "default_not_for_known": ("root: joe@x.org\ndefault: admin@x.org\n",
                              ["root"], 0),
    "default_nested": ("root: joe\ndefault: admin@x.org\n", ["root"], 0),
    "recursive": ("root: joe\njoe: joe@x.org, jo@x.org\n", ["root"], 0),
    "recursive_order": ("root: e@x.org, a, b@x.org\na: c@x.org, d@x.org\n",
                        ["root"], 0),
    "depth_17_ok": ("".join(f"a{i}: a{i + 1}\n" for i in range(1, 17))
                    + "a17: final@x.org\n", ["a1"], 0),
    "comments_blank_crlf": ("# aliases\r\n\r\nroot: r@x.org  # admin\r\n"
                            "  \r\nuser :\tu@x.org\t\r\n", ["user"], 0),
    "case_sensitive": ("Root: r@x.org\n", ["root"], 0),
    "empty_item": ("a: x@y.org, , z@w.org\n", ["a"], 0),
    "loop": ("a: b\nb: a\n", ["a"], 78),
    "self_loop": ("a: a\n", ["a"], 78),
    "default_loop": ("default: foo\n", ["x"], 78),
    "depth_18_fails": ("".join(f"a{i}: a{i + 1}\n" for i in range(1, 18))
                       + "a18: final@x.org\n", ["a1"], 78),
    "duplicate": ("a: x@y.org\na: z@w.org\n", ["a"], 78),
    "invalid_alias": ("a@b: x@y.org\n", ["a"], 78),
    "two_colons": ("a: x@y.org: z\n", ["a"], 78),
    "no_continuation_lines": ("a: x@y.org,\n  z@w.org\n", ["a"], 78),
    "line_too_long": ("a: " + "x" * 600 + "@y.org\n", ["a"], 78),
}


@pytest.mark.parametrize("text,args,rc", ALIASES.values(),
                         ids=ALIASES.keys())
def test_aliases(diff, confdir, text, args, rc):
    aliases = confdir.root / "aliases"
    aliases.write_bytes(text.encode())
    config = RC_ALIASES.replace("{aliases}", str(aliases))
    r, o = diff(config=config, args=args, mail=MAIL, expect_rc=rc)
    if rc == 0:
        assert r.transactions[0][1] == o.transactions[0][1]
    else:
        assert not r.sessions or not r.transactions


@pytest.mark.differs
@pytest.mark.parametrize("text,args,ref_rcpts,our_rcpts", [
    ("root: r@x.org\nuser: u@x.org\n", ["user", "root"],
     ["u@x.org", "root"], ["u@x.org", "r@x.org"]),
    ("root: r@x.org\nuser: u@x.org\nthird: t@x.org\n",
     ["third", "user", "root"],
     ["t@x.org", "user", "r@x.org"], ["t@x.org", "u@x.org", "r@x.org"]),
], ids=["skips_next_recipient", "every_other"])
def test_aliases_every_recipient(ref, ours, confdir, text, args, ref_rcpts,
                                 our_rcpts):
    """Deliberate difference: msmtp does not look at the recipient right
    after an expanded alias (it goes out unexpanded, e.g. to a bare
    'root'); we expand every recipient."""
    aliases = confdir.root / "aliases"
    aliases.write_bytes(text.encode())
    config = RC_ALIASES.replace("{aliases}", str(aliases))
    r = send(ref, confdir, config=config, args=args, mail=MAIL)
    o = send(ours, confdir, config=config, args=args, mail=MAIL)
    assert r.rc == 0 and o.rc == 0, o.stderr
    assert r.transactions[0][1] == ref_rcpts
    assert o.transactions[0][1] == our_rcpts


def test_aliases_missing_file(diff, confdir):
    config = RC_ALIASES.replace("{aliases}",
                                str(confdir.root / "nonexistent"))
    diff(config=config, args=["root"], mail=MAIL, expect_rc=78)


def test_aliases_missing_file_not_needed(diff, confdir):
    """No local recipient: the file is never opened."""
    config = RC_ALIASES.replace("{aliases}",
                                str(confdir.root / "nonexistent"))
    diff(config=config, args=[BOB], mail=MAIL, expect_rc=0)


def test_aliases_directory(diff, confdir):
    config = RC_ALIASES.replace("{aliases}", str(confdir.root))
    diff(config=config, args=["root"], mail=MAIL, expect_rc=78)


def test_aliases_read_recipients(diff, confdir):
    """-t recipients are expanded too; the headers are left alone."""
    aliases = confdir.root / "aliases"
    aliases.write_text("root: r@x.org\n")
    config = RC_ALIASES.replace("{aliases}", str(aliases))
    mail = b"To: root, bob@x.org\nCc: root\nSubject: t\n\nbody\n"
    r, o = diff(config=config, args=["-t"], mail=mail, expect_rc=0)
    assert b"To: root, bob@x.org" in r.transactions[0][2]


def test_aliases_command_line_option(diff, confdir):
    aliases = confdir.root / "aliases"
    aliases.write_text("root: r@x.org\n")
    diff(config=RC_ALIASES.replace("aliases {aliases}\n", ""),
         args=[f"--aliases={aliases}", "root"], mail=MAIL, expect_rc=0)


def test_aliases_logged_after_expansion(diff, confdir):
    aliases = confdir.root / "aliases"
    aliases.write_text("root: joe@x.org, jane@x.org\n")
    log = confdir.root / "msmtp.log"
    config = RC_ALIASES.replace("{aliases}", str(aliases)) + (
        f"logfile {log}\nlogfile_time_format STAMP\n")
    mail = (b"From: alice@example.org\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"
            b"Message-ID: <fixed.1@example.org>\nSubject: x\n\nbody\n")
    r, o = diff(config=config, args=["root"], mail=mail, collect=[log],
                expect_rc=0, wire="raw")
    assert b"recipients=jane@x.org,joe@x.org " in r.files[str(log)]
