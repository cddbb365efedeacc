"""make demo: one mail through msmtp to a loopback server, shown."""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "integ"))
from recsmtpd import RecordingServer  # noqa: E402

MAIL = b"""Subject: Hello from msmtp
To: Bob <bob@example.net>

This mail went through msmtp to a recording SMTP server on 127.0.0.1.
.A line that starts with a dot is dot-stuffed on the wire.
"""


def main():
    msmtp = os.path.join(sys.argv[1], "msmtp")
    with tempfile.TemporaryDirectory() as home, RecordingServer() as srv:
        rc = os.path.join(home, ".msmtprc")
        with open(rc, "w") as f:
            f.write("defaults\nlogfile %s/msmtp.log\n\n"
                    "account demo\nhost 127.0.0.1\nport %d\n"
                    "from alice@example.org\ndomain client.example.org\n\n"
                    "account default : demo\n" % (home, srv.port))
        os.chmod(rc, 0o600)
        env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=home)
        cmd = [msmtp, "--queue=off", "bob@example.net"]
        print("$ printf ... | " + " ".join(cmd))
        r = subprocess.run(cmd, input=MAIL, env=env, timeout=30)
        print("exit code:", r.returncode)
        print("\n--- what the server received (client side of the dialogue) ---")
        for s in srv.sessions:
            sys.stdout.write(bytes(s.raw).decode("utf-8", "replace"))
        print("--- msmtp log line ---")
        with open(os.path.join(home, "msmtp.log")) as f:
            sys.stdout.write(f.read())
        return r.returncode


if __name__ == "__main__":
    sys.exit(main())
