"""Real callers of /usr/sbin/sendmail, with their exact invocations.

Every case goes through Debian's msmtp 1.8.23 (``ref``) and through ours
(``ours``, with conftest's ours_extra_args, i.e. --queue=off), each
against a fresh RecordingServer with the same Script, and asserts the
same exit code, the same envelope (MAIL FROM, RCPT TO and their ESMTP
parameters) and the same DATA bytes, Date/Message-ID values aside.

Two kinds of case:

* Programs that are installed here (tests/deps.sh: mutt, git-email) are
  run for real. They are pointed at a wrapper script in the test's tmp
  dir that logs the argv it got and the mail on its stdin, then runs the
  msmtp under test with ``-C <config>`` and those arguments. The program
  generates its own Date, Message-ID (and MIME boundaries), which differ
  between the two runs, so the server-side transcripts are compared with
  those values normalized; the argv is checked against the documented
  invocation; and the mail the program wrote (ref's run) is replayed
  through both binaries with the same argv for an exact comparison.

* Programs that cannot be run here get their exact argv and the exact
  bytes they write on the sendmail pipe, through conftest's ``diff``:
  Debian's cron and cronie are daemons that only mail at a minute
  boundary as root, and bsd-mailx (mail(1)) depends on
  ``default-mta | mail-transport-agent``, which would install exim4 as
  the system MTA (it takes /usr/sbin/sendmail). Their argv and mail text
  are given below with where they come from.

Nothing here talks to anything but 127.0.0.1, and nothing resolves names:
every address is an IP literal or an example domain that no one looks up.
"""

import dataclasses
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import (RUN_TIMEOUT, Binary, RecordingServer, Script,
                      compare, normalize, send)

RC = """\
defaults
auth off
tls off

account default
host 127.0.0.1
port {port}
from alice@example.org
"""

ALICE = "alice@example.org"
BOB = "bob@example.net"
CAROL = "carol@example.net"


# Each successful case runs twice: ours in msmtp's direct mode
# (--queue=off, conftest's ours_extra_args) and ours as installed, with
# its default queue (spooled in $XDG_STATE_HOME inside the test's HOME,
# then delivered at once): what a caller gets when /usr/sbin/sendmail
# points at this project unconfigured. Failures are compared in direct
# mode only (with the queue, a temporary failure deliberately exits 0).

@pytest.fixture(params=["direct", "queued"])
def mode(request):
    return request.param


@pytest.fixture
def ours_as(ours, mode, confdir):
    if mode == "direct" or not ours.extra_args:
        yield ours
        return
    yield Binary("ours-queued", ours.path, ())
    spool = confdir.home / ".local" / "state" / "msmtp" / "queue.db"
    assert spool.exists(), f"queued mode, but no spool at {spool}"


@pytest.fixture
def mdiff(ref, ours_as, confdir):
    """conftest's diff(), against ours in the current mode."""
    def both(*, expect_rc=None, wire="exact", stderr=True, **kw):
        r = send(ref, confdir, **kw)
        if expect_rc is not None:
            assert r.rc == expect_rc, (
                f"test premise: reference msmtp exited {r.rc}, expected "
                f"{expect_rc}\nstderr: {r.stderr!r}")
        o = send(ours_as, confdir, **kw)
        compare(r, o, wire=wire, stderr=stderr)
        return r, o
    return both


# --------------------------------------------------------------------------
# Debian cron (cron 3.0pl1, Debian's patches): popen()s
#   /usr/sbin/sendmail -FCronDaemon -i -B8BITMIME -oem MAILTO
# (MAILARGS in config.h) and writes the header block below (do_command.c:
# From is always "root (Cron Daemon)", the MIME headers come from the
# locale, X-Cron-Env one per variable of the job's environment).
# Simulated: cron only mails from a running daemon at a minute boundary.

CRON_ARGS = ["-FCronDaemon", "-i", "-B8BITMIME", "-oem"]


def cron_mail(mailto, output):
    return (b"From: root (Cron Daemon)\n"
            b"To: " + mailto.encode() + b"\n"
            b"Subject: Cron <user@host> /usr/local/bin/backup --quiet\n"
            b"MIME-Version: 1.0\n"
            b"Content-Type: text/plain; charset=UTF-8\n"
            b"Content-Transfer-Encoding: 8bit\n"
            b"X-Cron-Env: <SHELL=/bin/sh>\n"
            b"X-Cron-Env: <HOME=/home/user>\n"
            b"X-Cron-Env: <PATH=/usr/bin:/bin>\n"
            b"X-Cron-Env: <LOGNAME=user>\n\n" + output)


CRON_OUTPUT = ("backup: 3 files, 12 kB\n.\n..\nGrüße — ✓\n"
               "error: disk almost full\n").encode()


@pytest.mark.parametrize("mailto", ["user@example.org", "user"],
                         ids=["qualified", "local_user"])
def test_debian_cron(mdiff, mailto):
    """The documented argv; MAILTO unset gives the bare user name, which
    both send as RCPT TO:<user>."""
    r, o = mdiff(config=RC, args=[*CRON_ARGS, mailto],
                mail=cron_mail(mailto, CRON_OUTPUT), expect_rc=0)
    assert r.transactions[0][:2] == (ALICE, [mailto])


def test_debian_cron_no_newline_at_end(mdiff):
    mdiff(config=RC, args=[*CRON_ARGS, "user@example.org"],
         mail=cron_mail("user@example.org", b"partial line"), expect_rc=0)


@pytest.mark.parametrize("script,rc", [
    (Script(replies={"RCPT": "550 5.1.1 no such user"}), 65),
    (Script(replies={"RCPT": "451 4.3.0 try later"}), 69),
    (Script(greeting="421 4.3.2 busy"), 76),
], ids=["rcpt_550", "rcpt_451", "greeting_421"])
def test_debian_cron_refused(diff, script, rc):
    """cron logs the mailer's exit status: it must be msmtp's."""
    diff(script=script, config=RC, args=[*CRON_ARGS, "user@example.org"],
         mail=cron_mail("user@example.org", CRON_OUTPUT), expect_rc=rc,
         wire="lenient")


# --------------------------------------------------------------------------
# cronie (Fedora, Arch, ...): popen()s MAILFMT,
#   "%s -FCronDaemon -i -odi -oem -oi -t"          (cronie <= 1.4.x)
#   "%s -FCronDaemon -i -odi -oem -oi -t -f %s"    (later: -f MAILFROM or
#                                                   root)
# with recipients from the To: header, which is MAILTO verbatim (commas
# allowed). Header block as do_command.c writes it. Simulated (a daemon).

CRONIE_ARGS = ["-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t"]


def cronie_mail(mailto, mailfrom="root"):
    return (b"From: \"(Cron Daemon)\" <" + mailfrom.encode() + b">\n"
            b"To: " + mailto.encode() + b"\n"
            b"Subject: Cron <user@host> run-parts /etc/cron.hourly\n"
            b"Content-Type: text/plain; charset=UTF-8\n"
            b"Auto-Submitted: auto-generated\n"
            b"Precedence: bulk\n"
            b"X-Cron-Env: <XDG_SESSION_ID=42>\n"
            b"X-Cron-Env: <LANG=en_US.UTF-8>\n"
            b"X-Cron-Env: <SHELL=/bin/sh>\n"
            b"X-Cron-Env: <HOME=/home/user>\n"
            b"X-Cron-Env: <LOGNAME=user>\n"
            b"X-Cron-Env: <USER=user>\n\n"
            b"/etc/cron.hourly/0anacron:\n\nanacron: ok\n")


CRONIE = {
    "old": (CRONIE_ARGS, "user@example.org", "root"),
    "with_f_root": ([*CRONIE_ARGS, "-f", "root"], "user@example.org",
                    "root"),
    "with_mailfrom": ([*CRONIE_ARGS, "-f", "cron@example.org"],
                      "user@example.org", "cron@example.org"),
    "mailto_list": ([*CRONIE_ARGS, "-f", "root"],
                    "user@example.org,ops@example.org", "root"),
}


@pytest.mark.parametrize("args,mailto,mailfrom", CRONIE.values(),
                         ids=CRONIE.keys())
def test_cronie(mdiff, args, mailto, mailfrom):
    r, o = mdiff(config=RC, args=args, mail=cronie_mail(mailto, mailfrom),
                expect_rc=0)
    assert r.transactions[0][1] == mailto.split(",")


def test_cronie_refused(diff):
    diff(script=Script(replies={"MAIL": "550 5.7.1 sender rejected"}),
         config=RC, args=[*CRONIE_ARGS, "-f", "root"],
         mail=cronie_mail("user@example.org"), expect_rc=65, wire="lenient")


# --------------------------------------------------------------------------
# mail(1) from bsd-mailx 8.1.2-0.20220412cvs-1 (Debian 12). The argv and
# the text below were captured from the real program (extracted from its
# .deb, run with `set sendmail=<logging script>` in $MAILRC and LC_ALL=C):
#   echo 'hello body' | mail -s subj bob@example.net carol@example.net
#     -> sendmail -i -t
#   ... | mail -r alice@example.org -s subj -c cc@example.net \
#             -b bcc@example.net -- bob@example.net
#     -> sendmail -i -t -f alice@example.org
#   ... | mail -v -s subj bob@example.net   -> sendmail -i -t -v
# Simulated, because bsd-mailx depends on default-mta |
# mail-transport-agent and installing it installs exim4 as the system MTA.

MAILX_MIME = (b"MIME-Version: 1.0\n"
              b"Content-Type: text/plain; charset=\"ANSI_X3.4-1968\"\n"
              b"Content-Transfer-Encoding: 8bit\n\n")

MAILX = {
    "to_two": (["-i", "-t"],
               b"To: bob@example.net, carol@example.net\nSubject: subj\n"
               + MAILX_MIME + b"hello body\n",
               "alice@example.org", [BOB, CAROL]),
    "r_cc_bcc": (["-i", "-t", "-f", "alice@example.org"],
                 b"From: alice@example.org\nTo: bob@example.net\n"
                 b"Subject: subj\nCc: cc@example.net\nBcc: bcc@example.net\n"
                 + MAILX_MIME + b"hello body\n.\nlast line\n",
                 "alice@example.org",
                 [BOB, "cc@example.net", "bcc@example.net"]),
    "r_other_sender": (["-i", "-t", "-f", "other@example.com"],
                       b"From: other@example.com\nTo: bob@example.net\n"
                       b"Subject: subj\n" + MAILX_MIME + b"hello body\n",
                       "other@example.com", [BOB]),
}


@pytest.mark.parametrize("args,mail,mail_from,rcpts", MAILX.values(),
                         ids=MAILX.keys())
def test_bsd_mailx(mdiff, args, mail, mail_from, rcpts):
    r, o = mdiff(config=RC, args=args, mail=mail, expect_rc=0)
    assert r.transactions[0][:2] == (mail_from, rcpts)
    assert b"bcc@" not in r.transactions[0][2]


def test_bsd_mailx_refused(diff):
    diff(script=Script(replies={"RCPT": "550 5.1.1 no such user"}),
         config=RC, args=["-i", "-t"], mail=MAILX["to_two"][1],
         expect_rc=65, wire="lenient")


# --------------------------------------------------------------------------
# Real programs through a wrapper.

WRAPPER = """\
#!/bin/bash
# Stands in for /usr/sbin/sendmail: logs its argv and the mail, runs the
# msmtp under test with the test's config, logs and returns its status.
log={log}
n=0
while [ -e "$log/argv.$n" ]; do n=$((n + 1)); done
printf '%s\\0' "$@" > "$log/argv.$n"
cat > "$log/mail.$n"
(exec -a msmtp {binary} {extra} -C {config} "$@") < "$log/mail.$n"
rc=$?
echo "$rc" > "$log/rc.$n"
exit "$rc"
"""


@dataclasses.dataclass
class CallerRun:
    name: str
    rc: int                 # the caller's exit code
    stdout: bytes
    stderr: bytes
    argvs: list             # argv (without argv[0]) of each sendmail call
    mails: list             # what the caller wrote on each call's stdin
    msmtp_rcs: list         # msmtp's exit code on each call
    sessions: list          # raw bytes of each SMTP connection
    transactions: list      # (mail_from, rcpts, content) seen by server
    top: str = ""           # the per-binary directory (config, wrapper)
    port: int = 0

    @property
    def err(self):
        return (self.stderr.replace(self.top.encode(), b"TOP")
                .replace(b"port %d" % self.port, b"port PORT"))


def _q(s):
    return "'" + str(s).replace("'", "'\\''") + "'"


def run_caller(binary, confdir, make_argv, *, script=None, stdin=b"",
               env=None, cwd=None, timeout=RUN_TIMEOUT):
    """Run a real caller of sendmail, pointed at a wrapper around
    ``binary``. ``make_argv(wrapper_path)`` gives the caller's argv."""
    top = confdir.root / binary.name
    log = top / "log"
    log.mkdir(parents=True)
    srv = RecordingServer(script or Script())
    srv.__enter__()
    try:
        config = confdir.write(RC.replace("{port}", str(srv.port)), 0o600,
                               top / "msmtprc")
        wrapper = top / "sendmail"
        wrapper.write_text(WRAPPER.format(
            log=_q(log), binary=_q(binary.path), config=_q(config),
            extra=" ".join(_q(a) for a in binary.extra_args)))
        wrapper.chmod(0o755)
        try:
            proc = subprocess.run(
                make_argv(str(wrapper)), input=stdin, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, env=confdir.env(**(env or {})),
                cwd=cwd, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            pytest.fail(f"caller did not exit within {timeout}s (killed)\n"
                        f"stdout: {e.stdout!r}\nstderr: {e.stderr!r}",
                        pytrace=False)
        srv.wait_closed(10)
        sessions = [bytes(r.raw) for r in srv.sessions]
        transactions = [t for r in srv.sessions for t in r.transactions]
    finally:
        srv.stop()
    argvs, mails, rcs = [], [], []
    n = 0
    while (log / f"argv.{n}").exists():
        raw = (log / f"argv.{n}").read_bytes()
        argvs.append([a.decode() for a in raw.split(b"\0")[:-1]])
        mails.append((log / f"mail.{n}").read_bytes())
        rc_file = log / f"rc.{n}"
        rcs.append(int(rc_file.read_text()) if rc_file.exists() else None)
        n += 1
    return CallerRun(binary.name, proc.returncode, proc.stdout, proc.stderr,
                     argvs, mails, rcs, sessions, transactions, str(top),
                     srv.port)


_BOUNDARY = re.compile(rb'boundary="?([^";\r\n]+)"?', re.I)


def norm_generated(raw):
    """normalize() (Date, Message-ID) plus MIME boundaries, which the
    programs make up for every mail."""
    out = normalize(raw)
    for b in set(_BOUNDARY.findall(out)):
        out = out.replace(b, b"<BOUNDARY>")
    return out


def caller_report(r, o):
    parts = [f"caller exit: ref={r.rc} ours={o.rc}; "
             f"msmtp exit: ref={r.msmtp_rcs} ours={o.msmtp_rcs}"]
    for x in (r, o):
        parts.append(f"--- {x.name} caller stderr ---\n"
                     + x.stderr.decode("utf-8", "replace")[-3000:])
        parts.append(f"--- {x.name} argv --- {x.argvs}")
    return "\n".join(parts)


def compare_callers(r, o, *, expect_rc=0, argv=None, wire="exact",
                    stderr=True):
    """The caller saw the same thing and the server got the same bytes
    (generated values aside); its stderr (where msmtp's messages end up)
    is compared with the per-binary directory and port normalized."""
    rep = caller_report(r, o)
    assert r.argvs, "the caller never ran the wrapper\n" + rep
    if argv is not None:
        assert r.argvs == argv, "not the documented invocation\n" + rep
    assert r.argvs == o.argvs, "the caller passed different argv\n" + rep
    assert r.rc == expect_rc, "test premise: caller exit code\n" + rep
    assert r.msmtp_rcs == o.msmtp_rcs, "msmtp exit codes differ\n" + rep
    assert r.rc == o.rc, "caller exit codes differ\n" + rep
    if stderr:
        assert r.err == o.err, "the caller's stderr differs\n" + rep
    assert [t[:2] for t in r.transactions] == \
        [t[:2] for t in o.transactions], "envelopes differ\n" + rep
    assert [norm_generated(t[2]) for t in r.transactions] == \
        [norm_generated(t[2]) for t in o.transactions], \
        "DATA differs\n" + rep
    if wire:
        rw = [norm_generated(s) for s in r.sessions]
        ow = [norm_generated(s) for s in o.sessions]
        assert rw == ow, "wire bytes differ\n" + rep


def replay(diff, r, **kw):
    """The mails the caller wrote (ref's run), with its argv, through
    both binaries: an exact differential comparison (Date/Message-ID
    values aside)."""
    for argv, mail in zip(r.argvs, r.mails):
        diff(config=RC, args=argv, mail=mail, **kw)


# --------------------------------------------------------------------------
# Mutt (2.2, Debian 12), for real. Its $sendmail default is
# "/usr/sbin/sendmail -oem -oi"; with use_envelope_from it adds
# "-f <from>", then "--" and every recipient (To, Cc, Bcc):
#   sendmail -oem -oi -f alice@example.org -- rcpts...

MUTT = shutil.which("mutt")
needs_mutt = pytest.mark.skipif(
    MUTT is None, reason="mutt is not installed (make deps)")


def mutt_argv(confdir, subject, args):
    def make(wrapper):
        rc = confdir.root / f"muttrc-{Path(wrapper).parent.name}"
        rc.write_text(
            f'set sendmail="{wrapper} -oem -oi"\n'
            'set from="Alice Example <alice@example.org>"\n'
            "set use_envelope_from=yes\n"
            "set hostname=example.org\n"
            'set record=""\nset copy=no\n'
            'set charset="utf-8"\nset send_charset="us-ascii:utf-8"\n')
        return [MUTT, "-n", "-F", str(rc), "-s", subject, *args]
    return make


MUTT_ENV = {"TERM": "dumb", "MAIL": "/dev/null", "EDITOR": "/bin/false",
            "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}

MUTT_BODY = "Hello Bob.\n.\n..\nGrüße ✓\n-- \nAlice\n".encode()


def mutt_both(ref, ours, confdir, args, body=MUTT_BODY, script=None,
              subject="from mutt"):
    r = run_caller(ref, confdir, mutt_argv(confdir, subject, args),
                   stdin=body, env=MUTT_ENV, script=script)
    o = run_caller(ours, confdir, mutt_argv(confdir, subject, args),
                   stdin=body, env=MUTT_ENV, script=script)
    return r, o


@needs_mutt
def test_mutt(ref, ours_as, confdir, mdiff):
    r, o = mutt_both(ref, ours_as, confdir, ["--", BOB, CAROL])
    compare_callers(r, o, argv=[["-oem", "-oi", "-f", ALICE, "--", BOB,
                                 CAROL]])
    assert r.transactions[0][:2] == (ALICE, [BOB, CAROL])
    replay(mdiff, r, expect_rc=0, wire="raw")


@needs_mutt
def test_mutt_cc_bcc(ref, ours_as, confdir, mdiff):
    r, o = mutt_both(ref, ours_as, confdir,
                     ["-c", CAROL, "-b", "hidden@example.net", "--", BOB])
    compare_callers(r, o, argv=[["-oem", "-oi", "-f", ALICE, "--", BOB,
                                 CAROL, "hidden@example.net"]])
    assert b"hidden@" not in r.transactions[0][2]
    replay(mdiff, r, expect_rc=0, wire="raw")


@needs_mutt
def test_mutt_attachment(ref, ours_as, confdir, mdiff):
    att = confdir.root / "report.bin"
    att.write_bytes(bytes(range(256)) * 8)
    r, o = mutt_both(ref, ours_as, confdir, ["-a", str(att), "--", BOB])
    compare_callers(r, o)
    assert b"multipart/mixed" in r.transactions[0][2]
    replay(mdiff, r, expect_rc=0, wire="raw")


@needs_mutt
def test_mutt_recipient_refused(ref, ours, confdir):
    """Mutt reports the mailer's exit status and exits 1."""
    r, o = mutt_both(ref, ours, confdir, ["--", BOB],
                     script=Script(replies={"RCPT": "550 5.1.1 no such user"}))
    compare_callers(r, o, expect_rc=1, wire=None)
    assert r.msmtp_rcs == [65]


# --------------------------------------------------------------------------
# git send-email (git 2.39, Debian 12), for real: with --smtp-server set
# to an absolute path it execs it as
#   <path> -f <envelope sender> -i rcpts...
# (-f only with --envelope-sender), once per patch.

GIT = shutil.which("git")


def _has_send_email():
    if GIT is None:
        return False
    # Its usage text, unless a Perl module it needs is missing.
    p = subprocess.run([GIT, "send-email", "-h"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    return b"--dump-aliases" in p.stdout


needs_git_email = pytest.mark.skipif(
    not _has_send_email(), reason="git send-email is not installed "
                                  "(git-email, libmailtools-perl: make deps)")

GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "Alice Example", "GIT_AUTHOR_EMAIL": ALICE,
           "GIT_COMMITTER_NAME": "Alice Example",
           "GIT_COMMITTER_EMAIL": ALICE,
           "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
           "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
           "EDITOR": "/bin/false", "GIT_EDITOR": "/bin/false",
           "GIT_PAGER": "cat", "PAGER": "cat"}


def make_patches(confdir, count):
    """A repository with ``count`` commits after the first, and their
    patches (format-patch), made once for both runs."""
    repo = confdir.root / "repo"
    repo.mkdir()
    env = confdir.env(**GIT_ENV)

    def git(*args):
        subprocess.run([GIT, *args], cwd=repo, env=env, check=True,
                       stdout=subprocess.DEVNULL, timeout=30)
    git("init", "-q", "-b", "main")
    git("commit", "-q", "--allow-empty", "-m", "Initial commit")
    for i in range(count):
        (repo / f"file{i}.txt").write_text(
            f"line {i}\n.\n..dots\n" + "long " * 300 + "\n")
        git("add", f"file{i}.txt")
        git("commit", "-q", "-m",
            f"Add file{i}.txt\n\nA body line.\n.\nAfter a lone dot.\n")
    out = confdir.root / "patches"
    git("format-patch", "-q", "-o", str(out), f"-{count}")
    return repo, sorted(str(p) for p in out.iterdir())


def git_argv(patches, extra):
    def make(wrapper):
        return [GIT, "send-email", "--confirm=never", "--quiet",
                f"--smtp-server={wrapper}", "--suppress-cc=all",
                "--from=Alice Example <alice@example.org>",
                *extra, *patches]
    return make


def git_both(ref, ours, confdir, count, extra, script=None):
    repo, patches = make_patches(confdir, count)
    kw = dict(stdin=b"", env=GIT_ENV, cwd=repo, script=script)
    r = run_caller(ref, confdir, git_argv(patches, extra), **kw)
    o = run_caller(ours, confdir, git_argv(patches, extra), **kw)
    return r, o


@needs_git_email
def test_git_send_email(ref, ours_as, confdir, mdiff):
    r, o = git_both(ref, ours_as, confdir, 1,
                    ["--envelope-sender=alice@example.org",
                     f"--to={BOB}", f"--cc={CAROL}"])
    compare_callers(r, o, argv=[["-f", ALICE, "-i", BOB, CAROL]])
    assert r.transactions[0][:2] == (ALICE, [BOB, CAROL])
    replay(mdiff, r, expect_rc=0, wire="raw")


@needs_git_email
def test_git_send_email_series(ref, ours_as, confdir, mdiff):
    """Two patches, not threaded (threading puts the first Message-Id,
    different in each run, into the second mail): two invocations."""
    r, o = git_both(ref, ours_as, confdir, 2,
                    ["--envelope-sender=alice@example.org", "--no-thread",
                     f"--to={BOB}"])
    compare_callers(r, o, argv=[["-f", ALICE, "-i", BOB]] * 2)
    assert len(r.transactions) == 2
    replay(mdiff, r, expect_rc=0, wire="raw")


@needs_git_email
def test_git_send_email_without_envelope_sender(ref, ours_as, confdir,
                                                mdiff):
    """Without --envelope-sender there is no -f: msmtp takes the account's
    from."""
    r, o = git_both(ref, ours_as, confdir, 1, [f"--to={BOB}"])
    compare_callers(r, o, argv=[["-i", BOB]])
    assert r.transactions[0][0] == ALICE
    replay(mdiff, r, expect_rc=0, wire="raw")


@needs_git_email
def test_git_send_email_refused(ref, ours, confdir):
    """git send-email dies ("Died at ...") with the mailer's status."""
    r, o = git_both(ref, ours, confdir, 1,
                    ["--envelope-sender=alice@example.org", f"--to={BOB}"],
                    script=Script(replies={"EOM": "554 5.7.1 rejected"}))
    compare_callers(r, o, expect_rc=r.rc, wire=None)
    assert r.rc != 0 and r.msmtp_rcs == [69]
    assert b"msmtp: server message: 554 5.7.1 rejected\n" in o.stderr
