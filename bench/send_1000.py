#!/usr/bin/python3
"""Per-mail cost of one msmtp process: Debian's msmtp vs ours.

Starts Postfix's smtp-sink on 127.0.0.1 (from build/postfix-root, see
tests/postfix-setup.sh) and sends N single 2 KB mails (default 1000), one
process per mail, over plain SMTP: our build/msmtp with --queue=off and
/usr/bin/msmtp with the same msmtprc, in pairs whose order alternates
(ref,ours / ours,ref / ...) so that drift and caches hit both alike.
Wall time is measured from posix_spawn to wait4 (same overhead for both);
CPU time comes from each child's own rusage (wait4).

Ours runs in two modes, in the same rotation: --queue=off (msmtp's direct
send, "ours") and the default mode ("spool": spool the mail durably, send
it, record the delivery durably), into a spool of its own. The ratio
spool/ours is the price of durability (issue 21: target <= 1.25).

Then, if strace is installed, the system calls of one send in each mode
(--queue=off, default, -odq), averaged over --strace-runs sends: fsyncs
(fdatasync + fsync), opens, writes, reads and the total, side by side.
The -odq sends go to a spool of their own (they would otherwise be sent
along with the default mode's next mail).

With --base, another build's msmtp (main's, say) runs in the same
rotation in both modes ("base", "base-spool", the latter into a spool
of its own), and the ratios of ours to it are printed: a before/after
measured side by side, which load on a shared machine disturbs less
than two runs would.

Peak RSS is measured through GNU time (/usr/bin/time -f %M): for one 2 KB
send, and for one send of a 100 MB mail with each (--big-mb, 0 to skip),
whose wall time is shown too.

    bench/send_1000.py [--n 1000] [--size 2048] [--big-mb 100]
                       [--ours build/msmtp] [--time-limit 900]
                       [--no-spool] [--strace-runs 20] [--base PATH]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import (REPO, Deadline, Sink, postfix_root,  # noqa: E402
                      spawn_peak_rss, spawn_timed)

REF = "/usr/bin/msmtp"
SEND_TIMEOUT = 30           # one small mail
BIG_TIMEOUT = 300           # the big mail


def make_mail(path, size):
    head = (b"From: Bench <bench@example.org>\r\n"
            b"To: sink@example.net\r\n"
            b"Subject: bench\r\n"
            b"Date: Sun, 22 Nov 2026 00:00:00 +0000\r\n"
            b"Message-ID: <bench@example.org>\r\n\r\n")
    line = b"0123456789abcdefghijklmnopqrstuvwxyz" * 2 + b"\r\n"   # 74 B
    body = bytearray()
    while len(head) + len(body) < size:
        body += line
    data = head + bytes(body)
    data = data[:size - 2] + b"\r\n" if len(data) > size else data
    path.write_bytes(data)
    return len(data)


def make_big(path, mb):
    line = (b"The quick brown fox jumps over the lazy dog 0123456789 "
            b"ABCDEFGHIJ.\r\n")
    chunk = line * 8192
    with open(path, "wb") as f:
        f.write(b"From: bench@example.org\r\nTo: sink@example.net\r\n"
                b"Subject: big\r\n\r\n")
        left = mb * 1024 * 1024
        while left > 0:
            f.write(chunk[:left])
            left -= len(chunk)
    return path.stat().st_size


def stats(xs):
    xs = sorted(xs)
    return {"median": statistics.median(xs), "mean": statistics.fmean(xs),
            "p10": xs[len(xs) // 10], "p90": xs[(len(xs) * 9) // 10],
            "min": xs[0]}


# The syscalls shown per send, and how strace -c names them.
SYSCALL_GROUPS = (
    ("fsync", ("fdatasync", "fsync")),
    ("open", ("openat", "open")),
    ("stat", ("newfstatat", "fstat", "lstat", "stat", "statx")),
    ("write", ("pwrite64", "write", "writev", "sendto", "sendmsg")),
    ("read", ("pread64", "read", "readv", "recvfrom", "recvmsg")),
    ("fcntl", ("fcntl",)),
    ("mmap", ("mmap", "munmap", "mprotect")),
    ("truncate", ("ftruncate",)),
)


def strace_counts(argv, stdin, env, out):
    """{syscall: calls} of one run of argv (and its children) under
    strace -f -c; None if the run failed."""
    os.lseek(stdin, 0, os.SEEK_SET)
    r = subprocess.run(["strace", "-f", "-c", "-o", str(out), *argv],
                       stdin=stdin, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env=env,
                       timeout=SEND_TIMEOUT)
    if r.returncode != 0:
        return None
    counts = {}
    for line in out.read_text().splitlines():
        f = line.split()
        # % time, seconds, usecs/call, calls, [errors,] syscall
        if len(f) >= 5 and f[3].isdigit() and f[-1] != "total":
            counts[f[-1]] = int(f[3])
    return counts


def syscall_table(modes, stdin, env, tmp, runs):
    """Print the mean syscalls of one send in each mode: {name: argv}."""
    if shutil.which("strace") is None:
        print("\nstrace not found: no syscall counts (apt-get install "
              "strace)")
        return
    means = {}
    for name, argv in modes.items():
        total = {}
        for _ in range(runs):
            c = strace_counts(argv, stdin, env, tmp / "strace.out")
            if c is None:
                print(f"\nbench: {name} failed under strace")
                return
            for k, v in c.items():
                total[k] = total.get(k, 0) + v
        means[name] = {k: v / runs for k, v in total.items()}
    print(f"\nsystem calls per send (strace -f -c, mean of {runs} sends, "
          "the process and its threads)")
    print(f"{'':18}" + "".join(f"{g:>9}" for g, _ in SYSCALL_GROUPS) +
          f"{'all':>9}")
    for name, m in means.items():
        cells = [sum(m.get(k, 0) for k in names)
                 for _, names in SYSCALL_GROUPS]
        print(f"{name:18}" + "".join(f"{c:9.1f}" for c in cells) +
              f"{sum(m.values()):9.1f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="mails per client")
    ap.add_argument("--size", type=int, default=2048, help="mail bytes")
    ap.add_argument("--big-mb", type=int, default=100,
                    help="size of the big mail in MiB (0: skip)")
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--ours", default=str(REPO / "build" / "msmtp"))
    ap.add_argument("--ours-args", default="--queue=off")
    ap.add_argument("--ref", default=REF)
    ap.add_argument("--base", help="another build's msmtp, run alongside "
                    "in both modes (before/after)")
    ap.add_argument("--no-spool", action="store_true",
                    help="skip the default (spooling) mode")
    ap.add_argument("--strace-runs", type=int, default=20,
                    help="sends per mode under strace (0: skip)")
    ap.add_argument("--time-limit", type=float, default=900,
                    help="bound on the whole run, seconds")
    a = ap.parse_args()
    deadline = Deadline(a.time_limit)

    for path in (a.ref, a.ours, *([a.base] if a.base else [])):
        if not os.access(path, os.X_OK):
            sys.exit(f"bench: {path} is not executable (make?)")
    root = postfix_root()

    with tempfile.TemporaryDirectory(prefix="msmtp-bench-") as tmp, \
            Sink(root) as sink:
        tmp = Path(tmp)
        home = tmp / "home"
        home.mkdir()
        rc = tmp / "msmtprc"
        rc.write_text("defaults\n"
                      "syslog off\n"
                      "account bench\n"
                      "host 127.0.0.1\n"
                      f"port {sink.port}\n"
                      "tls off\n"
                      "auth off\n"
                      "from bench@example.org\n"
                      "account default : bench\n")
        os.chmod(rc, 0o600)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LC_ALL": "C",
               "TZ": "UTC", "TMPDIR": str(tmp)}
        mail = tmp / "mail"
        size = make_mail(mail, a.size)
        spool = tmp / "spool" / "queue.db"
        clients = {
            "msmtp": ["msmtp", "-C", str(rc)],
            "ours": ["msmtp", *a.ours_args.split(), "-C", str(rc)],
        }
        paths = {"msmtp": a.ref, "ours": a.ours}
        if not a.no_spool:
            clients["spool"] = ["msmtp", "--queue-file", str(spool), "-C",
                                str(rc)]
            paths["spool"] = a.ours
        if a.base:
            clients["base"] = ["msmtp", *a.ours_args.split(), "-C", str(rc)]
            paths["base"] = a.base
            if not a.no_spool:
                clients["base-spool"] = [
                    "msmtp", "--queue-file",
                    str(tmp / "spool-base" / "queue.db"), "-C", str(rc)]
                paths["base-spool"] = a.base
        tail = ["-f", "bench@example.org", "sink@example.net"]
        results = {k: [] for k in clients}

        fd = os.open(mail, os.O_RDONLY)

        def one(name, timeout=SEND_TIMEOUT, stdin=fd):
            os.lseek(stdin, 0, os.SEEK_SET)
            argv = [paths[name], *clients[name][1:], *tail]
            r = spawn_timed(argv, stdin, env, timeout)
            if not r.ok:
                errf = tmp / "stderr"
                with open(errf, "wb") as ef:
                    os.lseek(stdin, 0, os.SEEK_SET)
                    spawn_timed(argv, stdin, env, timeout, ef.fileno())
                sys.exit(f"bench: {name} failed ({r.describe()}): "
                         f"{errf.read_text(errors='replace').strip()}")
            return r

        print(f"smtp-sink 127.0.0.1:{sink.port}; {a.n} mails of {size} "
              f"bytes per client, one process each, in a rotating order; "
              f"ref={a.ref} ours={a.ours} {a.ours_args}"
              + ("" if a.no_spool else f"; spool=ours into {spool}"),
              flush=True)
        names = list(clients)
        for i in range(a.warmup):
            for name in names:
                one(name)
        t_start = time.monotonic()
        for i in range(a.n):
            # Each client takes each place in turn (and reversed every
            # other round), so drift and caches hit all alike.
            k = i % len(names)
            order = names[k:] + names[:k]
            if (i // len(names)) % 2:
                order.reverse()
            for name in order:
                results[name].append(one(name))
            if i % 100 == 99:
                deadline.check(f"mail {i + 1}")
        elapsed = time.monotonic() - t_start
        os.close(fd)

        print(f"\n{len(names) * a.n} sends in {elapsed:.1f}s\n")
        print(f"{'per mail':10} {'median':>9} {'mean':>9} {'p10':>9} "
              f"{'p90':>9} {'min':>9} {'cpu mean':>9}")
        summary = {}
        for name, rs in results.items():
            w = stats([r.wall * 1000 for r in rs])
            cpu = statistics.fmean((r.utime + r.stime) * 1000 for r in rs)
            summary[name] = (w, cpu)
            print(f"{name:10} {w['median']:7.2f}ms {w['mean']:7.2f}ms "
                  f"{w['p10']:7.2f}ms {w['p90']:7.2f}ms {w['min']:7.2f}ms "
                  f"{cpu:7.2f}ms")
        (wm, cm), (wo, co) = summary["msmtp"], summary["ours"]
        print(f"{'ours/msmtp':10} {wo['median'] / wm['median']:9.2f} "
              f"{wo['mean'] / wm['mean']:9.2f} {'':9} {'':9} {'':9} "
              f"{co / cm:9.2f}")
        if "spool" in summary:
            ws, cs = summary["spool"]
            print(f"{'spool/msmtp':10} {ws['median'] / wm['median']:9.2f} "
                  f"{ws['mean'] / wm['mean']:9.2f} {'':9} {'':9} {'':9} "
                  f"{cs / cm:9.2f}")
            r = ws["median"] / wo["median"]
            print(f"{'spool/ours':10} {r:9.2f} "
                  f"{ws['mean'] / wo['mean']:9.2f} {'':9} {'':9} {'':9} "
                  f"{cs / co:9.2f}")
            print(f"\ndefault mode / --queue=off (medians) = {r:.2f}   "
                  f"(target <= 1.25: {'met' if r <= 1.25 else 'NOT met'})")
        if "base" in summary:
            print(f"\nours / base ({a.base}), same rotation: median, "
                  "mean, cpu mean")
            for ours, base in (("ours", "base"), ("spool", "base-spool")):
                if base not in summary:
                    continue
                (w1, c1), (w0, c0) = summary[ours], summary[base]
                print(f"{ours + '/' + base:16} {w1['median'] / w0['median']:6.3f}"
                      f" {w1['mean'] / w0['mean']:6.3f} {c1 / c0:6.3f}")
            if "base-spool" in summary:
                wb, wbo = summary["base-spool"][0], summary["base"][0]
                print(f"base: default mode / --queue=off (medians) = "
                      f"{wb['median'] / wbo['median']:.2f}")

        if a.strace_runs > 0:
            deadline.check("strace")
            odq = tmp / "spool-odq" / "queue.db"
            modes = {"--queue=off": [a.ours, "--queue=off"],
                     "default (spool)": [a.ours, "--queue-file", str(spool)],
                     "-odq": [a.ours, "-odq", "--queue-file", str(odq)]}
            fd = os.open(mail, os.O_RDONLY)
            try:
                syscall_table({k: [*v, "-C", str(rc), *tail]
                               for k, v in modes.items()}, fd, env, tmp,
                              a.strace_runs)
            finally:
                os.close(fd)

        def rss(name, stdin, timeout):
            os.lseek(stdin, 0, os.SEEK_SET)
            argv = [paths[name], *clients[name][1:], *tail]
            r, kb = spawn_peak_rss(argv, stdin, env, timeout, tmp)
            if not r.ok:
                sys.exit(f"bench: {name} failed ({r.describe()})")
            return r, ("%.1f MB" % (kb / 1024)) if kb else "n/a"

        fd = os.open(mail, os.O_RDONLY)
        print("\npeak RSS, one 2 KB mail (GNU time %M): " + ", ".join(
            f"{name} {rss(name, fd, SEND_TIMEOUT)[1]}"
            for name in ("msmtp", "ours")))
        os.close(fd)

        if a.big_mb > 0:
            deadline.check("big mail")
            big = tmp / "big"
            bsize = make_big(big, a.big_mb)
            print(f"\none mail of {bsize / 1e6:.1f} MB ({a.big_mb} MiB body):")
            bfd = os.open(big, os.O_RDONLY)
            try:
                for name in ("ours", "msmtp"):
                    if deadline.left() < 5:
                        break
                    r, kb = rss(name, bfd, min(BIG_TIMEOUT, deadline.left()))
                    print(f"{name:10} wall {r.wall:7.2f}s  cpu "
                          f"{r.utime + r.stime:6.2f}s  peak RSS {kb}",
                          flush=True)
            finally:
                os.close(bfd)


if __name__ == "__main__":
    main()
