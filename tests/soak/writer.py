#!/usr/bin/python3
"""One writer of the soak (soak.py): sends mail with msmtp until SIGTERM.

Each mail has a unique envelope sender soak-NAME-N@example.org and a
unique Message-ID <soak-NAME-N-PID@soak.example>; after each msmtp run
one JSON line is appended to --out: {"mid", "from", "mode", "rc", "t0",
"t1", "err"}, rc being msmtp's exit status ("timeout" when it ran past
--msmtp-timeout and was killed). Only rc 0 means msmtp accepted the mail.
--mode odq spools each mail (msmtp -odq), interactive delivers it at
once (msmtp spools it first, then tries it), mix alternates. SIGTERM
lets the msmtp in progress finish, then the writer exits 0.

    writer.py --msmtp PATH --rc FILE --queue-file DB --name w1 --out FILE
              [--mode odq|interactive|mix] [--interval 0.05]
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--msmtp", required=True)
    ap.add_argument("--rc", required=True)
    ap.add_argument("--queue-file", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--mode", choices=("odq", "interactive", "mix"),
                    default="odq")
    ap.add_argument("--interval", type=float, default=0.05,
                    help="pause between two mails, seconds")
    ap.add_argument("--msmtp-timeout", type=float, default=90.0)
    a = ap.parse_args()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    env = {"HOME": os.path.dirname(os.path.abspath(a.rc)),
           "PATH": "/usr/bin:/bin", "LC_ALL": "C", "TZ": "UTC"}
    out = os.open(a.out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    n = 0
    while not stop.is_set():
        n += 1
        mode = a.mode if a.mode != "mix" else (
            "odq" if n % 2 else "interactive")
        sender = f"soak-{a.name}-{n}@example.org"
        mid = f"soak-{a.name}-{n}-{os.getpid()}@soak.example"
        mail = (f"From: {sender}\nTo: rcpt@example.net\n"
                f"Subject: soak {a.name} {n}\nMessage-ID: <{mid}>\n\n"
                f"mail {n} of writer {a.name}\n" + "x" * 70 + "\n").encode()
        argv = [a.msmtp, "-C", a.rc, "--queue-file", a.queue_file,
                "-f", sender]
        if mode == "odq":
            argv.append("-odq")
        argv.append("rcpt@example.net")
        t0 = time.time()
        try:
            p = subprocess.run(argv, input=mail, env=env,
                               capture_output=True, timeout=a.msmtp_timeout)
            rc, err = p.returncode, p.stderr.decode("utf-8", "replace")
        except subprocess.TimeoutExpired as e:
            rc = "timeout"
            err = (e.stderr or b"").decode("utf-8", "replace")
        rec = {"mid": mid, "from": sender, "mode": mode, "rc": rc, "t0": t0,
               "t1": time.time(), "err": err[-300:] if rc != 0 else ""}
        os.write(out, (json.dumps(rec) + "\n").encode())
        stop.wait(a.interval)
    os.close(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
