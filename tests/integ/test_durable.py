"""Durability at no cost (issue 21): what msmtp's default mode and -odq
write to disk, and in what order, seen through strace.

The promises, as system calls of msmtp itself (strace -f -y):
  - the mail is durable before anything of it is sent: every write to
    the spool's -wal is followed by an fdatasync() of the -wal before the
    first MAIL FROM leaves;
  - the record of the delivery is durable before msmtp exits 0: at exit,
    no write to the -wal is left unsynced, unless the -wal was emptied
    (truncated) after the database holding its pages was fsynced;
and the cost: an open of an existing spool fsyncs no directory (the
-wal's name was made durable when it was created), a default-mode send
takes at most 3 fsyncs (6 before issue 21, 4 while SQLite fsynced the
header of an emptied -wal on its own) and an -odq at most 2 (one, plus
a checkpoint's two every few mails; 2 or 3 before), one alone into an
emptied -wal.

Also with a reader holding an old snapshot, so that the checkpoint after
the delivery record cannot copy the -wal: msmtp must then fdatasync the
-wal itself.

Skipped where strace is missing or cannot trace.
"""

import os
import re
import shutil
import sqlite3
import subprocess

import pytest

from conftest import RecordingServer, Script
from test_spool import MAIL, RUN_TIMEOUT, Spool, show

BOB = "bob@example.net"
SYSCALLS = "trace=pwrite64,write,writev,sendto,sendmsg,fsync,fdatasync,ftruncate"
# pid syscall(fd<path>, ...
CALL_RE = re.compile(r"^\d+\s+(?:<\.\.\. )?(\w+)\((\d+)<([^>]*)>(.*)$")


@pytest.fixture
def spool(confdir, tmp_path):
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed")
    return Spool(confdir, tmp_path)


def traced(sp, tmp_path, *args):
    """Run msmtp under strace; (CompletedProcess, [(call, path, rest)])
    in the order they started."""
    log = tmp_path / "strace.log"
    prefix = ["strace", "-f", "-qq", "-y", "-s", "32", "-o", str(log), "-e",
              SYSCALLS]
    p = sp.msmtp(*args, prefix=prefix)
    if p.returncode != 0 and b"ptrace" in p.stderr:
        pytest.skip("strace cannot trace here: " + p.stderr[:200].decode())
    calls = []
    for line in log.read_text().splitlines():
        m = CALL_RE.match(line)
        if m and "resumed>" not in line:
            calls.append((m.group(1), m.group(3), m.group(4)))
    return p, calls


def syncs(calls):
    return [c for c in calls if c[0] in ("fsync", "fdatasync")]


class Disk:
    """What of the spool is written but not yet fsynced, call by call."""

    def __init__(self, qf):
        self.db, self.wal = str(qf), str(qf) + "-wal"
        self.wal_dirty = self.db_dirty = False

    def step(self, call, path, rest):
        if call == "pwrite64" and path == self.wal:
            self.wal_dirty = True
        elif call == "pwrite64" and path == self.db:
            self.db_dirty = True
        elif call in ("fsync", "fdatasync") and path == self.wal:
            self.wal_dirty = False
        elif call in ("fsync", "fdatasync") and path == self.db:
            self.db_dirty = False
        elif call == "ftruncate" and path == self.wal and \
                rest.lstrip(", ").startswith("0)") and not self.db_dirty:
            # Emptied after a checkpoint made the database durable.
            self.wal_dirty = False


def check_promises(sp, calls, sent):
    disk = Disk(sp.qf)
    before_send = None
    for call, path, rest in calls:
        if sent and before_send is None and path.startswith("socket:") \
                and "MAIL FROM" in rest:
            before_send = disk.wal_dirty
        disk.step(call, path, rest)
    if sent:
        assert before_send is False, "MAIL FROM sent before the mail's " \
            "frames in the -wal were fsynced"
    assert not disk.wal_dirty, "msmtp exited with unsynced -wal writes"
    dirs = [c for c in syncs(calls) if c[1] == str(sp.qf.parent)]
    assert dirs == [], f"the spool's directory was fsynced: {dirs}"


def test_default_mode_durable_with_three_fsyncs(spool, tmp_path):
    with RecordingServer(Script()) as srv:
        spool.rc(srv.port)
        p = spool.msmtp("-odq", BOB)           # the spool exists
        assert p.returncode == 0, show(p)
        p = spool.queue("--flush")
        assert p.returncode == 0, show(p)
        for i in range(3):
            p, calls = traced(spool, tmp_path, BOB)
            assert p.returncode == 0, show(p)
            check_promises(spool, calls, sent=True)
            # The enqueue's commit, then the checkpoint's -wal and
            # database: the new -wal's header is not fsynced alone.
            assert len(syncs(calls)) <= 3, syncs(calls)
        assert srv.wait_closed()
    with sqlite3.connect(f"file:{spool.qf}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT state, count(*) FROM mail "
                          "GROUP BY state").fetchall()
    assert dict(rows) == {"sent": 4}, rows


def test_odq_durable_with_one_fsync(spool, tmp_path):
    spool.rc(1)        # never connected to: -odq
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == 0, show(p)
    counts = []
    for i in range(6):
        p, calls = traced(spool, tmp_path, "-odq", BOB)
        assert p.returncode == 0, show(p)
        check_promises(spool, calls, sent=False)
        counts.append(len(syncs(calls)))
    # One fdatasync of the -wal; a checkpoint (every few mails) adds the
    # database's and makes the -wal's its own.
    assert all(n <= 2 for n in counts), counts
    assert counts.count(1) >= 3, counts


def test_odq_into_an_emptied_wal_fsyncs_once(spool, tmp_path):
    """The -wal a checkpoint truncated holds no old frames: its new
    header is fsynced with the enqueue's commit, not on its own."""
    spool.rc(1)
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == 0, show(p)
    with sqlite3.connect(spool.qf) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert os.path.getsize(f"{spool.qf}-wal") == 0
    p, calls = traced(spool, tmp_path, "-odq", BOB)
    assert p.returncode == 0, show(p)
    check_promises(spool, calls, sent=False)
    wal = str(spool.qf) + "-wal"
    assert [c[1] for c in syncs(calls)] == [wal], syncs(calls)
    header = [c for c in calls if c[0] == "pwrite64" and c[1] == wal]
    assert header and header[0][2].rstrip().endswith(", 32, 0) = 32"), \
        header[:1]


def test_record_durable_when_a_reader_blocks_the_checkpoint(spool, tmp_path):
    with RecordingServer(Script()) as srv:
        spool.rc(srv.port)
        p = spool.msmtp("-odq", BOB)
        assert p.returncode == 0, show(p)
        p = spool.queue("--flush")
        assert p.returncode == 0, show(p)
        # A reader on the spool as it is now: msmtp's checkpoint after its
        # record cannot copy the -wal past it (it waits, then gives up).
        reader = sqlite3.connect(f"file:{spool.qf}?mode=ro", uri=True,
                                 isolation_level=None)
        try:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM mail").fetchone()
            p, calls = traced(spool, tmp_path, BOB)
        finally:
            reader.close()
        assert p.returncode == 0, show(p)
        assert srv.wait_closed()
    check_promises(spool, calls, sent=True)
    with sqlite3.connect(f"file:{spool.qf}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT state, count(*) FROM mail "
                          "GROUP BY state").fetchall()
    assert dict(rows) == {"sent": 2}, rows
