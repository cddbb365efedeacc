"""msmtpd off loopback (issue 17): no open relay, no cleartext password,
unless the user says so.

Only loopback exists on the test machine, so the addresses off loopback
are the wildcards 0.0.0.0 and ::, which msmtpd would serve on every
interface. Clients still connect over loopback only.
"""

import socket
import subprocess

import pytest

from conftest import free_port
from test_msmtpd import Msmtpd, Rec, build_path

EX_CONFIG = 78


def refused(*args):
    """Run msmtpd, which must exit at once: (exit code, stderr)."""
    port = free_port()
    p = subprocess.run([build_path("msmtpd"), f"--port={port}",
                        "--log=none", *args], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=10)
    with socket.socket() as s:      # and it never listened
        assert s.connect_ex(("127.0.0.1", port)) != 0
    return p.returncode, p.stderr.decode()


@pytest.mark.parametrize("iface", ["0.0.0.0", "::"])
def test_no_auth_off_loopback_is_an_open_relay(iface):
    rc, err = refused(f"--interface={iface}")
    assert rc == EX_CONFIG, err
    assert f"refusing to serve on {iface} without --auth" in err, err
    assert "open relay" in err and "--allow-open-relay" in err, err


@pytest.mark.parametrize("iface", ["0.0.0.0", "::"])
def test_auth_off_loopback_would_send_the_password_in_clear(iface):
    rc, err = refused(f"--interface={iface}", "--auth=joe,echo secret")
    assert rc == EX_CONFIG, err
    assert "refusing to serve AUTH" in err and "in clear" in err, err
    assert "--allow-cleartext-auth" in err, err
    assert "secret" not in err
    # The other override does not do for this one.
    rc, err = refused(f"--interface={iface}", "--auth=joe,echo secret",
                      "--allow-open-relay")
    assert rc == EX_CONFIG and "--allow-cleartext-auth" in err, err


def greets(port, host="127.0.0.1"):
    with socket.create_connection((host, port), timeout=10) as s:
        got = s.recv(4096)
        s.sendall(b"QUIT\r\n")
        return got.startswith(b"220 ")


@pytest.mark.parametrize("iface,args,host", [
    ("0.0.0.0", ["--allow-open-relay"], "127.0.0.1"),
    ("::", ["--allow-open-relay"], "::1"),
    ("0.0.0.0", ["--auth=joe,echo secret", "--allow-cleartext-auth"],
     "127.0.0.1"),
], ids=["open-relay-v4", "open-relay-v6", "cleartext-auth"])
def test_the_overrides_start_it(tmp_path, confdir, iface, args, host):
    rec = Rec(tmp_path)
    (tmp_path / "d").mkdir()
    d = Msmtpd(tmp_path / "d", [f"--command={rec.command()}",
                                f"--interface={iface}", *args],
               env=confdir.env())
    try:
        assert greets(d.port, host)
    finally:
        d.stop()


def test_loopback_needs_no_override(tmp_path, confdir):
    rec = Rec(tmp_path)
    (tmp_path / "d").mkdir()
    d = Msmtpd(tmp_path / "d", [f"--command={rec.command()}",
                                "--interface=127.0.0.2"], env=confdir.env())
    try:
        assert greets(d.port, "127.0.0.2")
    finally:
        d.stop()
