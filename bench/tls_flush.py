#!/usr/bin/python3
"""TLS at speed: msmtp-queue flushing through Postfix's smtpd with TLS.

Starts a private Postfix (tests/integ/mta.py; its daemons with
GLIBC_TUNABLES=glibc.malloc.trim_threshold=67108864, without which a heap
trim pathology in smtpd after its first TLS session halves its speed)
whose smtpd offers STARTTLS with the test CA's certificate
(tests/integ/mta.py's TestCA) and relays every mail, before its queue
(smtpd_proxy_filter), to Postfix's smtp-sink. Then, for each session
count of --sessions (queue_max_connections), flushes --mails (default
5,000) 2 KB mails with `msmtp-queue --flush`, over plain SMTP and over
STARTTLS, --repeat (default 5) times each in turns, keeping the best:

  - TLS/plain throughput;
  - the runner's own CPU (user+sys) per mail with TLS and plain, and
    their ratio (target <= 1.1);
  - the TLS handshakes of each flush, full and resumed (the spool's
    tls_session counts). The first TLS flush starts from an empty spool
    (its first session makes a full handshake); each later one finds the
    session the one before kept, as a runner does from pass to pass.

Then a direct send over STARTTLS, our `msmtp --queue=off` against
Debian's msmtp with the same msmtprc, --sends (default 40) each in
alternating turns (median wall time per mail, and the sender's own
CPU; target: ours >= 8x faster). Ours runs with an existing spool, so it resumes the session of
the send before it; once also without one (every handshake full).

    bench/tls_flush.py [--mails 5000] [--sessions 1,4] [--repeat 5]
                       [--sends 40] [--build build] [--base build-base]
                       [--time-limit 600]

With --base, a second build (main's HEAD, say) flushes in turns with
--build's, the order reversed every other repeat, so that both meet the
same load: a before/after in one run. Within a pair, the TLS flush goes
first in repeats 2, 3, 6, 7, ... (the plain one in the others). Besides the ratio of the least CPU
of each kind, the table shows the median of each repeat's own TLS/plain
ratio (a plain and a TLS flush run back to back), which a burst of load
moves less. The first line says what TLS negotiated (--serverinfo).

Must run as root (Postfix's master). Spools are filled through SQL (one
mail spooled with msmtp -odq, copied), as bench/flush.py does.
"""

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "integ"))
from benchlib import REPO, Deadline, Sink, spawn_timed  # noqa: E402
from enqueue import FILL_SQL  # noqa: E402
import mta  # noqa: E402

REF = "/usr/bin/msmtp"
TUNABLES = "glibc.malloc.trim_threshold=67108864"

RC = """\
defaults
host 127.0.0.1
port {port}
auth off
from bench@example.org
{sessions}timeout 30

account default
{tls}
"""
TLS_ON = "tls on\ntls_starttls on\ntls_trust_file {ca}\n"
TLS_OFF = "tls off\n"


def start_postfix(work, sink_port):
    ca = mta.TestCA(work / "ca")
    root = mta.ensure_root(required=True)
    importenv = ("MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C "
                 f"LD_LIBRARY_PATH={root.shlib} "
                 f"SASL_PATH={root.sasl_plugins} GLIBC_TUNABLES={TUNABLES}")
    pf = mta.Postfix(work / "postfix", ca, root=root, extra_main={
        "import_environment": importenv,
        "smtpd_proxy_filter": f"127.0.0.1:{sink_port}",
        "smtpd_data_restrictions": "",
        "smtpd_tls_loglevel": "0",
        "smtpd_sasl_auth_enable": "no",
        "default_process_limit": "20",
    })
    pf.start()
    return pf, ca


def write_rc(path, port, sessions, ca):
    tls = TLS_ON.format(ca=ca.ca_cert) if ca is not None else TLS_OFF
    line = f"queue_max_connections {sessions}\n" if sessions else ""
    path.write_text(RC.format(port=port, sessions=line, tls=tls))
    path.chmod(0o600)
    return path


def make_spool(msmtp, rc, qf, env, mails, sessions_db=None):
    """A spool of `mails` 2 KB mails for rc's account; with the TLS
    sessions of sessions_db (an earlier flush's spool) copied in."""
    for f in (qf, Path(f"{qf}-wal"), Path(f"{qf}-shm")):
        f.unlink(missing_ok=True)
    body = (b"x" * 75 + b"\n") * 27
    p = subprocess.run([msmtp, "-C", str(rc), "--queue-file", str(qf),
                        "-odq", "sink@example.net"],
                       input=b"Subject: bench\n\n" + body, env=env,
                       capture_output=True, timeout=30)
    if p.returncode != 0:
        sys.exit(f"bench: msmtp -odq failed: {p.stderr.decode()}")
    subprocess.run(["sqlite3", str(qf)], input=FILL_SQL.format(n=mails - 1),
                   text=True, check=True, capture_output=True, timeout=120)
    if sessions_db is not None and sessions_db.exists():
        con = sqlite3.connect(qf)
        with con:
            con.execute("ATTACH ? AS old", (str(sessions_db),))
            con.execute("INSERT INTO tls_session (key, data, expires) "
                        "SELECT key, data, expires FROM old.tls_session")
        con.close()


def handshakes(qf):
    con = sqlite3.connect(qf)
    try:
        full, res = con.execute("SELECT total(full), total(resumed) "
                                "FROM tls_session").fetchone()
        left = con.execute("SELECT count(*) FROM mail WHERE state != 'sent'"
                           ).fetchone()[0]
    finally:
        con.close()
    return int(full), int(res), left


def flush(queue, rc, qf, env, deadline):
    r = spawn_timed([queue, "-C", str(rc), "--queue-file", str(qf),
                     "--flush"], os.open(os.devnull, os.O_RDONLY), env,
                    deadline.left())
    if not r.ok:
        sys.exit(f"bench: msmtp-queue --flush failed: {r.describe()}")
    full, res, left = handshakes(qf)
    if left:
        sys.exit(f"bench: {left} mails not sent")
    return r, full, res


def flush_plain(a, b, tmp, env, rc_plain, deadline):
    qp = tmp / "plain.db"
    make_spool(b.msmtp, rc_plain, qp, env, a.mails)
    deadline.check("flushing")
    rp, _, _ = flush(b.queue, rc_plain, qp, env, deadline)
    return rp


def flush_tls(a, b, tmp, env, sessions, rc_tls, last, deadline):
    qt = tmp / f"tls{sessions}.db"
    prev = tmp / "tls-prev.db"
    if last is not None:
        prev.unlink(missing_ok=True)
        last.rename(prev)
    make_spool(b.msmtp, rc_tls, qt, env, a.mails, prev)
    deadline.check("flushing")
    rt, full, res = flush(b.queue, rc_tls, qt, env, deadline)
    return rt, full, res, qt


def flush_pair(a, b, tmp, env, sessions, deadline, rc_plain, rc_tls, last,
               tls_first=False):
    """One plain and one TLS flush of fresh spools, back to back (TLS
    first if tls_first, so that a drifting load favours neither): (plain
    Result, TLS Result, full, resumed, the TLS spool); last: the spool of
    the TLS flush before."""
    if tls_first:
        rt, full, res, qt = flush_tls(a, b, tmp, env, sessions, rc_tls, last,
                                      deadline)
        rp = flush_plain(a, b, tmp, env, rc_plain, deadline)
    else:
        rp = flush_plain(a, b, tmp, env, rc_plain, deadline)
        rt, full, res, qt = flush_tls(a, b, tmp, env, sessions, rc_tls, last,
                                      deadline)
    return rp, rt, full, res, qt


def cpu(r):
    return r.utime + r.stime


def session_params(b, rc, env):
    """What TLS negotiates with this Postfix (msmtp --serverinfo's
    "TLS session parameters" line), or "unknown"."""
    p = subprocess.run([b.msmtp, "-C", str(rc), "--serverinfo"], env=env,
                       capture_output=True, text=True, timeout=30)
    lines = p.stdout.splitlines()
    for i, line in enumerate(lines[:-1]):
        if line.startswith("TLS session parameters"):
            return lines[i + 1].strip()
    return "unknown"


class Row:
    """One build's flushes at one session count."""

    def __init__(self):
        self.best_p = self.best_t = None
        self.cpu_p = self.cpu_t = None
        self.pairs, self.counts, self.last = [], [], None

    def add(self, rp, rt, full, res):
        self.counts.append(f"{full}/{res}")
        if self.best_p is None or rp.wall < self.best_p.wall:
            self.best_p = rp
        if self.best_t is None or rt.wall < self.best_t.wall:
            self.best_t = rt
        self.cpu_p = cpu(rp) if self.cpu_p is None else min(self.cpu_p,
                                                             cpu(rp))
        self.cpu_t = cpu(rt) if self.cpu_t is None else min(self.cpu_t,
                                                             cpu(rt))
        self.pairs.append(cpu(rt) / cpu(rp))


def flush_table(a, builds, tmp, env, pf, ca, deadline):
    """builds: [(label, Build)], run in turns (reversed every other
    repeat), so that the load of the machine falls on each alike."""
    print(f"== flush of {a.mails} mails of 2 KB through Postfix's smtpd "
          f"(TLS 1.3, proxy to smtp-sink), best of {a.repeat}")
    print(f"   negotiated: {session_params(builds[-1][1], write_rc(tmp / 'info.rc', pf.port, 0, ca), env)}")
    print(f"{'build':>6} {'sessions':>8} {'plain/s':>8} {'TLS/s':>8} "
          f"{'TLS/plain':>9} {'plain cpu/mail':>14} {'TLS cpu/mail':>12} "
          f"{'cpu ratio':>9} {'median of pairs':>15} "
          f"{'handshakes full/resumed per flush':>34}")
    verdicts = []
    rows = {label: None for label, _ in builds}
    for sessions in [int(s) for s in a.sessions.split(",")]:
        rc_plain = write_rc(tmp / f"plain{sessions}.rc", pf.port, sessions,
                            None)
        rc_tls = write_rc(tmp / f"tls{sessions}.rc", pf.port, sessions, ca)
        last = {label: (rows[label].last if rows[label] else None)
                for label, _ in builds}
        rows = {label: Row() for label, _ in builds}
        for i in range(a.repeat):
            for label, b in (builds if i % 2 == 0 else builds[::-1]):
                (tmp / label).mkdir(mode=0o700, exist_ok=True)
                rp, rt, full, res, last[label] = flush_pair(
                    a, b, tmp / label, env, sessions, deadline, rc_plain,
                    rc_tls, last[label], tls_first=(i // 2) % 2 == 1)
                rows[label].add(rp, rt, full, res)
        for label, _ in builds:
            r = rows[label]
            r.last = last[label]
            # CPU per mail: the least of the repeats (noise only adds).
            cp, ct = r.cpu_p / a.mails, r.cpu_t / a.mails
            ratio = ct / cp
            verdicts.append((label, sessions, ratio,
                             statistics.median(r.pairs)))
            print(f"{label:>6} {sessions:>8} {a.mails / r.best_p.wall:8.0f} "
                  f"{a.mails / r.best_t.wall:8.0f} "
                  f"{r.best_p.wall / r.best_t.wall:9.2f} "
                  f"{cp * 1e6:11.0f} us {ct * 1e6:9.0f} us {ratio:9.2f} "
                  f"{statistics.median(r.pairs):15.2f} "
                  f"{' '.join(r.counts):>34}", flush=True)
    for label, sessions, ratio, med in verdicts:
        print(f"target TLS cpu/mail <= 1.1x plain at {sessions} "
              f"session(s), {label}: {'met' if ratio <= 1.1 else 'NOT met'} "
              f"({ratio:.2f} by the least CPU of each; {med:.2f} by the "
              "median of pairs)")


def direct_sends(a, b, tmp, env, pf, ca, deadline):
    print(f"== direct send over STARTTLS, {a.sends} mails each, "
          "alternating; median ms per mail")
    rc = write_rc(tmp / "direct.rc", pf.port, 0, ca)    # msmtp's own
    mail = tmp / "direct.eml"
    mail.write_bytes(b"From: bench@example.org\nTo: sink@example.net\n"
                     b"Subject: direct\n\n" + (b"x" * 75 + b"\n") * 27)
    qf = tmp / "direct.db"
    make_spool(b.msmtp, rc, qf, env, 1)
    runs = {
        "ref": [REF, "-C", str(rc), "sink@example.net"],
        "ours --queue=off": [b.msmtp, "-C", str(rc), "--queue=off",
                             "sink@example.net"],
        "ours, spooled": [b.msmtp, "-C", str(rc), "--queue-file", str(qf),
                          "sink@example.net"],
    }
    times = {k: [] for k in runs}
    cpus = {k: [] for k in runs}
    for i in range(a.sends):
        deadline.check("direct sends")
        order = list(runs) if i % 2 == 0 else list(reversed(runs))
        for k in order:
            fd = os.open(mail, os.O_RDONLY)
            try:
                r = spawn_timed(runs[k], fd, env, 30)
            finally:
                os.close(fd)
            if not r.ok:
                sys.exit(f"bench: {k} failed: {r.describe()}")
            times[k].append(r.wall)
            cpus[k].append(cpu(r))
    full, res, _ = handshakes(qf)
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    for k, m in med.items():
        print(f"   {k:<16} {m:8.2f} ms   (ref / this = "
              f"{med['ref'] / m:5.1f}x)   its own CPU "
              f"{statistics.median(cpus[k]) * 1000:6.2f} ms")
    print(f"   ours, spooled: {full} full handshakes, {res} resumed")
    ratio = med["ref"] / med["ours --queue=off"]
    print(f"target ours >= 8x faster than msmtp: "
          f"{'met' if ratio >= 8 else 'NOT met'} ({ratio:.1f}x)")


class Build:
    def __init__(self, d):
        d = Path(d).resolve()
        self.msmtp, self.queue = str(d / "msmtp"), str(d / "msmtp-queue")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mails", type=int, default=5000)
    ap.add_argument("--sessions", default="1,4")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sends", type=int, default=40)
    ap.add_argument("--build", default=str(REPO / "build"))
    ap.add_argument("--base", default=None,
                    help="another build (e.g. main's HEAD) whose flushes "
                    "alternate with --build's in the same run")
    ap.add_argument("--time-limit", type=float, default=600)
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/tls_flush.py: Postfix's master must run as root")
    deadline = Deadline(a.time_limit)
    b = Build(a.build)
    # Postfix's daemons must reach their work directory: not 0700.
    work = Path(tempfile.mkdtemp(prefix="msmtp-tlsbench-"))
    work.chmod(0o711)
    root = mta.ensure_root(required=True)
    try:
        with Sink(root.root) as sink:
            pf, ca = start_postfix(work, sink.port)
            try:
                tmp = work / "client"
                tmp.mkdir(mode=0o700)
                env = {"HOME": str(tmp), "PATH": "/usr/bin:/bin",
                       "LC_ALL": "C", "TZ": "UTC"}
                print(f"bench/tls_flush.py: Postfix smtpd on port {pf.port}"
                      f" (GLIBC_TUNABLES={TUNABLES}), smtp-sink on "
                      f"{sink.port}; {os.cpu_count()} CPUs, load "
                      f"{os.getloadavg()[0]:.2f}")
                builds = [("base", Build(a.base))] if a.base else []
                flush_table(a, builds + [("ours", b)], tmp, env, pf, ca,
                            deadline)
                if a.sends > 0:
                    direct_sends(a, b, tmp, env, pf, ca, deadline)
            finally:
                pf.stop()
    finally:
        subprocess.run(["rm", "-rf", str(work)], timeout=60)


if __name__ == "__main__":
    t0 = time.monotonic()
    main()
    print(f"(bench/tls_flush.py took {time.monotonic() - t0:.0f} s)")
