"""A spool that holds many mails (issue 21, "A million mails").

The figures (times, memory) are bench/million.py's; these tests check
the properties behind them: a small mail's bytes no longer take a page
of their own, an older spool gains the listing's index when it opens,
and the bytes of more sent mails than one transaction drops are all
gone after a pass.
"""

import json
import sqlite3
from pathlib import Path

from conftest import Script
from test_spool import BOB, connect, integrity, show

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
BODY = b"".join(b"line %04d of the body, some text to make it 2 KB\n" % i
                for i in range(39))
MAIL_2K = b"From: alice@example.org\nSubject: many\n\n" + BODY


def copy_mails(qf, n):
    """n copies of the spool's one mail, through SQL, as bench/ does:
    ids B00000000001..., one second apart, older than the original."""
    con = sqlite3.connect(str(qf))
    con.executescript(f"""
        BEGIN;
        CREATE TEMP TABLE seed AS SELECT * FROM mail LIMIT 1;
        WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k
                                WHERE i < {n})
        INSERT INTO mail (id, created, account, conffile, snapshot,
            envelope_from, message_id, size, state, next_attempt, subject)
        SELECT printf('B%011d', i), s.created - {n} - 1 + i, s.account,
            s.conffile, s.snapshot, s.envelope_from,
            printf('<copy.%d@example.org>', i), s.size, 'queued',
            s.next_attempt - {n}, s.subject
        FROM k, seed AS s;
        INSERT INTO rcpt (mail_id, idx, address)
            SELECT m.id, r.idx, r.address FROM mail AS m, rcpt AS r,
            seed AS s WHERE r.mail_id = s.id AND m.id >= 'B' AND m.id < 'C';
        INSERT INTO chunk (mail_id, seq, data)
            SELECT m.id, c.seq, c.data FROM mail AS m, chunk AS c,
            seed AS s WHERE c.mail_id = s.id AND m.id >= 'B' AND m.id < 'C';
        COMMIT;
        PRAGMA wal_checkpoint(TRUNCATE);
    """)
    con.close()


def file_size(qf):
    return sum(p.stat().st_size for p in (qf, Path(f"{qf}-wal"))
               if p.exists())


def test_small_mails_share_pages(spool, server):
    """2,000 mails of 2 KB: some 2.7 KB of file each, not a 4 KB page
    (4.4 KB) each."""
    spool.rc(server(Script()).port)
    p = spool.msmtp("-odq", BOB, mail=MAIL_2K)
    assert p.returncode == 0, show(p)
    copy_mails(spool.qf, 1999)
    con = connect(spool.qf)
    try:
        mails, data = con.execute("SELECT count(*), sum(size) "
                                  "FROM mail").fetchone()
    finally:
        con.close()
    assert mails == 2000 and data > 2000 * 2000
    per_mail = file_size(spool.qf) / mails
    assert per_mail < 3000, per_mail


def downgrade_before_0010(path):
    """What a spool was before 0010: no listing index (nor the hint
    column of 0011)."""
    con = sqlite3.connect(str(path))
    con.executescript("DROP INDEX mail_created; "
                      "ALTER TABLE mail DROP COLUMN hint; "
                      "PRAGMA user_version = 9;")
    con.close()


def test_older_spool_gains_the_listing_index(spool, server):
    spool.rc(server(Script()).port)
    for _ in range(3):
        p = spool.msmtp("-odq", BOB, mail=MAIL_2K)
        assert p.returncode == 0, show(p)
    copy_mails(spool.qf, 50)
    want = [m["id"] for m in json.loads(spool.queue("--list", "--json")
                                        .stdout)]
    downgrade_before_0010(spool.qf)
    q = spool.queue("--list", "--json")
    assert q.returncode == 0, show(q)
    assert [m["id"] for m in json.loads(q.stdout)] == want
    assert want[:2] == ["B00000000001", "B00000000002"]
    con = connect(spool.qf)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == len(
            list(SQL_DIR.glob("*.sql")))
        assert con.execute("SELECT count(*) FROM sqlite_schema WHERE "
                           "type = 'index' AND name = 'mail_created'"
                           ).fetchone() == (1,)
    finally:
        con.close()
    assert integrity(spool.qf) == (["ok"], [])


def test_pass_drops_the_bytes_of_every_sent_mail(spool, server):
    """More sent mails than one transaction drops (a thousand): none
    keeps its bytes, in the database or its WAL."""
    srv = server(Script())
    spool.rc(srv.port)
    p = spool.msmtp("-odq", BOB, mail=MAIL_2K)
    assert p.returncode == 0, show(p)
    copy_mails(spool.qf, 2100)
    q = spool.queue("--flush", timeout=300)
    assert q.returncode == 0, show(q)
    assert sum(bytes(s.raw).count(b"\r\n.\r\n")
               for s in srv.sessions) == 2101
    con = connect(spool.qf)
    try:
        assert con.execute("SELECT count(*) FROM chunk").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM mail WHERE state = "
                           "'sent'").fetchone() == (2101,)
    finally:
        con.close()
    for f in (spool.qf, Path(f"{spool.qf}-wal")):
        if f.exists():
            assert b"line 0037 of the body" not in f.read_bytes(), f
    assert integrity(spool.qf) == (["ok"], [])
