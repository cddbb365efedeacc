#!/usr/bin/python3
"""The machine's loopback SMTP limit, for comparison with msmtp numbers.

Postfix's smtp-source sends --mails (default 10,000) mails of --size
bytes (default 2 KB payload) to Postfix's smtp-sink on 127.0.0.1, with
-d (several mails per connection: no connection set-up per mail) and with
1 and 4 parallel sessions. Prints mails/s and the cost per mail. Also,
for scale, 1 session without -d (one connection per mail, as msmtp does,
but no process start-up).

    bench/smtp_source_limit.py [--mails 10000] [--size 2048]
                               [--sessions 1,4] [--time-limit 300]
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import Deadline, Sink, postfix_env, postfix_root  # noqa: E402


def run_source(root, port, mails, size, sessions, reuse, timeout):
    argv = [str(root / "usr" / "sbin" / "smtp-source"),
            *(["-d"] if reuse else []),
            "-s", str(sessions), "-m", str(mails), "-l", str(size),
            "-M", "localhost", "-f", "bench@example.org",
            "-t", "sink@example.net", f"127.0.0.1:{port}"]
    t0 = time.perf_counter()
    p = subprocess.run(argv, env=postfix_env(root), capture_output=True,
                       timeout=timeout)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"bench: smtp-source failed ({p.returncode}): "
                 f"{p.stderr.decode(errors='replace').strip()}")
    return wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mails", type=int, default=10000)
    ap.add_argument("--size", type=int, default=2048,
                    help="payload bytes per mail (smtp-source -l)")
    ap.add_argument("--sessions", default="1,4")
    ap.add_argument("--no-reconnect-run", action="store_true",
                    help="skip the run without -d")
    ap.add_argument("--time-limit", type=float, default=300)
    a = ap.parse_args()
    deadline = Deadline(a.time_limit)
    root = postfix_root()

    runs = [(int(s), True) for s in a.sessions.split(",")]
    if not a.no_reconnect_run:
        runs.append((1, False))
    print(f"smtp-source -> smtp-sink on 127.0.0.1, {a.mails} mails of "
          f"{a.size} B payload")
    print(f"{'sessions':>8} {'mode':>18} {'seconds':>8} {'mails/s':>9} "
          f"{'us/mail':>8}")
    with Sink(root) as sink:
        for sessions, reuse in runs:
            left = deadline.left()
            if left <= 1:
                sys.exit(f"bench: time limit of {a.time_limit}s reached")
            wall = run_source(root, sink.port, a.mails, a.size, sessions,
                              reuse, left)
            mode = "-d (conn reused)" if reuse else "conn per mail"
            print(f"{sessions:>8} {mode:>18} {wall:8.2f} "
                  f"{a.mails / wall:9.0f} {wall / a.mails * 1e6:8.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
