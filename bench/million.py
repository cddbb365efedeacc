#!/usr/bin/python3
"""A million queued mails (issue 21): how the spool holds up as it grows.

For each size of --sizes (default 10000,100000,1000000) a spool of that
many 2 KB mails is built the way bench/enqueue.py builds its big one: one
real `msmtp -odq`, its rows then copied with SQL (sqlite3 CLI), not a
million processes. Ten of them are moved to a second account, "other",
for --list --account. Then, printed against its target:

  enqueue    median `msmtp -odq` into that spool against an empty one
             (interleaved runs), target within 20%; its CPU too, which
             the others' load on a shared machine disturbs less;
  --list, --list --json, --status, --list --account other
             wall time and peak RSS of msmtp-queue, targets 3 s, 5 s,
             0.2 s, 0.2 s, and under 32 MB each;
  file       the spool's size (database + WAL) with every mail queued,
             against the mails' bytes + 15% + 200 bytes a mail, and
             where those bytes go: each table's and index's share, and
             how much of its pages is unused (SQLite's dbstat);
  flush      msmtp-queue --flush of them all (one session) to Postfix's
             smtp-sink, whose running counter (-c) gives the rate of the
             first and the last 10% of the mails, both from the first
             mail counted (the pass's start-up is shown on its own):
             target, the last at least as fast as the first (within 10%:
             noise), and the file size after the pass, and the flush's
             peak RSS. Then each tenth of the mails on its own line: its
             rate, the runner's CPU per mail (/proc, sampled every 0.02 s),
             the WAL's size, and the CPUs the rest of the machine kept
             busy meanwhile (smtp-sink included): on a shared machine the
             rate follows the others' load, the CPU per mail much less.

Not a test: it prints figures, and exits 0 whatever they are. Each size's
files are deleted before the next (a 1M spool takes some 2.5 GB).

Usage: /usr/bin/python3 bench/million.py [--sizes 10000,100000]
       [--build DIR] [--runs N] [--dir DIR] [--no-flush | --flush-only]
       [--time-limit S]
"""

import argparse
import os
import re
import select
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import (REPO, Deadline, postfix_env, postfix_root,  # noqa
                      free_port, spawn_peak_rss, spawn_timed,
                      wait_port)
from enqueue import FILL_SQL  # noqa: E402

RC = """\
defaults
auth off
tls off
from alice@example.org

account default
host 127.0.0.1
port {port}
queue_max_connections 1

account other
host 127.0.0.1
port {port}
"""

BODY = b"".join(b"line %04d of the body, some text to make it 2 KB\n" % i
                for i in range(39))
MAIL = (b"From: Alice <alice@example.org>\nTo: bob@example.net\n"
        b"Subject: bench\nMessage-ID: <bench@example.org>\n\n" + BODY)
MB = 1024 * 1024
RSS_TARGET_KB = 32 * 1024


def verdict(ok):
    return "met" if ok else "NOT met"


class Spool:
    """One size's work: the spool, the msmtprc, the environment."""

    def __init__(self, a, work, port):
        build = Path(a.build).resolve()
        self.msmtp = str(build / "msmtp")
        self.queue = str(build / "msmtp-queue")
        self.work = work
        self.home = work / "home"
        self.home.mkdir(parents=True)
        self.env = {"HOME": str(self.home), "PATH": "/usr/bin:/bin",
                    "LC_ALL": "C", "TZ": "UTC"}
        self.rc = work / "msmtprc"
        self.rc.write_text(RC.format(port=port))
        self.rc.chmod(0o600)
        self.mail = work / "mail"
        self.mail.write_bytes(MAIL)
        self.deadline = Deadline(a.time_limit)

    def enqueue(self, qf):
        with open(self.mail, "rb") as f:
            r = spawn_timed([self.msmtp, "-C", str(self.rc), "--queue-file",
                             str(qf), "-odq", "bob@example.net"], f.fileno(),
                            self.env, 60)
        if not r.ok:
            sys.exit(f"bench: msmtp -odq failed: {r.describe()}")
        return r

    def runner(self, qf, *args, ok=(0, 75, 78)):
        """Result of msmtp-queue args (stdout to /dev/null), its maxrss_kb
        the program's own (through GNU time: see spawn_peak_rss())."""
        r, kb = spawn_peak_rss([self.queue, "-C", str(self.rc),
                                "--queue-file", str(qf), *args],
                               os.open(os.devnull, os.O_RDONLY), self.env,
                               self.deadline.left(), self.work)
        if not os.WIFEXITED(r.status) or os.WEXITSTATUS(r.status) not in ok:
            sys.exit(f"bench: msmtp-queue {' '.join(args)} failed: "
                     f"{r.describe()}")
        r.maxrss_kb = kb if kb is not None else r.maxrss_kb
        return r


def file_bytes(qf):
    return sum(p.stat().st_size for p in (qf, Path(f"{qf}-wal"))
               if p.exists())


def fill(s, qf, n):
    """A spool of n mails: one enqueued, n - 1 copied; ten moved to
    account other."""
    s.enqueue(qf)
    sql = FILL_SQL.format(n=n - 1).replace(
        "COMMIT;", "UPDATE mail SET account = 'other' WHERE id IN (SELECT id "
        "FROM mail ORDER BY id LIMIT 10);\nCOMMIT;")
    t0 = time.monotonic()
    subprocess.run(["sqlite3", str(qf)], input=sql, text=True, check=True,
                   capture_output=True, timeout=s.deadline.left())
    # The fill writes without syncing (synchronous = OFF): until the
    # kernel has written its gigabytes back, the first checkpoint's
    # fsync of the spool waits for them, and each fdatasync queues
    # behind them (+33% on the enqueue's median at 1M). Written back
    # now, the figures measure the spool, not the fill.
    fd = os.open(qf, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return time.monotonic() - t0


def enqueue_figure(s, qf, runs):
    empty = s.work / "empty" / "queue.db"
    s.enqueue(empty)
    wall = {"empty": [], "full": []}
    cpu = {"empty": [], "full": []}
    for i in range(runs + 2):
        for name, f in (("empty", empty), ("full", qf)):
            r = s.enqueue(f)
            if i >= 2:
                wall[name].append(r.wall)
                cpu[name].append(r.utime + r.stime)
    me = statistics.median(wall["empty"]) * 1000
    mf = statistics.median(wall["full"]) * 1000
    d = (mf / me - 1) * 100
    ce = statistics.median(cpu["empty"]) * 1000
    cf = statistics.median(cpu["full"]) * 1000
    print(f"  enqueue: empty {me:.2f} ms, full {mf:.2f} ms: {d:+.1f}% "
          f"(target within 20%: {verdict(abs(d) <= 20)}); CPU empty "
          f"{ce:.2f} ms, full {cf:.2f} ms: {(cf / ce - 1) * 100:+.1f}%",
          flush=True)


def command_figures(s, qf):
    checks = [("--list", 3.0), ("--list --json", 5.0), ("--status", 0.2),
              ("--list --account other", 0.2)]
    for args, target in checks:
        best = None
        for _ in range(2):
            r = s.runner(qf, *args.split())
            if best is None or r.wall < best.wall:
                best = r
        print(f"  {args:24s} {best.wall:7.3f} s (target < {target} s: "
              f"{verdict(best.wall < target)}), peak RSS "
              f"{best.maxrss_kb / 1024:5.1f} MB (< 32 MB: "
              f"{verdict(best.maxrss_kb < RSS_TARGET_KB)})", flush=True)


def size_figure(qf, n, when):
    con = sqlite3.connect(qf)
    mails, data = con.execute("SELECT count(*), coalesce(sum(size), 0) "
                              "FROM mail WHERE state <> 'sent'").fetchone()
    page = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    have = file_bytes(qf)
    budget = data * 1.15 + 200 * mails
    print(f"  file {when}: {have / MB:8.1f} MB for {mails} mails of "
          f"{data / MB:.1f} MB ({have / max(mails, 1):.0f} B a mail, "
          f"page {page}); budget {budget / MB:.1f} MB: "
          f"{verdict(have <= budget) if mails else '-'}", flush=True)
    if mails and when == "queued":
        where_bytes_go(qf, mails)


DBSTAT_SQL = """SELECT name, sum(pgsize), sum(payload), sum(unused)
FROM dbstat GROUP BY name ORDER BY sum(pgsize) DESC;"""


def where_bytes_go(qf, mails):
    """Each table's and index's file bytes a mail, and the share of its
    pages left unused, from SQLite's dbstat table (Debian's sqlite3 CLI
    has it; Python's module may not). Tables of one page are left out."""
    try:
        out = subprocess.run(["sqlite3", "-readonly", "-separator", " ",
                              str(qf), DBSTAT_SQL], capture_output=True,
                             text=True, timeout=600, check=True).stdout
    except (OSError, subprocess.SubprocessError) as e:
        print(f"  (no dbstat: {e})")
        return
    rows = [line.split() for line in out.splitlines() if line]
    rows = [(name, int(b), int(p), int(u)) for name, b, p, u in rows
            if int(b) > 65536]
    print("  where the bytes go (a mail: file, payload; unused):")
    for name, b, p, u in rows:
        print(f"    {name:26s} {b / mails:7.1f} B {p / mails:7.1f} B "
              f"{100 * u / b:5.1f}%")


class CountingSink:
    """Postfix's smtp-sink with -c: the time each mail was counted."""

    def __init__(self, root):
        self.port = free_port()
        argv = [str(root / "usr" / "sbin" / "smtp-sink"), "-c", "-a"]
        if os.geteuid() == 0:
            argv += ["-u", "nobody"]
        argv += [f"127.0.0.1:{self.port}", "1024"]
        self.proc = subprocess.Popen(argv, env=postfix_env(root),
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     start_new_session=True)
        self.stamps = []        # (monotonic, mails so far)
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()
        wait_port(self.port, self.proc)

    def read(self):
        tail = b""
        fd = self.proc.stdout.fileno()
        while True:
            r, _, _ = select.select([fd], [], [], 1)
            if not r:
                if self.proc.poll() is not None:
                    return
                continue
            data = os.read(fd, 65536)
            if not data:
                return
            now = time.monotonic()
            parts = re.split(rb"[\r\n]", tail + data)
            tail = parts.pop()
            for p in reversed(parts):
                nums = re.findall(rb"\d+", p)
                if nums:
                    self.stamps.append((now, int(nums[-1])))
                    break

    def mails(self):
        return self.stamps[-1][1] if self.stamps else 0

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.reader.join(5)


def when_reached(stamps, count):
    for t, c in stamps:
        if c >= count:
            return t
    return None


def find_runner(queue, qf):
    """The pid of the msmtp-queue --flush on qf (GNU time's child), or
    None."""
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            argv = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[0] == queue.encode() and str(qf).encode() in argv and \
                b"--flush" in argv:
            return int(d.name)
    return None


def machine_ticks():
    """(busy, steal, all) clock ticks of the whole machine so far."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    steal = v[7] if len(v) > 7 else 0
    return sum(v[:8]) - idle - steal, steal, sum(v[:8])


def cpu_seconds(pid):
    """utime + stime of pid so far (its threads included), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class FlushSampler:
    """Every 0.02 s while the flush runs: the runner's CPU time, the WAL's
    size and the machine's load, each stamped with the sink's count, so
    that each tenth of the mails gets its own rate and CPU per mail."""

    def __init__(self, s, qf, sink, base):
        self.s, self.qf, self.sink, self.base = s, qf, sink, base
        # (monotonic, counted, cpu s, wal bytes, machine_ticks())
        self.samples = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        pid = None
        deadline = time.monotonic() + 10
        while pid is None and not self.done.is_set() and \
                time.monotonic() < deadline:
            pid = find_runner(self.s.queue, self.qf)
            self.done.wait(0.02)
        wal = Path(f"{self.qf}-wal")
        while pid is not None and not self.done.wait(0.02):
            cpu = cpu_seconds(pid)
            if cpu is None:
                break
            try:
                walsz = wal.stat().st_size
            except OSError:
                walsz = 0
            self.samples.append((time.monotonic(),
                                 self.sink.mails() - self.base, cpu, walsz,
                                 machine_ticks()))

    def stop(self):
        self.done.set()
        self.thread.join(5)

    def at(self, count):
        """(time, runner CPU, machine ticks) when the sink reached count,
        interpolated between the samples either side, or None."""
        before = None
        for x in self.samples:
            if x[1] >= count:
                if before is None or x[1] == before[1]:
                    return x[0], x[2], x[4]
                f = (count - before[1]) / (x[1] - before[1])
                return (before[0] + f * (x[0] - before[0]),
                        before[2] + f * (x[2] - before[2]),
                        tuple(p + f * (q - p)
                              for p, q in zip(before[4], x[4])))
            before = x
        return None

    def deciles(self, n):
        """Per tenth of n mails: (rate/s, CPU ms a mail, max WAL MB, the
        machine's busy CPUs besides the runner, steal %)."""
        hz = os.sysconf("SC_CLK_TCK")
        out = []
        for k in range(10):
            lo, hi = n * k // 10, n * (k + 1) // 10
            a, b = self.at(max(lo, 1)), self.at(hi)
            if a is None or b is None or b[0] <= a[0]:
                out.append(None)
                continue
            mails = hi - max(lo, 1)
            dt = b[0] - a[0]
            cpu = b[1] - a[1]
            walmax = max((x[3] for x in self.samples if lo <= x[1] <= hi),
                         default=0)
            busy = (b[2][0] - a[2][0]) / hz
            steal = (b[2][1] - a[2][1]) / max(b[2][2] - a[2][2], 1)
            out.append((mails / dt, cpu * 1000 / mails, walmax / MB,
                        (busy - cpu) / dt, steal * 100))
        return out


def print_deciles(deciles):
    print("  flush by tenth of the mails (rate, runner CPU a mail, WAL "
          "max, CPUs busy besides the runner, steal):")
    for k, d in enumerate(deciles):
        if d is None:
            print(f"    {k + 1:2d}: -")
            continue
        print(f"    {k + 1:2d}: {d[0]:7.0f}/s  {d[1]:6.3f} ms  "
              f"{d[2]:6.1f} MB  {d[3]:4.2f}  {d[4]:4.1f}%")
    if deciles[0] and deciles[-1]:
        ratio = deciles[-1][1] / deciles[0][1]
        print(f"  flush: CPU a mail, last/first tenth {ratio:.2f} (target "
              f"<= 1.1, the rate's with less of the machine's other load "
              f"in it: {verdict(ratio <= 1.1)}); the rest of the machine "
              f"kept {deciles[0][3]:.2f} CPUs busy in the first tenth, "
              f"{deciles[-1][3]:.2f} in the last", flush=True)


def flush_figure(s, qf, n, sink):
    base = sink.mails()
    sampler = FlushSampler(s, qf, sink, base)
    start = time.monotonic()
    load = os.getloadavg()[0]
    try:
        r = s.runner(qf, "--flush", ok=(0,))
    finally:
        sampler.stop()
    deadline = time.monotonic() + 10
    while sink.mails() < base + n and time.monotonic() < deadline:
        time.sleep(0.05)
    stamps = [(t, c - base) for t, c in sink.stamps if c > base]
    tenth = n // 10
    t1 = when_reached(stamps, tenth)
    t9 = when_reached(stamps, n - tenth)
    tn = when_reached(stamps, n)
    if None in (t1, t9, tn):
        print(f"  flush: the sink counted {sink.mails() - base} of {n}")
        return
    # The pass's start (the process, the spool opened, every waiting
    # mail read) is paid once; the rate is measured from the first mail
    # the sink counted, and the start-up shown on its own.
    t0 = stamps[0][0]
    first = (tenth - stamps[0][1]) / max(t1 - t0, 1e-6)
    last = tenth / max(tn - t9, 1e-6)
    print(f"  flush: {n} mails in {r.wall:.1f} s ({n / r.wall:.0f}/s), "
          f"cpu {r.utime + r.stime:.1f} s, peak RSS "
          f"{r.maxrss_kb / 1024:.1f} MB (< 32 MB: "
          f"{verdict(r.maxrss_kb < RSS_TARGET_KB)}); load before "
          f"{load:.1f}, after {os.getloadavg()[0]:.1f}")
    print(f"  flush: the first mail counted {t0 - start:.2f} s in, the last "
          f"{tn - start:.1f} s in; the pass ended "
          f"{r.wall - (tn - start):.1f} s later (the sent mails' bytes "
          "dropped)")
    print_deciles(sampler.deciles(n))
    print(f"  flush: first 10% {first:.0f}/s, last 10% {last:.0f}/s: "
          f"last/first {last / first:.2f} (target >= 0.9: "
          f"{verdict(last >= 0.9 * first)}); counted from the start: "
          f"first 10% {tenth / (t1 - start):.0f}/s", flush=True)


def one_size(a, n, root):
    work = Path(tempfile.mkdtemp(prefix="msmtp-million-", dir=a.dir))
    sink = CountingSink(root) if not a.no_flush else None
    try:
        s = Spool(a, work, sink.port if sink else free_port())
        qf = work / "spool" / "queue.db"
        took = fill(s, qf, n)
        print(f"== {n} mails (filled through SQL, synced, in {took:.1f} s)",
              flush=True)
        size_figure(qf, n, "queued")
        if not a.flush_only:
            enqueue_figure(s, qf, a.runs)
            command_figures(s, qf)
        if sink:
            n_all = sqlite3.connect(qf).execute(
                "SELECT count(*) FROM mail WHERE state <> 'sent'"
            ).fetchone()[0]
            flush_figure(s, qf, n_all, sink)
            print(f"  file after the flush: {file_bytes(qf) / MB:.1f} MB "
                  "(the sent mails' records)", flush=True)
    finally:
        if sink:
            sink.stop()
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--build", default=os.environ.get("MSMTP_BUILD") or
                    str(REPO / "build"))
    ap.add_argument("--runs", type=int, default=21,
                    help="enqueues into each spool (median)")
    ap.add_argument("--dir", help="where to work (its disk is measured)")
    ap.add_argument("--no-flush", action="store_true")
    ap.add_argument("--flush-only", action="store_true",
                    help="the file size and the flush, nothing else (to "
                    "see the flush's shape again)")
    ap.add_argument("--time-limit", type=float, default=3600,
                    help="seconds, per size")
    a = ap.parse_args()
    root = postfix_root()
    print(f"bench/million.py: build {Path(a.build).resolve()}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    for n in [int(x) for x in a.sizes.split(",")]:
        one_size(a, n, root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
