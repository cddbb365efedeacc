"""make demo: what msmtp with a queue does, on 127.0.0.1.

1. The server is down: msmtp spools the mail, says so, and exits 0.
2. msmtp-queue --list shows it waiting, with the reason.
3. The server comes up: msmtp-queue --flush delivers it.
4. What the server received, and msmtp's log lines.
"""

import os
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "integ"))
from recsmtpd import RecordingServer  # noqa: E402

MAIL = b"""Subject: Hello from msmtp
To: Bob <bob@example.net>

This mail was written while the server was down. msmtp kept it in its
queue and msmtp-queue delivered it once the server was back.
.A line that starts with a dot is dot-stuffed on the wire.
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def step(title, cmd, env, stdin=None):
    print("\n== %s\n$ %s" % (title, " ".join(os.path.basename(c)
                                             if i == 0 else c
                                             for i, c in enumerate(cmd))))
    r = subprocess.run(cmd, input=stdin, env=env, timeout=30,
                       capture_output=True)
    sys.stdout.write(r.stdout.decode() + r.stderr.decode())
    print("(exit code %d)" % r.returncode)
    return r.returncode


def main():
    build = sys.argv[1]
    msmtp = os.path.join(build, "msmtp")
    queue = os.path.join(build, "msmtp-queue")
    port = free_port()
    with tempfile.TemporaryDirectory() as home:
        rc = os.path.join(home, ".msmtprc")
        with open(rc, "w") as f:
            f.write("defaults\nlogfile %s/msmtp.log\n\n"
                    "account demo\nhost 127.0.0.1\nport %d\n"
                    "from alice@example.org\ndomain client.example.org\n\n"
                    "account default : demo\n" % (home, port))
        os.chmod(rc, 0o600)
        env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=home,
                   XDG_STATE_HOME=home)
        if step("send while the server is down", [msmtp, "bob@example.net"],
                env, MAIL) != 0:
            return 1
        step("what is queued", [queue, "--list"], env)
        with RecordingServer(port=port) as srv:
            step("the server is back: flush the queue", [queue, "--flush"],
                 env)
            print("\n== what the server received (client side of the "
                  "dialogue)")
            for s in srv.sessions:
                sys.stdout.write(bytes(s.raw).decode("utf-8", "replace"))
        step("the queue afterwards", [queue, "--list"], env)
        print("\n== msmtp's log lines (msmtp's fields, then the queue's)")
        with open(os.path.join(home, "msmtp.log")) as f:
            sys.stdout.write(f.read())
    return 0


if __name__ == "__main__":
    sys.exit(main())
