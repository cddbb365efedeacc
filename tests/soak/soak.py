#!/usr/bin/python3
"""The fault soak (make soak): mail enqueued without pause, delivered by
`msmtp-queue --daemon` to a server that fails at random, the daemon killed
-9 and restarted at random; then an invariant check.

The run, all on loopback, all bounded in time:
  - faultsmtpd.py (STARTTLS, AUTH PLAIN) injects faults at every stage:
    421 greeting, 4xx/5xx, drops before and after the final dot, stalls
    longer than the account's timeout, garbage instead of a TLS handshake,
    and "lost-250" (accepted, then the connection closed before the 250).
    It appends every mail it accepted to accepted.jsonl before replying.
  - --writers writers (writer.py) run msmtp, w1 and w2 with -odq, the
    third alternating -odq and interactive delivery, each mail with a
    unique Message-ID and envelope sender; each records msmtp's exit.
  - The daemon runs with queue_backoff_min 1, queue_backoff_max 4 and
    queue_lifetime 10^6, and is killed with SIGKILL every --kill-min to
    --kill-max seconds, except in the middle 40% of the run, so that one
    incarnation lives long enough to show whether its RSS grows; that one
    is stopped with SIGTERM (it must exit 0), and prints its duplicate
    window (MSMTP_QUEUE_STATS=1, src/runner/window.h) under load.
  - At the end the writers stop, the faults are turned off, the daemon
    gets --drain seconds to empty the queue and is stopped with SIGTERM
    (it must exit 0); held mails (AUTH or TLS refusals hold them, as a
    user would fix the account) are released and `msmtp-queue --flush`
    runs until nothing waits, within --drain seconds more.

How each mail msmtp accepted (exit 0) is counted, with D the number of
times the server accepted its Message-ID and the spool's final row (state,
and its `uncertain` flag, which once set is never cleared):
  - uncertain: the flag is set, whatever D. The spool sets it when the
    connection was lost after the final dot (the server may have taken the
    mail: lost-250, or a drop/stall after the dot), and when a runner takes
    back the mails a dead runner held (killed -9 between the server's 250
    and the commit of the record, or claimed ahead and never sent). These
    are exactly the mails that may be delivered twice, so a duplicate
    (D >= 2) is allowed only here; they are counted apart, by D.
  - delivered once: state sent, flag clear, D == 1.
  - failed: state failed (a 5xx), flag clear, D == 0.
  - VIOLATIONS, each must be 0: lost (no row in the spool, or the spool
    says sent and the server never took it), unmarked duplicate (D >= 2
    with the flag clear), failed but taken (state failed, flag clear,
    D >= 1), stuck (still waiting, held or in flight after the drain),
    spooled twice (two rows for one Message-ID).
A mail msmtp did not accept (non-zero exit) is only counted, by exit
code. Also checked: the daemon never ended on its own (a signal we did not
send, or an exit), no sanitizer report on any stderr, and the RSS of each
incarnation that lived at least --long seconds did not grow: the median of
its samples in the last tenth of its life against the median of those
between a quarter and a third of it (after warm-up), within
--rss-tolerance percent or 2 MiB, whichever is larger.

    soak.py --build build [--seconds 600] [--dir build/soak] [--writers 3]
            [--fault-rate 0.03] [--seed N]

Prints the counts; exits 1 when a check fails. Everything stays in --dir
(writers' and server's records, the spool, each daemon's stderr, the RSS
samples in rss.csv, the kills' times in kills.log).
"""

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
from check import check  # noqa: E402

PY = sys.executable
SANITIZER = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
             "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer")
TIMEOUT = 2          # the account's, seconds
STALL = 4            # the server's stall, longer than TIMEOUT

RC = """\
defaults
timeout {timeout}
tls on
tls_starttls on
tls_trust_file {ca}
queue_backoff_min 1
queue_backoff_max 4
queue_lifetime 1000000
queue_max_connections 3

account default
host 127.0.0.1
port {port}
from soak@example.org
auth plain
user soak
password soak-secret
"""


CERTTOOL = shutil.which("certtool") or "/usr/bin/certtool"


def make_pki(d):
    """A CA (ca.pem, the client's trust file) and its server certificate
    for 127.0.0.1 (server.pem, server.key), made with GnuTLS's certtool."""
    d.mkdir(mode=0o700)

    def tool(*args):
        subprocess.run([CERTTOOL, *args], check=True, timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    for name, tmpl in (("ca", 'cn = "soak CA"\nserial = 1\n'
                        'expiration_days = 2\nca\ncert_signing_key\n'),
                       ("server", 'cn = "localhost"\nserial = 2\n'
                        'expiration_days = 2\ndns_name = "localhost"\n'
                        'ip_address = "127.0.0.1"\ntls_www_server\n'
                        'signing_key\nencryption_key\n')):
        (d / f"{name}.tmpl").write_text(tmpl)
        tool("--generate-privkey", "--key-type=ecdsa", "--outfile",
             str(d / f"{name}.key"))
    tool("--generate-self-signed", "--load-privkey", str(d / "ca.key"),
         "--template", str(d / "ca.tmpl"), "--outfile", str(d / "ca.pem"))
    tool("--generate-certificate", "--load-privkey", str(d / "server.key"),
         "--load-ca-certificate", str(d / "ca.pem"), "--load-ca-privkey",
         str(d / "ca.key"), "--template", str(d / "server.tmpl"),
         "--outfile", str(d / "server.pem"))
    return d


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if v else None


class Incarnation:
    def __init__(self, n, proc, errpath):
        self.n, self.proc, self.errpath = n, proc, errpath
        self.start = time.monotonic()
        self.samples = []         # (t since start, kB)
        self.killed = False
        self.status = None

    def sample(self):
        kb = rss_kb(self.proc.pid)
        if kb is not None:
            self.samples.append((time.monotonic() - self.start, kb))

    def life(self):
        return self.samples[-1][0] if self.samples else 0.0

    def rss_growth(self):
        """(early kB, late kB) medians, or None when too few samples."""
        life = self.life()
        early = [kb for t, kb in self.samples if life / 4 <= t <= life / 3]
        late = [kb for t, kb in self.samples if t >= life * 0.9]
        if len(early) < 3 or len(late) < 3:
            return None
        return median(early), median(late)


class Soak:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.dir = Path(a.dir).resolve()
        self.build = Path(a.build).resolve()
        self.queue = str(self.build / "msmtp-queue")
        self.qf = str(self.dir / "queue.db")
        self.env = {"HOME": str(self.dir), "PATH": "/usr/bin:/bin",
                    "LC_ALL": "C", "TZ": "UTC"}
        self.incarnations = []
        self.windows = []       # (daemon n, its window lines)
        self.daemon = None
        self.kills = self.restarts = self.stops = 0
        self.problems = []
        self.server = self.writers = None

    # --- processes ---------------------------------------------------

    def start_server(self, pki):
        self.server = subprocess.Popen(
            [PY, str(HERE / "faultsmtpd.py"),
             "--record", str(self.dir / "accepted.jsonl"),
             "--stats", str(self.dir / "server-stats.json"),
             "--cert", str(pki / "server.pem"), "--key", str(pki / "server.key"),
             "--user", "soak", "--password", "soak-secret",
             "--fault-rate", str(self.a.fault_rate), "--stall", str(STALL),
             "--seed", str(self.rng.randrange(1 << 30))],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
            stderr=open(self.dir / "server.err", "w"))
        line = self.server.stdout.readline()     # blocks until it listens
        if not line.startswith("PORT "):
            sys.exit(f"soak: the server did not start: {line!r}")
        return int(line.split()[1])

    def start_daemon(self):
        n = len(self.incarnations) + 1
        errpath = self.dir / f"daemon-{n}.err"
        proc = subprocess.Popen(
            [self.queue, "-C", str(self.dir / "msmtprc"), "--queue-file",
             self.qf, "--daemon"], stdin=subprocess.DEVNULL,
            env=dict(self.env, MSMTP_QUEUE_STATS="1"),
            stdout=open(self.dir / f"daemon-{n}.out", "w"),
            stderr=open(errpath, "w"))
        self.daemon = Incarnation(n, proc, errpath)
        self.incarnations.append(self.daemon)

    def start_writers(self):
        self.writers = []
        for i in range(self.a.writers):
            mode = "mix" if i == 2 else "odq"
            self.writers.append(subprocess.Popen(
                [PY, str(HERE / "writer.py"), "--msmtp",
                 str(self.build / "msmtp"), "--rc",
                 str(self.dir / "msmtprc"), "--queue-file", self.qf,
                 "--name", f"w{i + 1}", "--out",
                 str(self.dir / f"writer-w{i + 1}.jsonl"), "--mode", mode,
                 "--interval", str(self.a.interval)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=open(self.dir / f"writer-w{i + 1}.err", "w")))

    def reap_daemon(self):
        """Whether the daemon ended; an end we did not cause is noted."""
        d = self.daemon
        if d is None or d.proc.poll() is None:
            return False
        d.status = d.proc.returncode
        if not (d.killed and d.status == -signal.SIGKILL):
            self.problems.append(f"daemon {d.n} (pid {d.proc.pid}) ended "
                                 f"on its own: status {d.status}; see "
                                 f"{d.errpath}")
        self.daemon = None
        return True

    def stop_daemon(self):
        """SIGTERM: the daemon must finish its transactions and exit 0
        within 30 s; its duplicate window (window.h) is kept."""
        d = self.daemon
        d.killed = True      # a status other than 0 is noted below
        self.stops += 1
        d.proc.send_signal(signal.SIGTERM)
        try:
            d.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.problems.append(f"daemon {d.n} ignored SIGTERM for 30 s")
            d.proc.kill()
            d.proc.wait()
        d.status = d.proc.returncode
        if d.status != 0:
            self.problems.append(f"daemon {d.n} exited {d.status} after "
                                 f"SIGTERM; see {d.errpath}")
        lines = [ln for ln in d.errpath.read_text(errors="replace")
                 .splitlines() if "window" in ln]
        self.windows.append((d.n, d.life(), lines))
        self.daemon = None

    def kill_daemon(self):
        d = self.daemon
        if d is None or d.proc.poll() is not None:
            return
        d.killed = True
        with open(self.dir / "kills.log", "a") as f:
            f.write(f"{time.time():.6f} SIGKILL daemon {d.n} pid "
                    f"{d.proc.pid}\n")
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait(timeout=30)
        self.kills += 1
        self.reap_daemon()

    # --- phases ------------------------------------------------------

    def run_faulty(self):
        a = self.a
        t0 = time.monotonic()
        end = t0 + a.seconds
        quiet = (t0 + 0.3 * a.seconds, t0 + 0.7 * a.seconds)
        next_kill = t0 + self.rng.uniform(a.kill_min, a.kill_max)
        restart_at = None
        in_quiet = False
        while time.monotonic() < end:
            now = time.monotonic()
            if self.daemon is not None:
                self.daemon.sample()
            if self.reap_daemon():
                restart_at = now + 0.5
            if self.daemon is None and restart_at is not None and \
                    now >= restart_at:
                self.start_daemon()
                self.restarts += 1
                restart_at = None
            if in_quiet and now >= quiet[1] and self.daemon is not None:
                self.stop_daemon()      # the long one: SIGTERM, under load
                restart_at = now
            in_quiet = quiet[0] <= now < quiet[1]
            if now >= next_kill and not in_quiet:
                self.kill_daemon()
                restart_at = now + self.rng.uniform(0, 1.5)
                next_kill = now + self.rng.uniform(a.kill_min, a.kill_max)
            for i, w in enumerate(self.writers):
                if w.poll() is not None:
                    sys.exit(f"soak: writer w{i + 1} died: {w.returncode}")
            time.sleep(0.25)    # the sampling period (a polled deadline)
        if self.daemon is None:
            self.start_daemon()
            self.restarts += 1

    def stop_writers(self):
        for w in self.writers:
            w.send_signal(signal.SIGTERM)
        for i, w in enumerate(self.writers):
            try:
                w.wait(timeout=150)
            except subprocess.TimeoutExpired:
                self.problems.append(f"writer w{i + 1} did not stop")
                w.kill()
                w.wait()

    def faults_off(self):
        self.server.send_signal(signal.SIGUSR1)
        line = self.server.stdout.readline()
        if line.strip() != "faults off":
            sys.exit(f"soak: the server did not turn faults off: {line!r}")

    def waiting(self):
        """Mails still to deliver (not held), or None if unreadable."""
        try:
            con = sqlite3.connect(f"file:{self.qf}?mode=ro", uri=True,
                                  timeout=10)
            n = con.execute("SELECT count(*) FROM mail WHERE state IN "
                            "('queued', 'deferred', 'uncertain', "
                            "'inflight')").fetchone()[0]
            con.close()
            return n
        except sqlite3.Error:
            return None

    def drain(self):
        """The daemon empties the queue, faults off, then stops; then
        held mails are released and flushed."""
        deadline = time.monotonic() + self.a.drain
        while time.monotonic() < deadline:
            self.daemon.sample()
            if self.reap_daemon():
                self.start_daemon()
                self.restarts += 1
            if self.waiting() == 0:
                break
            time.sleep(0.25)
        left = self.waiting()
        self.stop_daemon()
        base = [self.queue, "-C", str(self.dir / "msmtprc"), "--queue-file",
                self.qf]
        with open(self.dir / "flush.err", "w") as err:
            subprocess.run(base + ["--release", "ALL"], env=self.env,
                           stdout=subprocess.DEVNULL, stderr=err, timeout=60)
            flushes, rc = 0, None
            deadline = time.monotonic() + self.a.drain
            while time.monotonic() < deadline and rc != 0:
                r = subprocess.run(base + ["--flush"], env=self.env,
                                   stdout=subprocess.DEVNULL, stderr=err,
                                   timeout=max(1, deadline -
                                               time.monotonic()))
                rc = r.returncode
                flushes += 1
        return left, flushes, rc

    def stop_server(self):
        self.server.send_signal(signal.SIGTERM)
        self.server.wait(timeout=30)

    def cleanup(self):
        for p in ([self.daemon.proc] if self.daemon else []) + \
                 (self.writers or []) + ([self.server] if self.server else []):
            if p.poll() is None:
                p.kill()
                p.wait()

    # --- checks ------------------------------------------------------

    def sanitizer_reports(self):
        hits = []
        for f in sorted(self.dir.glob("*.err")):
            text = f.read_text(errors="replace")
            if any(s in text for s in SANITIZER):
                hits.append(str(f))
        for f in sorted(self.dir.glob("writer-*.jsonl")):
            text = f.read_text(errors="replace")
            if any(s in text for s in SANITIZER):
                hits.append(str(f))
        return hits

    def rss_report(self):
        """Lines about RSS, and the incarnations that grew."""
        grew, lines = [], []
        firsts = [i.samples[0][1] for i in self.incarnations if i.samples]
        lasts = [i.samples[-1][1] for i in self.incarnations if i.samples]
        if firsts:
            lines.append(("RSS first / last (kB)", f"{firsts[0]} / "
                          f"{lasts[-1]}"))
        for inc in self.incarnations:
            if inc.life() < self.a.long:
                continue
            g = inc.rss_growth()
            if g is None:
                continue
            early, late = g
            allowed = max(2048, early * self.a.rss_tolerance / 100)
            lines.append((f"RSS daemon {inc.n}, {inc.life():.0f} s: "
                          "early / late (kB)", f"{early} / {late}"))
            if late - early > allowed:
                grew.append(f"daemon {inc.n}: RSS {early} -> {late} kB")
        if not any(k.startswith("RSS daemon") for k, _ in lines):
            lines.append(("RSS growth", f"no incarnation lived "
                          f"{self.a.long:.0f} s: not checked"))
        return lines, grew

    def run(self):
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True, mode=0o700)
        pki = make_pki(self.dir / "pki")
        try:
            port = self.start_server(pki)
            rc = self.dir / "msmtprc"
            rc.write_text(RC.format(timeout=TIMEOUT, port=port,
                                    ca=pki / "ca.pem"))
            rc.chmod(0o600)
            self.start_daemon()
            self.start_writers()
            print(f"soak: {self.a.seconds:.0f} s of faults, "
                  f"{self.a.writers} writers, run in {self.dir}", flush=True)
            self.run_faulty()
            self.stop_writers()
            self.faults_off()
            left, flushes, flush_rc = self.drain()
            self.stop_server()
        finally:
            self.cleanup()
        with open(self.dir / "rss.csv", "w") as f:
            f.write("daemon,seconds,kB\n")
            for inc in self.incarnations:
                for t, kb in inc.samples:
                    f.write(f"{inc.n},{t:.2f},{kb}\n")
        counts, bad = check(str(self.dir))
        stats = json.loads((self.dir / "server-stats.json").read_text())
        rss_lines, grew = self.rss_report()
        sans = self.sanitizer_reports()
        rows = [("faults injected", sum(stats["injected"].values())),
                ("server sessions", stats["sessions"]),
                ("kills (SIGKILL)", self.kills),
                ("stops (SIGTERM, each must exit 0)", self.stops),
                ("restarts", self.restarts),
                ("waiting when the daemon stopped", left),
                (f"final --flush runs (last exit {flush_rc})", flushes)]
        rows += sorted(counts.items())
        rows += rss_lines
        for k, v in rows:
            print(f"  {k:48} {v}")
        for n, life, lines in self.windows:
            for ln in lines:
                print(f"  daemon {n} ({life:.0f} s): "
                      f"{ln.replace('msmtp-queue: ', '')}")
        inj = stats["injected"]
        print("  faults: " + ", ".join(f"{k} {inj[k]}" for k in sorted(inj)))
        failed = False
        for k, v in bad.items():
            for ex in v[:10]:
                print(f"VIOLATION {k}: {ex}")
            failed |= bool(v)
        for p in self.problems:
            print(f"PROBLEM {p}")
        for g in grew:
            print(f"PROBLEM RSS grew: {g}")
        for s in sans:
            print(f"PROBLEM sanitizer report in {s}")
        if flush_rc != 0:
            print(f"PROBLEM the final --flush still exits {flush_rc}")
        failed |= bool(self.problems or grew or sans or flush_rc != 0)
        print("soak: " + ("FAILED" if failed else "passed"))
        return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=str(REPO / "build"))
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--dir", default=None,
                    help="the run's files (default BUILD/soak)")
    ap.add_argument("--writers", type=int, default=3)
    ap.add_argument("--interval", type=float, default=0.05,
                    help="each writer's pause between mails")
    ap.add_argument("--fault-rate", type=float, default=0.03,
                    help="the probability of a fault at each stage")
    ap.add_argument("--kill-min", type=float, default=3)
    ap.add_argument("--kill-max", type=float, default=20)
    ap.add_argument("--drain", type=float, default=120,
                    help="seconds for the daemon, then for --flush")
    ap.add_argument("--long", type=float, default=30,
                    help="an incarnation this old has its RSS checked")
    ap.add_argument("--rss-tolerance", type=float, default=20,
                    help="percent")
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    if a.dir is None:
        a.dir = os.path.join(a.build, "soak")
    if a.seed is None:
        a.seed = random.randrange(1 << 30)
    print(f"soak: seed {a.seed}", flush=True)
    return Soak(a).run()


if __name__ == "__main__":
    sys.exit(main())
