"""msmtp without its delivery engine (delivery/engine.h): every mode
that runs an engine job now -- the direct send, --serverinfo, --rmqs --
says the engine cannot be loaded and exits EX_SOFTWARE, reaching no
server; a spooled mail stays in the spool, untried and unclaimed, and
msmtp exits 0.

msmtp is copied alone into a directory of the test's: the engine is
neither beside it nor at LIBEXECDIR's relative place. Skipped where an
engine is installed at the default LIBEXECDIR, which msmtp would find.
"""

import os
import shutil

import pytest

from conftest import Script
from test_spool import BOB, QUEUED_RE, Spool, read_spool, show

EX_OK, EX_SOFTWARE = 0, 70
INSTALLED = "/usr/local/lib/msmtp/msmtp-engine.so"
NO_ENGINE = b"msmtp: cannot load the delivery engine: "


@pytest.fixture
def lone(confdir, tmp_path):
    """A Spool whose msmtp has no engine to find."""
    if os.path.exists(INSTALLED):
        pytest.skip(f"an engine is installed at {INSTALLED}")
    s = Spool(confdir, tmp_path)
    (tmp_path / "bin").mkdir()
    s.msmtp_path = shutil.copy(s.msmtp_path, tmp_path / "bin" / "msmtp")
    return s


@pytest.mark.parametrize("args", [["--queue=off", BOB], ["--serverinfo"],
                                  ["--rmqs=example.org"]],
                         ids=["direct", "serverinfo", "rmqs"])
def test_no_engine_is_ex_software(lone, server, args):
    srv = server(Script())
    lone.rc(srv.port)
    p = lone.msmtp(*args, qf=False)
    assert p.returncode == EX_SOFTWARE, show(p)
    assert p.stderr.startswith(NO_ENGINE) and p.stderr.count(b"\n") == 1, \
        show(p)
    assert p.stdout == b"" and srv.sessions == [], show(p)


def test_no_engine_leaves_the_mail_queued(lone, server):
    srv = server(Script())
    lone.rc(srv.port)
    p = lone.msmtp(BOB)
    assert p.returncode == EX_OK, show(p)
    assert p.stderr.startswith(NO_ENGINE) and QUEUED_RE.search(p.stderr), \
        show(p)
    (row,) = read_spool(lone.qf)
    assert row["attempts"] == 0 and srv.sessions == [], row
    # never tried, so given back: not taken later for a mail that a
    # dead deliverer left (uncertain, held under queue_uncertain hold)
    assert row["state"] == "queued" and row["lease_owner"] is None, row
    q = lone.queue("--flush")
    assert q.returncode == EX_OK, show(q)
    (row,) = read_spool(lone.qf)
    assert row["state"] == "sent" and len(srv.sessions) == 1, row
