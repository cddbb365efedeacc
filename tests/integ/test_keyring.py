"""The keyring: passwords from a real Secret Service (gnome-keyring-daemon
on a private D-Bus session bus, items stored with secret-tool; see
secretsvc.py), in msmtp's order of password sources: password,
passwordeval, the keyring, ~/.netrc, SYSCONFDIR/netrc, the prompt.

Differential where Debian's msmtp (built with libsecret) can run the same
case: exit code, stdout, stderr and the transcripts (SASL lines masked,
as in test_auth.py) must agree. Then what only ours has: msmtp-queue
delivering with the keyring's password, msmtpd's --auth=USER taking its
password from the keyring, --version's keyring line, and the front end
carrying no libsecret.

Without a Secret Service (no session bus, or a bus with no keyring on
it) both must fall through to the netrc files and the prompt at once,
with the same message and exit code: every run here is bounded in time
(conftest.RUN_TIMEOUT), and these cases check a tighter bound as well.
"""

import os
import subprocess
import time

import pytest

from conftest import Script, compare, send
from secretsvc import Bus, SecretService
from test_auth import _run_on_tty, mask_sasl
from test_msmtpd import Msmtpd, Rec, build_path, swaks

MAIL = (b"From: Alice <alice@example.org>\nTo: bob@example.net\n"
        b"Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
        b"Message-ID: <fixed.1@example.org>\nSubject: keyring\n\nHello.\n")
BOB = "bob@example.net"
SECRET = "k3yring-s3cret"

RC = """\
defaults
tls off
account default
host 127.0.0.1
port {port}
from alice@example.org
timeout 10
auth plain
user alice
"""


def script():
    return Script(auth={"alice": SECRET}, auth_mechs=["PLAIN"])


@pytest.fixture
def keyring(confdir):
    with SecretService(confdir) as ss:
        yield ss


def both(ref, ours, confdir, env, extra="", rc=0, args=(BOB,)):
    """Run ref, then ours, with the same config and environment; compare
    them with the SASL lines masked; return both outcomes."""
    kw = dict(script=script(), config=RC + extra, args=list(args),
              mail=MAIL, env=env)
    r = send(ref, confdir, **kw)
    assert r.rc == rc, f"premise: ref exited {r.rc}: {r.stderr!r}"
    o = send(ours, confdir, **kw)
    compare(r, o, wire=None)
    assert [mask_sasl(x) for x in r.wire] == [mask_sasl(x) for x in o.wire]
    for x in (o.stdout, o.stderr):
        assert SECRET.encode() not in x
    return r, o


def netrc(confdir, password):
    path = confdir.home / ".netrc"
    path.write_text(f"machine 127.0.0.1 login alice password {password}\n")
    os.chmod(path, 0o600)


def authenticated(outcome):
    """One session authenticated and its mail accepted."""
    return (sum(b"AUTH PLAIN" in s for s in outcome.sessions) == 1 and
            len(outcome.transactions) == 1)


# --------------------------------------------------------------------------
# The keyring's place among the sources.

def test_keyring_password_is_used(ref, ours, confdir, keyring):
    keyring.store("127.0.0.1", "smtp", "alice", SECRET)
    r, o = both(ref, ours, confdir, keyring.env())
    assert authenticated(o)


def test_keyring_comes_before_netrc(ref, ours, confdir, keyring):
    keyring.store("127.0.0.1", "smtp", "alice", SECRET)
    netrc(confdir, "wrong")
    r, o = both(ref, ours, confdir, keyring.env())
    assert authenticated(o)
    # The keyring's wrong password is sent, and netrc's right one is not
    # tried after it: the keyring is asked first, and its answer is final.
    keyring.store("127.0.0.1", "smtp", "alice", "wrong")
    netrc(confdir, SECRET)
    r, o = both(ref, ours, confdir, keyring.env(), rc=77)
    assert not o.transactions


def test_password_and_passwordeval_come_before_keyring(ref, ours, confdir,
                                                       keyring):
    keyring.store("127.0.0.1", "smtp", "alice", "wrong")
    both(ref, ours, confdir, keyring.env(), f"password {SECRET}\n")
    both(ref, ours, confdir, keyring.env(), f"passwordeval echo '{SECRET}'\n")


def test_older_gnome_keyring_items_are_found(ref, ours, confdir, keyring):
    """Items of libgnome-keyring's network schema (server, protocol,
    user), which msmtp also looks up."""
    keyring.store_attrs(SECRET, **{"xdg:schema":
                                   "org.gnome.keyring.NetworkPassword",
                                   "server": "127.0.0.1", "protocol": "smtp",
                                   "user": "alice"})
    r, o = both(ref, ours, confdir, keyring.env())
    assert authenticated(o)


def test_item_for_another_host_user_or_service_is_not_used(ref, ours,
                                                           confdir, keyring):
    """A secret goes only to its own server: items that differ in one
    attribute are never sent (no password: msmtp's error, no AUTH)."""
    keyring.store("localhost", "smtp", "alice", SECRET)
    keyring.store("127.0.0.2", "smtp", "alice", SECRET)
    keyring.store("127.0.0.1", "smtp", "bob", SECRET)
    keyring.store("127.0.0.1", "imap", "alice", SECRET)
    keyring.store("127.0.0.1", "smtp", "alice2", SECRET)
    r, o = both(ref, ours, confdir, keyring.env(), rc=69)
    assert not o.transactions
    assert all(b"AUTH" not in s for s in o.sessions)
    # The right one, stored beside them, is found.
    keyring.store("127.0.0.1", "smtp", "alice", SECRET)
    r, o = both(ref, ours, confdir, keyring.env())
    assert authenticated(o)


@pytest.mark.parametrize("stored,prompted", [("alice", False),
                                             ("bob", True)],
                         ids=["item_no_prompt", "no_item_prompt"])
def test_keyring_before_prompt(ref, ours, confdir, keyring, server, stored,
                               prompted):
    """On a terminal: the keyring's item is used without a prompt; with
    no item for the user, the prompt comes, as in msmtp."""
    keyring.store("127.0.0.1", "smtp", stored, SECRET)
    mailfile = confdir.root / "mail"
    mailfile.write_bytes(MAIL)
    results = []
    for binary in (ref, ours):
        srv = server(script())
        path = confdir.write(RC.replace("{port}", str(srv.port)))
        code, shown = _run_on_tty(
            binary.path, [*binary.extra_args, "-C", str(path), BOB],
            keyring.env(MAILFILE=mailfile), (SECRET + "\n").encode())
        srv.wait_closed(5)
        results.append((code, shown, [s.auth for s in srv.sessions]))
    assert results[0] == results[1]
    code, shown, auths = results[1]
    assert code == 0 and auths == [("PLAIN", "alice")]
    assert (b"password for alice at 127.0.0.1: " in shown) == prompted
    assert SECRET.encode() not in shown


def test_pretend_does_not_ask_the_keyring(ref, ours, confdir, keyring):
    """-P shows the configuration: the keyring is asked only when AUTH
    needs the password, so -P shows no password, as msmtp."""
    keyring.store("127.0.0.1", "smtp", "alice", SECRET)
    kw = dict(config=RC.replace("{port}", "2525"), args=["-P", BOB],
              mail=MAIL, env=keyring.env(), with_server=False)
    r, o = send(ref, confdir, **kw), send(ours, confdir, **kw)
    compare(r, o, wire=None)
    assert r.rc == 0 and b"password = (not set)\n" in o.stdout


# --------------------------------------------------------------------------
# No Secret Service: straight on to netrc and the prompt, no hang.

NO_SERVICE = {
    # No bus at all: DBUS_SESSION_BUS_ADDRESS unset, no
    # $XDG_RUNTIME_DIR/bus, no $DISPLAY to autolaunch one.
    "no_bus": None,
    # A bus nobody listens on.
    "dead_bus": "unix:path=/nonexistent/bus",
}


def _timed(ref, ours, confdir, env, extra="", rc=0):
    t0 = time.monotonic()
    r, o = both(ref, ours, confdir, env, extra, rc=rc)
    assert time.monotonic() - t0 < 20
    return r, o


@pytest.mark.parametrize("address", NO_SERVICE.values(),
                         ids=NO_SERVICE.keys())
def test_without_secret_service(ref, ours, confdir, address):
    env = {"DBUS_SESSION_BUS_ADDRESS": address, "DISPLAY": None}
    # Nothing anywhere: msmtp's "no password" failure, no AUTH sent.
    r, o = _timed(ref, ours, confdir, env, rc=69)
    assert not o.transactions
    # ~/.netrc has it.
    netrc(confdir, SECRET)
    r, o = _timed(ref, ours, confdir, env)
    assert authenticated(o)


def test_bus_without_secret_service(ref, ours, confdir):
    """A session bus with no keyring on it (and none to activate)."""
    bus = Bus(confdir.root).start()
    try:
        env = {"DBUS_SESSION_BUS_ADDRESS": bus.address}
        r, o = _timed(ref, ours, confdir, env, rc=69)
        assert not o.transactions
        netrc(confdir, SECRET)
        r, o = _timed(ref, ours, confdir, env)
        assert authenticated(o)
    finally:
        bus.stop()


# --------------------------------------------------------------------------
# Ours only: the runner, msmtpd, --version, the front end's links.

def test_spooled_send_uses_keyring_password(ours, confdir, keyring, server):
    """The default mode (spooled, then sent at once by msmtp through the
    engine) takes the keyring's password as --queue=off does."""
    keyring.store("127.0.0.1", "smtp", "alice", SECRET)
    srv = server(script())
    cfg = confdir.write(RC.replace("{port}", str(srv.port)))
    p = subprocess.run([ours.path, "-C", str(cfg), "-odi", BOB], input=MAIL,
                       capture_output=True, env=keyring.env(), timeout=30)
    assert p.returncode == 0, p.stderr
    srv.wait_closed(10)
    assert [s.auth for s in srv.sessions] == [("PLAIN", "alice")]
    assert len(srv.sessions[0].transactions) == 1


def test_runner_delivers_with_keyring_password(ours, confdir, keyring,
                                               server):
    """A mail queued with -odq, delivered by msmtp-queue --flush, which
    looks the password up in the keyring itself."""
    keyring.store("127.0.0.1", "smtp", "alice", SECRET)
    srv = server(script())
    cfg = confdir.write(RC.replace("{port}", str(srv.port)))
    env = keyring.env()
    p = subprocess.run([ours.path, "-C", str(cfg), "-odq", BOB], input=MAIL,
                       capture_output=True, env=env, timeout=30)
    assert p.returncode == 0, p.stderr
    assert srv.sessions == []
    q = subprocess.run([build_path("msmtp-queue"), "-C", str(cfg),
                        "--flush"], capture_output=True, env=env,
                       timeout=30)
    assert q.returncode == 0, q.stdout + q.stderr
    srv.wait_closed(10)
    assert [s.auth for s in srv.sessions] == [("PLAIN", "alice")]
    assert len(srv.sessions[0].transactions) == 1
    assert SECRET.encode() not in q.stdout + q.stderr


def test_msmtpd_auth_user_from_keyring(tmp_path, confdir, keyring):
    """msmtpd --auth=USER, no passwordeval, no terminal: the password is
    the keyring's item (localhost, smtp, USER), as msmtp's msmtpd."""
    keyring.store("localhost", "smtp", "msmtpd-user", SECRET)
    keyring.store("127.0.0.1", "smtp", "msmtpd-user", "other")
    rec = Rec(tmp_path)
    d = Msmtpd(tmp_path, [f"--command={rec.command()}",
                          "--auth=msmtpd-user"], env=keyring.env())
    try:
        base = ["--from", "a@example.org", "--to", "b@example.net",
                "--auth", "PLAIN", "--auth-user", "msmtpd-user"]
        rc, text = swaks(d.port, *base, "--auth-password", SECRET, check=0)
        assert "235 " in text
        assert len(rec.mails()) == 1
        rc, text = swaks(d.port, *base, "--auth-password", "other")
        assert rc != 0 and "535 " in text
        assert len(rec.mails()) == 1
    finally:
        d.stop()


def test_msmtpd_without_keyring_item(confdir, keyring):
    """No item for the user, and no terminal: a clear error at start."""
    keyring.store("localhost", "smtp", "someone-else", SECRET)
    for env in (keyring.env(), confdir.env(DBUS_SESSION_BUS_ADDRESS=None)):
        p = subprocess.run([build_path("msmtpd"), "--auth=joe",
                            "--interface=127.0.0.1", "--port=1"],
                           capture_output=True, env=env, timeout=30,
                           start_new_session=True)
        assert p.returncode == 78
        assert p.stderr == (b"msmtpd: cannot get password for (localhost, "
                            b"smtp, joe): not in the keyring, no "
                            b"passwordeval and no terminal to ask for the "
                            b"password\n")


def test_version_keyring_line_as_msmtp(ref, ours, confdir):
    lines = []
    for b in (ref, ours):
        p = subprocess.run([b.path, "--version"], capture_output=True,
                           env=confdir.env(), timeout=30)
        lines.append([x for x in p.stdout.split(b"\n")
                      if x.startswith(b"Keyring support:")])
    assert lines[0] == lines[1] == [b"Keyring support: Gnome "]


def test_front_end_carries_no_keyring():
    """The keyring is reached at delivery time only, in the engine and
    msmtp-queue; msmtp itself neither links libsecret nor holds the code
    that loads it."""
    msmtp = build_path("msmtp")
    dyn = subprocess.run(["readelf", "-d", msmtp], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert "libsecret" not in dyn and "libglib" not in dyn
    syms = subprocess.run(["nm", msmtp], capture_output=True, text=True,
                          timeout=60, check=True).stdout
    assert "keyring_lookup" not in syms
    for other in ("msmtp-engine.so", "msmtp-queue", "msmtpd"):
        syms = subprocess.run(["nm", build_path(other)],
                              capture_output=True, text=True, timeout=60,
                              check=True).stdout
        assert "keyring_lookup" in syms, other
