"""Queue output a person can read (issue 18): msmtp-queue --list and the
small things around it.

Mails are spooled with our msmtp, delivered to a RecordingServer on
127.0.0.1, and the listing read as a person would.
"""

import re
import subprocess

from conftest import Script, free_port
from test_spool import BOB, CAROL, run_prog, show, transactions

import pytest

ID_RE = re.compile(r"^([0-9A-Z]{12})  ", re.M)


def listing(spool, **env):
    p = run_prog(spool.queue_path, "msmtp-queue", spool.argv("--list"),
                 env=spool.env(**env))
    assert p.returncode == 0, show(p)
    return p.stdout.decode()


def test_failed_recipient_shows_its_reply(spool, server):
    srv = server(Script(replies={"RCPT": {BOB: "550 5.1.1 no such user"}}))
    spool.rc(srv.port)
    p = spool.msmtp(BOB, CAROL)
    assert p.returncode == 0, show(p)
    assert srv.wait_closed(10)
    out = listing(spool)
    assert re.search(r"failed +bob@example\.net: 550 5\.1\.1 no such user",
                     out), out
    # The one that got it shows no reply line of its own.
    assert re.search(r"sent +carol@example\.net\n", out), out


def test_failed_and_held_mails_show_no_next(spool, server):
    srv = server(Script(replies={"RCPT": {BOB: "550 5.1.1 no such user"}}))
    spool.rc(srv.port)
    assert spool.msmtp(BOB).returncode != 0
    assert srv.wait_closed(10)
    out = listing(spool)
    assert " failed " in out and "attempts 1: " in out, out
    assert "next" not in out, out
    (mid,) = ID_RE.findall(out)
    spool.queue("--retry", mid)
    assert spool.queue("--hold", mid).returncode == 0
    out = listing(spool)
    assert " held " in out and "next" not in out, out


def test_subject_column_with_columns(spool):
    spool.rc(free_port())
    mail = (b"From: alice@example.org\nTo: bob@example.net\n"
            b"Subject: Quarterly \xc3\xa9t\xc3\xa9 report\n"
            b" folded\x1b[31m part and a long tail of words\n\nbody\n")
    p = spool.msmtp("-odq", BOB, mail=mail)
    assert p.returncode == 0, show(p)
    # Not a terminal, no COLUMNS: no Subject, lines scripts can read.
    plain = listing(spool)
    assert "Quarterly" not in plain, plain
    wide = listing(spool, COLUMNS="200")
    head = wide.splitlines()[0]
    assert head.endswith("Quarterly \u00e9t\u00e9 report folded\\x1b[31m "
                         "part and a long tail of words"), head
    narrow = listing(spool, COLUMNS="90")
    head = narrow.splitlines()[0]
    assert len(head) <= 90 and head.endswith("..."), head
    assert "Quarterly" in head, head
    # Too narrow for a useful Subject: none at all.
    tiny = listing(spool, COLUMNS="40")
    assert "Quarterly" not in tiny, tiny


def test_subject_cut_keeps_utf8_whole(spool):
    spool.rc(free_port())
    mail = ("Subject: " + "\u00e9" * 150 + "\n\nbody\n").encode()
    assert spool.msmtp("-odq", BOB, mail=mail).returncode == 0
    for cols in range(85, 125):
        head = listing(spool, COLUMNS=str(cols)).splitlines()[0]
        assert len(head) <= cols, (cols, head)
        assert "\u00e9\u00e9" in head, (cols, head)


def test_uncertain_says_duplicate_possible(spool, server):
    srv = server(Script(close_at="EOM"))
    spool.rc(srv.port)
    p = spool.msmtp(BOB)
    assert p.returncode == 0, show(p)
    assert b"duplicate" in p.stderr, show(p)
    assert srv.wait_closed(10)
    out = listing(spool)
    assert " uncertain " in out and "duplicate is possible" in out, out


def test_delete_all_counts_only_waiting_mails(spool, server):
    srv = server(Script())
    spool.rc(srv.port)
    assert spool.msmtp(BOB).returncode == 0
    assert srv.wait_closed(10)
    spool.rc(free_port())
    assert spool.msmtp("-odq", BOB).returncode == 0
    q = spool.queue("--delete", "ALL")
    assert q.returncode == 0, show(q)
    assert q.stdout == b"1 mail deleted.\n", show(q)
    assert "bob@example.net" in spool.queue("--list", "--sent").stdout.decode()


@pytest.mark.parametrize("action", ["--hold", "--release", "--retry",
                                    "--delete"])
def test_unknown_id_exit_code_consistent(spool, action):
    spool.rc(free_port())
    assert spool.msmtp("-odq", BOB).returncode == 0
    (mid,) = ID_RE.findall(listing(spool))
    if action == "--release":
        assert spool.queue("--hold", mid).returncode == 0
    q = spool.queue(action, mid, "NOSUCHMAIL00")
    assert q.returncode == 66, show(q)
    assert q.stderr.count(b"NOSUCHMAIL00") == 1, show(q)
    assert b"NOSUCHMAIL00: no such mail" in q.stderr, show(q)
    assert re.search(rb"^1 mail ", q.stdout, re.M), show(q)


def test_backoff_max_below_min_refused_at_load(spool):
    spool.rc(free_port(), extra="queue_backoff_min 2h\n"
             "queue_backoff_max 30m\n")
    for p in (spool.msmtp("-odq", BOB), spool.msmtp("-odq", "-a", "work",
                                                    BOB)):
        assert p.returncode == 78, show(p)
        assert (b"queue_backoff_max (1800 seconds) is less than "
                b"queue_backoff_min (7200 seconds)") in p.stderr, show(p)


def test_durations_take_units(spool):
    spool.rc(free_port(), extra="queue_backoff_min 30s\n"
             "queue_backoff_max 2h\nqueue_lifetime 7d\n"
             "queue_keep_sent 1d\n")
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == 0, show(p)
    spool.rc(free_port(), extra="queue_lifetime 2w\n")
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == 78, show(p)
    assert (b"invalid duration 2w for command queue_lifetime "
            b"(e.g. 30s, 5m, 2h, 7d)") in p.stderr, show(p)


def run_in(cwd, path, argv0, args, mail=None, env=None):
    """One of our programs run in the directory cwd."""
    return subprocess.run([argv0, *[str(a) for a in args]], executable=path,
                          input=mail, capture_output=True, env=env, cwd=cwd,
                          timeout=30)


def test_queue_file_tilde_is_home(spool, tmp_path):
    spool.rc(free_port())
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    home = spool.confdir.home
    p = run_in(cwd, spool.msmtp_path, "msmtp", ["-C", spool.rcfile, "-odq",
               "--queue-file=~/via-msmtp.db", BOB], mail=b"Subject: x\n\n",
               env=spool.env())
    assert p.returncode == 0, show(p)
    assert (home / "via-msmtp.db").exists()
    q = run_in(cwd, spool.queue_path, "msmtp-queue",
               ["--queue-file=~/via-queue.db", "--list"], env=spool.env())
    assert q.returncode == 0, show(q)
    assert (home / "via-queue.db").exists()
    assert not (cwd / "~").exists(), "a directory named ~ was made"
    q = run_in(cwd, spool.queue_path, "msmtp-queue",
               ["--queue-file=~nobody/q.db", "--list"], env=spool.env())
    assert q.returncode != 0 and b"give the full path" in q.stderr, show(q)
    assert not (cwd / "~nobody").exists()
    p = run_in(cwd, spool.msmtp_path, "msmtp", ["-C", spool.rcfile, "-odq",
               "--queue-file=~nobody/q.db", BOB], mail=b"Subject: x\n\n",
               env=spool.env())
    assert p.returncode != 0 and b"give the full path" in p.stderr, show(p)


def test_offline_flush_names_every_untried_mail(spool):
    spool.rc(free_port())
    for account in ("default", "default", "default", "work", "work"):
        p = spool.msmtp("-odq", "-a", account, BOB)
        assert p.returncode == 0, show(p)
    ids = ID_RE.findall(listing(spool))
    q = spool.queue("--flush")
    assert q.returncode == 75, show(q)
    out = q.stdout.decode()
    tried = re.findall(r"^([0-9A-Z]{12}) deferred: cannot connect", out,
                       re.M)
    assert len(tried) == 2, out           # one per account
    m = {a: line for a, line in re.findall(
        r"^account (\w+): (the server could not be reached.*)$", out, re.M)}
    assert set(m) == {"default", "work"}, out
    assert "2 other mails not tried" in m["default"], out
    assert "1 other mail not tried" in m["work"], out
    untried = set(re.findall(r"[0-9A-Z]{12}", " ".join(m.values())))
    assert untried | set(tried) == set(ids), out
    assert not untried & set(tried), out


def test_log_names_refused_recipients_and_bounce_null_sender(spool, server,
                                                             tmp_path):
    log = tmp_path / "msmtp.log"
    srv = server(Script(replies={"RCPT": {BOB: "550 5.1.1 no such user"}}))
    spool.rc(srv.port, extra=f"logfile {log}\nlogfile_time_format none\n")
    p = spool.msmtp("-odq", BOB, CAROL)
    assert p.returncode == 0, show(p)
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    assert srv.wait_closed(10)
    lines = log.read_text().splitlines()
    assert len(lines) == 2, lines
    first, bounce = lines
    # msmtp's fields first, as msmtp writes them, then ours.
    assert first.startswith("host=127.0.0.1 tls=off auth=off "
                            "from=alice@example.org recipients="
                            "bob@example.net,carol@example.net mailsize="), \
        first
    assert (" exitcode=EX_OK refused=bob@example.net refusedmsg='550 "
            "5.1.1 no such user' queueid=") in first, first
    assert bounce.startswith("host=127.0.0.1 tls=off auth=off from= "
                             "recipients=alice@example.org mailsize="), bounce
    assert "refused=" not in bounce, bounce


ALIAS_RC = """\
defaults
auth off
tls off
host 127.0.0.1
port {port}

account provider
from alice@example.org

account default : provider

account other
from olga@example.org
"""


def test_default_inherited_account_filtered_by_either_name(spool, server):
    srv = server(Script())
    spool.port = srv.port
    spool.confdir.write(ALIAS_RC.format(port=free_port()), path=spool.rcfile)
    for args in ([], ["-a", "provider"], ["-a", "other"]):
        p = spool.msmtp("-odq", *args, BOB)
        assert p.returncode == 0, show(p)
    mine = ID_RE.findall(listing(spool))[:2]
    for name in ("provider", "default"):
        p = spool.queue("--list", f"--account={name}")
        assert p.returncode == 0, show(p)
        assert ID_RE.findall(p.stdout.decode()) == mine, (name, show(p))
    q = spool.queue("--hold", "ALL", "--account=provider")
    assert q.returncode == 0 and q.stdout == b"2 mails held.\n", show(q)
    # Released, the mails take their accounts as the file now says.
    spool.confdir.write(ALIAS_RC.format(port=srv.port), path=spool.rcfile)
    q = spool.queue("--release", "ALL", "--account=default")
    assert q.returncode == 0 and b"2 mails released." in q.stdout, show(q)
    q = spool.queue("--flush", "--account=default")
    assert q.returncode == 0, show(q)
    assert srv.wait_closed(10)
    assert len(transactions(srv)) == 2, show(q)
    assert [m["state"] for m in spool.mails()] == ["sent", "sent", "queued"]
