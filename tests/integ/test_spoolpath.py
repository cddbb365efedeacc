"""Where the spool is (issue 17): one rule for every program.

A matrix: where the spool's name comes from (msmtp's --queue-file, the
environment, msmtprc's defaults, each account, the XDG default) x who
looks for it (msmtp spooling, msmtp -bp, mailq, msmtp -q, msmtp-queue
--list/--flush/--run/--daemon). Mails are spooled with -odq while the
server is up (so only the reader delivers them) and read back from the
files with Python's sqlite3 module.

Then the senders without a usable home: PHP's `sendmail -t` as www-data
with only /etc/msmtprc, and Debian's cron started with an empty
environment, each in a private mount namespace (overlays on /etc and
/usr/sbin, so /etc/msmtprc and /usr/sbin/sendmail exist only there).
Those need root, unshare(1), setpriv(1) and overlayfs, and are skipped
otherwise.
"""

import grp
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import Script, free_port
from test_spool import port_server  # noqa: F401 (a fixture)
from test_spool import (BOB, poll, read_spool, run_prog, show,
                        transactions)

ROOT = os.geteuid() == 0

RC = """\
defaults
auth off
tls off
host 127.0.0.1
port {port}
{defaults}

account default
from alice@example.org
{account}

account other
from olga@example.org
{other}
"""

ID_RE = re.compile(r"^([0-9A-Z]{12})  ", re.M)


class Source:
    """Where the spool's name comes from, for one test: the rc, the
    environment, msmtp's extra arguments, and which file each account's
    mail must land in."""

    def __init__(self, kind, spool, tmp_path, port):
        self.kind = kind
        self.spool = spool
        self.env = {}
        self.args = []          # for msmtp and msmtp-queue alike
        q1 = tmp_path / "q1" / "queue.db"
        q2 = tmp_path / "q2" / "queue.db"
        self.default = spool.confdir.home / ".local/state/msmtp/queue.db"
        parts = {"defaults": "", "account": "", "other": ""}
        if kind == "option":
            self.args = ["--queue-file", q1]
            self.files = {"default": q1, "other": q1}
        elif kind == "environment":
            self.env = {"MSMTP_QUEUE_FILE": q1}
            self.files = {"default": q1, "other": q1}
        elif kind == "defaults":
            parts["defaults"] = f"queue_file {q1}"
            self.files = {"default": q1, "other": q1}
        elif kind == "account":
            parts["account"] = f"queue_file {q1}"
            parts["other"] = f"queue_file {q2}"
            self.files = {"default": q1, "other": q2}
        else:   # the XDG default, found through HOME
            self.env = {"XDG_STATE_HOME": None}
            self.files = {"default": self.default, "other": self.default}
        spool.confdir.write(RC.format(port=port, **parts), path=spool.rcfile)

    def msmtp(self, *args, argv0="msmtp", **kw):
        return run_prog(self.spool.msmtp_path, argv0,
                        ["-C", self.spool.rcfile, *self.args, *args],
                        kw.pop("mail", None),
                        env=self.spool.env(**self.env), **kw)

    def queue(self, *args):
        return run_prog(self.spool.queue_path, "msmtp-queue",
                        ["-C", self.spool.rcfile, *self.args, *args],
                        env=self.spool.env(**self.env))

    def spool_one_each(self):
        """One mail per account with -odq; {id: account}."""
        ids = {}
        for account in ("default", "other"):
            p = self.msmtp("-odq", "-a", account, BOB,
                           mail=f"Subject: {account}\n\nhi\n".encode())
            assert p.returncode == 0, show(p)
            mails = read_spool(self.files[account], with_data=False)
            new = [m["id"] for m in mails if m["id"] not in ids]
            assert len(new) == 1, (account, mails)
            ids[new[0]] = account
        return ids

    def states(self):
        out = {}
        for f in set(self.files.values()):
            for m in read_spool(f, with_data=False):
                out[m["id"]] = m["state"]
        return out


SOURCES = ["option", "environment", "defaults", "account", "default"]
READERS = ["enqueue", "bp", "mailq", "q", "list", "flush", "run", "daemon"]


def listed_ids(text):
    return set(ID_RE.findall(text))


def read_with(reader, src, srv, ids):
    """Have reader find the spooled mails; assert it did."""
    n = len(ids)
    if reader == "enqueue":
        return      # spool_one_each() found each in its file
    if reader in ("bp", "mailq", "list"):
        if reader == "bp":
            p = src.msmtp("-bp")
        elif reader == "mailq":
            p = src.msmtp(argv0="mailq")
        else:
            p = src.queue("--list")
        assert p.returncode == 0, show(p)
        out = p.stdout.decode()
        assert listed_ids(out) == set(ids), out
        assert f"in {n} mails." in out, out
        several = len(set(src.files.values())) > 1
        for account, f in src.files.items():
            assert (f"    spool    {f}\n" in out) == several, out
        return
    if reader == "daemon":
        pr = subprocess.Popen(
            ["msmtp-queue", "-C", str(src.spool.rcfile),
             *[str(a) for a in src.args], "--daemon"],
            executable=src.spool.queue_path, env=src.spool.env(**src.env),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            poll(lambda: len(transactions(srv)) >= n, timeout=15,
                 what="the daemon to send every spooled mail")
            poll(lambda: set(src.states().values()) == {"sent"},
                 timeout=10, what="the daemon to record the mails sent")
        finally:
            pr.send_signal(signal.SIGTERM)
            try:
                out, err = pr.communicate(timeout=10)
            finally:
                if pr.poll() is None:
                    pr.kill()
                    pr.wait()
        assert pr.returncode == 0, (out, err)
    else:
        p = src.msmtp("-q") if reader == "q" else src.queue("--" + reader)
        assert p.returncode == 0, show(p)
    assert len(transactions(srv)) == n
    assert src.states() == {i: "sent" for i in ids}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("kind", SOURCES)
def test_every_program_finds_the_spool(spool, server, tmp_path, kind,
                                       reader):
    srv = server(Script())
    src = Source(kind, spool, tmp_path, srv.port)
    ids = src.spool_one_each()
    if kind != "default":
        assert not src.default.exists()
    read_with(reader, src, srv, ids)


@pytest.mark.parametrize("kind", SOURCES)
def test_version_and_pretend_name_the_spool(spool, server, tmp_path, kind):
    """--version names the spool of a mail sent now (-a: that account's),
    -P the spool of the account it shows: where msmtp then puts it."""
    srv = server(Script())
    src = Source(kind, spool, tmp_path, srv.port)
    for account in ("default", "other"):
        want = str(src.files[account]).encode()
        p = src.msmtp("-a", account, "--version")
        assert p.returncode == 0, show(p)
        assert (b"\nUser configuration file name: " in p.stdout and
                b"\nSpool file name: %s\n\n" % want in p.stdout), show(p)
        p = src.msmtp("-a", account, "-P", BOB)
        assert p.returncode == 0, show(p)
        assert p.stdout.endswith(b"reading recipients from the command "
                                 b"line\nqueue_file = %s\n" % want), show(p)
    ids = src.spool_one_each()
    assert sorted(ids.values()) == ["default", "other"]


# --------------------------------------------------------------------------
# Several spools: each mail found where it is, each file once.

@pytest.fixture
def two_spools(spool, server, tmp_path):
    srv = server(Script())
    src = Source("account", spool, tmp_path, srv.port)
    ids = src.spool_one_each()
    return src, {a: i for i, a in ids.items()}


def test_manage_finds_the_mail_in_its_spool(two_spools):
    src, ids = two_spools
    other = ids["other"]
    p = src.queue("--hold", other)
    assert p.returncode == 0 and p.stdout == b"1 mail held.\n", show(p)
    assert p.stderr == b"", show(p)
    assert src.states()[other] == "held"
    p = src.queue("--show", other)
    assert p.returncode == 0, show(p)
    assert b"Subject: other" in p.stdout, show(p)
    p = src.queue("--show", "--raw", ids["default"])
    assert p.returncode == 0 and b"Subject: default" in p.stdout, show(p)
    p = src.queue("--show", "NOSUCHMAIL00")
    assert p.returncode == 66, show(p)          # EX_NOINPUT
    p = src.queue("--release", "ALL")
    # Each mail's account is read again from its file first (renew.c).
    assert p.returncode == 0 and p.stdout.endswith(b"\n1 mail released.\n"), show(p)
    p = src.queue("--delete", ids["default"], other)
    assert p.returncode == 0 and p.stdout == b"2 mails deleted.\n", show(p)
    assert src.states() == {}


def test_json_list_names_each_spool(two_spools):
    src, ids = two_spools
    p = src.queue("--list", "--json")
    assert p.returncode == 0, show(p)
    mails = json.loads(p.stdout)
    assert {(m["id"], m["spool"]) for m in mails} == \
        {(ids[a], str(f)) for a, f in src.files.items()}
    assert all(m["recipients"][0]["address"] == BOB for m in mails)


def test_json_list_of_several_spools_with_odd_replies(spool, server,
                                                      tmp_path):
    """Brackets, braces, quotes and backslashes in a server's reply stay
    inside their JSON strings when the spools' lists are merged."""
    reply = '451 4.7.1 try {later} [x], "q" \\ back'
    srv = server(Script(replies={"RCPT": reply}))
    src = Source("account", spool, tmp_path, srv.port)
    ids = src.spool_one_each()
    p = src.queue("--flush")
    assert p.returncode == 75, show(p)
    p = src.queue("--list", "--json")
    assert p.returncode == 0, show(p)
    mails = json.loads(p.stdout)
    assert {m["id"] for m in mails} == set(ids)
    for m in mails:
        assert set(m) >= {"spool", "id", "recipients"}
        assert m["recipients"][0]["reply"].endswith('"q" \\ back'), m


def test_explicit_queue_file_alone(two_spools):
    src, ids = two_spools
    p = src.queue("--queue-file", src.files["other"], "--list")
    assert p.returncode == 0, show(p)
    assert listed_ids(p.stdout.decode()) == {ids["other"]}
    assert b"spool " not in p.stdout


def test_one_file_by_two_names_is_one_spool(spool, server, tmp_path):
    srv = server(Script())
    q = tmp_path / "q" / "queue.db"
    alias = tmp_path / "q" / ".." / "q" / "queue.db"
    spool.confdir.write(RC.format(port=srv.port, defaults="",
                                  account=f"queue_file {q}",
                                  other=f"queue_file {alias}"),
                        path=spool.rcfile)
    src = Source.__new__(Source)
    src.spool, src.args, src.env = spool, [], {"MSMTP_QUEUE_FILE": alias}
    src.files = {"default": q, "other": q}
    src.spool_one_each()
    p = src.queue("--list")
    assert p.returncode == 0, show(p)
    assert b"in 2 mails." in p.stdout and b"spool " not in p.stdout, show(p)
    p = src.queue("--flush")
    assert p.returncode == 0, show(p)
    assert len(transactions(srv)) == 2


def test_unusable_spool_does_not_hide_the_others(two_spools):
    src, ids = two_spools
    bad = src.files["other"]
    for f in bad.parent.iterdir():
        f.unlink()
    bad.write_bytes(b"not a database\n" * 100)
    p = src.queue("--list")
    assert p.returncode == 74, show(p)          # EX_IOERR
    assert listed_ids(p.stdout.decode()) == {ids["default"]}
    assert b"damaged or not a spool" in p.stderr, show(p)


def test_purge_and_retry_over_every_spool(two_spools):
    src, ids = two_spools
    p = src.queue("--retry", "ALL")
    assert p.returncode == 0, show(p)
    assert p.stdout.endswith(b"\n2 mails queued for a retry.\n"), show(p)
    p = src.queue("--purge", "--yes")
    assert p.returncode == 0 and p.stdout == b"2 mails deleted.\n", show(p)
    assert src.states() == {}


@pytest.mark.timeout(60)
def test_daemon_watches_each_spool(spool, server, tmp_path):
    """Started before anything is spooled, the daemon sees new mail in
    each account's spool (one process each), and stops on SIGTERM."""
    srv = server(Script())
    src = Source("account", spool, tmp_path, srv.port)
    pr = subprocess.Popen(
        ["msmtp-queue", "-C", str(spool.rcfile), "--daemon"],
        executable=spool.queue_path, env=spool.env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # Each child creates its spool to watch it.
        poll(lambda: all(f.exists() for f in src.files.values()),
             timeout=10, what="the daemon to create the spools")
        ids = src.spool_one_each()
        poll(lambda: len(transactions(srv)) >= 2, timeout=15,
             what="the daemon to send the new mails")
        poll(lambda: src.states() == {i: "sent" for i in ids}, timeout=10,
             what="the daemon to record them sent")
        pr.send_signal(signal.SIGHUP)           # passed on, not fatal
        p = src.msmtp("-odq", "-a", "other", BOB, mail=b"Subject: 3\n\nx\n")
        assert p.returncode == 0, show(p)
        poll(lambda: len(transactions(srv)) >= 3, timeout=15,
             what="the daemon, after SIGHUP, to send the third mail")
        assert pr.poll() is None
    finally:
        pr.send_signal(signal.SIGTERM)
        try:
            out, err = pr.communicate(timeout=10)
        finally:
            if pr.poll() is None:
                pr.kill()
                pr.wait()
    assert pr.returncode == 0, (out, err)


@pytest.mark.parametrize("where", ["home_rc", "xdg_rc"])
def test_without_C_the_files_msmtp_reads(spool, server, tmp_path, where):
    """msmtp-queue without -C reads msmtp's user file (~/.msmtprc, else
    $XDG_CONFIG_HOME/msmtp/config), so it finds the spool it names."""
    srv = server(Script())
    q = tmp_path / "q" / "queue.db"
    spool.confdir.write(RC.format(port=srv.port, defaults=f"queue_file {q}",
                                  account="", other=""),
                        path=getattr(spool.confdir, where))
    env = spool.env()
    p = run_prog(spool.msmtp_path, "msmtp", ["-odq", BOB],
                 b"Subject: x\n\nhi\n", env=env)
    assert p.returncode == 0, show(p)
    assert len(read_spool(q, with_data=False)) == 1
    for reader in (spool.queue_path, spool.msmtp_path):
        argv0, args = (("msmtp-queue", ["--list"]) if reader ==
                       spool.queue_path else ("mailq", []))
        p = run_prog(reader, argv0, args, env=env)
        assert p.returncode == 0 and b"in 1 mail." in p.stdout, show(p)
    p = run_prog(spool.queue_path, "msmtp-queue", ["--flush"], env=env)
    assert p.returncode == 0, show(p)
    assert len(transactions(srv)) == 1


# --------------------------------------------------------------------------
# %U and %u in the spool's name.

def test_user_patterns_in_queue_file(spool, server, tmp_path):
    srv = server(Script())
    user = pwd.getpwuid(os.getuid()).pw_name
    spool.confdir.write(RC.format(
        port=srv.port, defaults=f"queue_file {tmp_path}/%U-%u/queue.db",
        account="", other=""), path=spool.rcfile)
    want = tmp_path / f"{user}-{os.getuid()}" / "queue.db"
    src = Source.__new__(Source)
    src.spool, src.args, src.env = spool, [], {}
    src.files = {"default": want, "other": want}
    ids = src.spool_one_each()
    read_with("list", src, srv, ids)
    read_with("flush", src, srv, ids)


@pytest.mark.skipif(not ROOT or not shutil.which("setpriv"),
                    reason="needs root and setpriv(1)")
def test_user_without_name_is_sent_directly(spool, server):
    """%U for a user id the password database does not know: no spool can
    be named, so the mail goes out directly, as msmtp would send it."""
    uid = 4299
    try:
        pwd.getpwuid(uid)
        pytest.skip(f"uid {uid} exists here")
    except KeyError:
        pass
    srv = server(Script())
    root = Path(tempfile.mkdtemp(prefix="msmtp-spoolpath-"))
    try:
        os.chmod(root, 0o755)
        rc = root / "rc"
        rc.write_text(RC.format(port=srv.port, account="", other="",
                                defaults=f"queue_file {root}/%U/queue.db"))
        os.chmod(rc, 0o644)
        p = subprocess.run(
            as_user(uid, uid, spool.msmtp_path, "-C", rc, BOB),
            input=b"Subject: nameless\n\nhi\n", capture_output=True,
            timeout=30)
        assert p.returncode == 0, show(p)
        assert b"cannot expand %U" in p.stderr, show(p)
        assert b"sending the mail directly, without the queue" in p.stderr
        assert [t[1] for t in transactions(srv)] == [[BOB]]
        assert list(root.iterdir()) == [rc]
    finally:
        shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------
# Senders without a usable home, in a private mount namespace.

# $0 is the namespace's directory: overlays on /etc and /usr/sbin from
# its etc.u and sbin.u; with a crontabs directory, cron's spool, an
# empty /run (cron's pid file) and no system cron jobs.
NAMESPACE = r"""set -e
d=$0
mount --make-rprivate /
over() {
    mount -t overlay overlay \
        -o "lowerdir=$1,upperdir=$d/$2.u,workdir=$d/$2.w" "$1"
}
over /etc etc
over /usr/sbin sbin
if [ -d "$d/crontabs" ]; then
    mount --bind "$d/crontabs" /var/spool/cron/crontabs
    mount -t tmpfs -o mode=755 tmpfs /run
    rm -rf /etc/cron.d/*
fi
exec "$@"
"""

SAFE_PATH = "PATH=/usr/bin:/bin"


class Namespace:
    """A private /etc and /usr/sbin for one test: /etc/msmtprc,
    /etc/passwd and /usr/sbin/sendmail exist only in there."""

    def __init__(self, root, msmtp):
        self.root = root
        for d in ("etc.u", "etc.w", "sbin.u", "sbin.w"):
            (root / d).mkdir()
        os.symlink(msmtp, root / "sbin.u" / "sendmail")

    def etc(self, name, text, mode=0o644):
        path = self.root / "etc.u" / name
        path.write_text(text)
        os.chmod(path, mode)
        return path

    def argv(self, *argv):
        return ["unshare", "-m", "sh", "-c", NAMESPACE, str(self.root),
                *[str(a) for a in argv]]


def as_user(uid, gid, *argv):
    """argv as uid:gid with an empty environment but PATH (no HOME, as
    cron's mailer and php-fpm's children get)."""
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
            "--", "env", "-i", SAFE_PATH, *[str(a) for a in argv]]


@pytest.fixture
def namespace(spool):
    if not ROOT or not shutil.which("unshare") or not shutil.which("setpriv"):
        pytest.skip("needs root, unshare(1) and setpriv(1)")
    root = Path(tempfile.mkdtemp(prefix="msmtp-spoolpath-"))
    os.chmod(root, 0o755)
    try:
        ns = Namespace(root, spool.msmtp_path)
        probe = subprocess.run(ns.argv("true"), capture_output=True,
                               timeout=10)
        if probe.returncode != 0:
            pytest.skip(f"cannot make the namespace: {probe.stderr!r}")
        yield ns
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run_ns(ns, argv, mail=None, timeout=30):
    return subprocess.run(ns.argv(*argv), input=mail, capture_output=True,
                          timeout=timeout,
                          stdin=None if mail is not None else
                          subprocess.DEVNULL)


WWW = pwd.getpwnam("www-data") if ROOT else None
PHP_MAIL = (b"To: bob@example.net\nSubject: contact form\n"
            b"From: www-data@example.org\n\nHello from PHP.\n")

SYSTEM_RC = """\
defaults
auth off
tls off
host 127.0.0.1
port {port}
logfile {logdir}/msmtp.log
{queue_file}

account default
from www-data@example.org
"""


def system_rc(ns, port, logdir, queue_file=""):
    ns.etc("msmtprc", SYSTEM_RC.format(port=port, logdir=logdir,
                                       queue_file=queue_file))


def shared_dir(ns, name):
    """A directory anyone may create in (sticky, like /tmp)."""
    d = ns.root / name
    d.mkdir()
    os.chmod(d, 0o1777)
    return d


def php_mail(ns):
    """PHP's mail(): /usr/sbin/sendmail -t -i as www-data."""
    return run_ns(ns, as_user(WWW.pw_uid, WWW.pw_gid, "/usr/sbin/sendmail",
                              "-t", "-i"), mail=PHP_MAIL)


@pytest.mark.skipif(WWW is None, reason="needs root and a www-data user")
def test_www_data_without_spool_sends_directly(namespace, server):
    """www-data's home is not writable: no spool can be made, so the mail
    goes out as msmtp would send it, and stderr and the log say so."""
    srv = server(Script())
    logdir = shared_dir(namespace, "log")
    system_rc(namespace, srv.port, logdir)
    p = php_mail(namespace)
    assert p.returncode == 0, show(p)
    assert b"sending the mail directly, without the queue" in p.stderr, \
        show(p)
    assert [t[1] for t in transactions(srv)] == [[BOB]]
    assert b"Hello from PHP." in transactions(srv)[0][2]
    log = (logdir / "msmtp.log").read_text()
    assert "queue=unavailable" in log and "exitcode=EX_OK" in log, log


@pytest.mark.skipif(WWW is None, reason="needs root and a www-data user")
def test_www_data_spool_named_by_system_config(spool, namespace,
                                               port_server):
    """A system-wide queue_file with %U gives www-data a spool: the mail
    waits there while the server is down, and msmtp-queue, run as
    www-data with only /etc/msmtprc, finds and delivers it."""
    port = free_port()
    logdir = shared_dir(namespace, "log")
    spools = shared_dir(namespace, "spools")
    system_rc(namespace, port, logdir, f"queue_file {spools}/%U/queue.db")
    p = php_mail(namespace)
    assert p.returncode == 0, show(p)
    assert b"the mail is queued as" in p.stderr, show(p)
    db = spools / "www-data" / "queue.db"
    assert db.exists() and db.stat().st_uid == WWW.pw_uid
    srv = port_server(port, Script())
    p = run_ns(namespace, as_user(WWW.pw_uid, WWW.pw_gid,
                                  spool.queue_path, "--flush"))
    assert p.returncode == 0, show(p)
    assert [t[1] for t in transactions(srv)] == [[BOB]]


# Debian's cron, started by init, gives the mailer no HOME: it runs
# /usr/sbin/sendmail -FCronDaemon -i -B8BITMIME -oem MAILTO as the job's
# user with cron's own (here: empty) environment. Two users in one
# minute tick: one whose server is down (the output waits in the spool
# found through the password database, and msmtp-queue --flush as that
# user sends it), one whose server is up (it arrives at once).
CRON_USERS = {"down": ("msmtpcron1", 4242), "up": ("msmtpcron2", 4243)}
USER_RC = """\
defaults
auth off
tls off

account default
host 127.0.0.1
port {port}
from {name}@example.org
"""


def add_cron_user(ns, name, uid, port, homes):
    home = homes / name
    home.mkdir(mode=0o755)
    rc = home / ".msmtprc"
    rc.write_text(USER_RC.format(port=port, name=name))
    os.chmod(rc, 0o600)
    for p in (home, rc):
        os.chown(p, uid, uid)
    tab = ns.root / "crontabs" / name
    tab.write_text(f"MAILTO={name}@example.net\n"
                   f"* * * * * echo output of {name}\n")
    os.chown(tab, uid, grp_id("crontab"))
    os.chmod(tab, 0o600)
    return (f"{name}:x:{uid}:{uid}:msmtp test:{home}:/bin/sh\n",
            f"{name}:x:{uid}:\n", f"{name}:*:19000:0:99999:7:::\n")


def grp_id(name):
    return grp.getgrnam(name).gr_gid


def private_user_db(ns, entries):
    """/etc/passwd, group and shadow with the test's users added."""
    for i, name in enumerate(("passwd", "group", "shadow")):
        text = Path("/etc", name).read_text() + "".join(e[i] for e in entries)
        path = ns.etc(name, text, 0o640 if name == "shadow" else 0o644)
        if name == "shadow":
            os.chown(path, 0, grp_id("shadow"))


def stop(pr):
    try:
        pr.send_signal(signal.SIGTERM)
        pr.communicate(timeout=10)
    finally:
        if pr.poll() is None:
            pr.kill()
            pr.wait()


@pytest.mark.timeout(150)
def test_cron_job_output_is_spooled_or_sent(spool, namespace, server,
                                            port_server):
    if not os.access("/usr/sbin/cron", os.X_OK) or not shutil.which("nsenter"):
        pytest.skip("needs Debian's cron (tests/deps.sh) and nsenter(1)")
    ns = namespace
    down_port = free_port()
    srv = server(Script())
    homes = ns.root / "homes"
    homes.mkdir(mode=0o755)
    crontabs = ns.root / "crontabs"
    crontabs.mkdir()
    os.chown(crontabs, 0, grp_id("crontab"))
    os.chmod(crontabs, 0o1730)
    ports = {"down": down_port, "up": srv.port}
    private_user_db(ns, [add_cron_user(ns, name, uid, ports[role], homes)
                         for role, (name, uid) in CRON_USERS.items()])
    down, down_uid = CRON_USERS["down"]
    up = CRON_USERS["up"][0]
    cron = subprocess.Popen(ns.argv("env", "-i", "/usr/sbin/cron", "-f"),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)

    def as_down(*argv):
        return subprocess.run(
            ["nsenter", "-t", str(cron.pid), "-m",
             *as_user(down_uid, down_uid, *argv)],
            capture_output=True, timeout=30, stdin=subprocess.DEVNULL)

    try:
        # The up user's mail, sent at the first minute tick.
        poll(lambda: transactions(srv), timeout=75, interval=0.2,
             what="cron to mail the job's output (next minute tick)")
        # (A later tick may add more of the same; the first is enough.)
        sender, rcpts, data = transactions(srv)[0]
        assert rcpts == [f"{up}@example.net"]
        assert f"output of {up}".encode() in data
        # The down user's mail waits in that user's own spool.
        poll(lambda: b"in 1 mail." in as_down(spool.queue_path,
                                              "--list").stdout,
             timeout=20, interval=0.2, what="the down user's mail spooled")
        assert (homes / down / ".local/state/msmtp/queue.db").exists()
        later = port_server(down_port, Script())
        p = as_down(spool.queue_path, "--flush")
        assert p.returncode == 0, show(p)
        sender, rcpts, data = transactions(later)[0]
        assert rcpts == [f"{down}@example.net"]
        assert f"output of {down}".encode() in data
    finally:
        stop(cron)
