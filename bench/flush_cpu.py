#!/usr/bin/python3
"""CPU per mail of msmtp-queue --flush, two builds side by side.

Spools --mails (default 10,000) mails of --size bytes of body (default
2 KB) with `msmtp -odq` of each build into a spool of that build's own
(so that what a build changes in the spool's format, its page size say,
is measured with it), then, --rounds times (default 5), flushes a copy
of its spool to Postfix's smtp-sink on 127.0.0.1 with each build of
--builds in turn, for each session count of
--sessions (queue_max_connections), and takes the runner's own user+sys
CPU time from wait4(). Prints, per build and session count, the median
and the least CPU seconds per 10,000 mails, the median mails/s, and the
ratio of each build's median to the first build's.

The builds alternate within each round, so that what else the machine
does (other engineers' builds, the coordinator) weighs on both alike;
CPU time is disturbed much less by that than wall time, but not at all
free of it (caches, frequency): compare ratios from one run, never
figures from different runs.

    bench/flush_cpu.py [--builds build-base,build] [--sessions 1,4]
                       [--rounds 5] [--mails 10000] [--size 2048]
                       [--time-limit 900]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import REPO, Deadline, Sink, postfix_root  # noqa: E402
from flush import client_setup, flush_copy, spool_mails  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builds", default="build-base,build",
                    help="build directories, comma-separated; the first "
                    "is the reference of the ratios")
    ap.add_argument("--sessions", default="1,4")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--mails", type=int, default=10000)
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--time-limit", type=float, default=900)
    a = ap.parse_args()
    deadline = Deadline(a.time_limit)
    builds = [Path(b) if Path(b).is_absolute() else REPO / b
              for b in a.builds.split(",")]
    sessions = [int(s) for s in a.sessions.split(",")]
    root = postfix_root()
    cpu, wall = {}, {}
    with tempfile.TemporaryDirectory(prefix="msmtp-bench-") as tmp, \
            Sink(root) as sink:
        tmp = Path(tmp)
        env, rc = client_setup(tmp, sink.port)
        templates = {}
        t0 = time.perf_counter()
        for i, b in enumerate(builds):
            templates[b] = tmp / f"template{i}.db"
            spool_mails(str(b / "msmtp"), str(rc), str(templates[b]), env,
                        a.mails, a.size, deadline)
        print(f"spooled {a.mails} mails of {a.size} B body for each build "
              f"in {time.perf_counter() - t0:.1f}s; {a.rounds} rounds, "
              f"builds alternated: {', '.join(b.name for b in builds)}")
        for rnd in range(a.rounds):
            for b in builds:
                for s in sessions:
                    r = flush_copy(str(b / "msmtp-queue"), rc, templates[b],
                                   tmp, s, env, deadline)
                    per10k = (r.utime + r.stime) * 10000 / a.mails
                    cpu.setdefault((b.name, s), []).append(per10k)
                    wall.setdefault((b.name, s), []).append(r.wall)
                    print(f"  round {rnd} {b.name:>12} sessions={s} "
                          f"cpu/10k={per10k:.3f}s "
                          f"(user {r.utime:.2f} sys {r.stime:.2f}) "
                          f"{a.mails / r.wall:6.0f} mails/s", flush=True)
    print(f"{'build':>12} {'sessions':>8} {'cpu/10k med':>11} "
          f"{'min':>6} {'mails/s':>8} {'ratio':>6}")
    for s in sessions:
        ref = statistics.median(cpu[(builds[0].name, s)])
        for b in builds:
            v = cpu[(b.name, s)]
            med = statistics.median(v)
            rate = a.mails / statistics.median(wall[(b.name, s)])
            print(f"{b.name:>12} {s:>8} {med:11.3f} {min(v):6.3f} "
                  f"{rate:8.0f} {med / ref:6.2f}")


if __name__ == "__main__":
    main()
