#!/usr/bin/python3
"""Per-mail cost of one msmtp process: Debian's msmtp vs ours.

Starts Postfix's smtp-sink on 127.0.0.1 (from build/postfix-root, see
tests/postfix-setup.sh) and sends N single 2 KB mails (default 1000), one
process per mail, over plain SMTP: our build/msmtp with --queue=off and
/usr/bin/msmtp with the same msmtprc, in pairs whose order alternates
(ref,ours / ours,ref / ...) so that drift and caches hit both alike.
Wall time is measured from posix_spawn to wait4 (same overhead for both);
CPU time comes from each child's own rusage (wait4).

Peak RSS is measured through GNU time (/usr/bin/time -f %M): for one 2 KB
send, and for one send of a 100 MB mail with each (--big-mb, 0 to skip),
whose wall time is shown too.

    bench/send_1000.py [--n 1000] [--size 2048] [--big-mb 100]
                       [--ours build/msmtp] [--time-limit 900]
"""

import argparse
import os
import statistics
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
    ap.add_argument("--time-limit", type=float, default=900,
                    help="bound on the whole run, seconds")
    a = ap.parse_args()
    deadline = Deadline(a.time_limit)

    for path in (a.ref, a.ours):
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
        clients = {
            "msmtp": ["msmtp", "-C", str(rc)],
            "ours": ["msmtp", *a.ours_args.split(), "-C", str(rc)],
        }
        paths = {"msmtp": a.ref, "ours": a.ours}
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
              f"bytes per client, one process each, alternating pairs; "
              f"ref={a.ref} ours={a.ours} {a.ours_args}", flush=True)
        for i in range(a.warmup):
            one("msmtp")
            one("ours")
        t_start = time.monotonic()
        for i in range(a.n):
            order = ("msmtp", "ours") if i % 2 == 0 else ("ours", "msmtp")
            for name in order:
                results[name].append(one(name))
            if i % 100 == 99:
                deadline.check(f"mail {i + 1}")
        elapsed = time.monotonic() - t_start
        os.close(fd)

        print(f"\n{2 * a.n} sends in {elapsed:.1f}s\n")
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
