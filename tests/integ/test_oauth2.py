"""OAuth2 built in (issue 22): msmtp --oauth2-authorize gets a refresh
token from a real authorization server of our own (oauthsrv.py: HTTPS on
loopback with the test CA), and msmtp and msmtp-queue fetch the access
token with it when they send, refreshing it when it has expired. The mail
server (recsmtpd with AUTH XOAUTH2 / OAUTHBEARER) accepts only the
access token the authorization server issued last.

Our programs run directly (they spool, as test_spool.py's do); the token
store lives under the test's own XDG_STATE_HOME.
"""

import os
import select
import ssl
import stat
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import Script
from oauthsrv import AuthServer
from pki import pki  # noqa: F401  (fixture)
from test_notify import notified  # noqa: F401  (fixture)
from test_spool import BOB, show

USER = "alice@example.org"
SECRET = "cs-never-shown-0123456789"


class Env:
    """The mail server, the authorization server and the msmtprc."""

    def __init__(self, spool, server, pki, mech="XOAUTH2", flow="device",
                 extra=""):
        self.spool = spool
        self.auth = {}
        self.srv = server(Script(auth=self.auth, auth_mechs=[mech],
                                 extensions=[], command_max=4096))
        self.az = AuthServer(pki, self.auth, USER, client_secret=SECRET)
        self.az.__enter__()
        urls = f"oauth2_token_url {self.az.url('/token')}\n"
        if flow == "device":
            urls += f"oauth2_device_url {self.az.url('/device')}\n"
        else:
            urls += f"oauth2_auth_url {self.az.url('/authorize')}\n"
        self.rcfile = spool.rc(self.srv.port, (
            f"auth {mech.lower()}\nuser {USER}\n"
            f"tls_trust_file {pki.path('ca.pem')}\n"
            "oauth2_provider custom\noauth2_client_id msmtp-test\n"
            f"oauth2_client_secret {SECRET}\n"
            "oauth2_scope mail.send offline_access\n" + urls + extra))
        self.store = (spool.confdir.home / ".local" / "state" / "msmtp" /
                      "oauth2" / f"{USER}@127.0.0.1")

    def close(self):
        """Stop the authorization server (idempotent)."""
        if self.az.httpd is not None:
            self.az.__exit__(None, None, None)
            self.az.httpd = None

    # -- the store --------------------------------------------------------
    def tokens(self):
        out = {}
        for line in self.store.read_text().splitlines():
            k, _, v = line.partition(" ")
            out[k] = v
        return out

    def expire(self):
        """The cached access token has run out (as an hour later)."""
        t = self.tokens()
        t["expires"] = str(int(time.time()) - 10)
        self.store.write_text("".join(f"{k} {v}\n" for k, v in t.items()))

    def secrets(self):
        """Every secret the test has seen."""
        s = {SECRET, *self.az.refresh_tokens, *self.az.issued}
        s |= {f.get("refresh_token") for f in self.az.forms} - {None}
        if self.store.exists():
            s |= {v for k, v in self.tokens().items() if k != "expires"}
        s |= set(self.auth.values())
        return {x for x in s if x}

    # -- msmtp --oauth2-authorize -----------------------------------------
    def authorize_device(self, option="--oauth2-authorize"):
        p = self.spool.popen(self.spool.msmtp_path, "msmtp",
                             ["-C", self.rcfile, option],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        shown = self._read_until(p, b"Waiting")
        code = shown.split(b"enter the code ")[1].split()[0].decode()
        assert self.az.approve(code), shown
        out, err = p.communicate(timeout=30)
        assert p.returncode == 0, (shown + out, err)
        return shown + out

    def authorize_code(self):
        p = self.spool.popen(self.spool.msmtp_path, "msmtp",
                             ["-C", self.rcfile, "--oauth2-authorize"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        shown = self._read_until(p, b"Waiting")
        url = [w for w in shown.split() if w.startswith(b"https://")][0]
        # The test is the browser: the server answers with a redirect to
        # msmtp's loopback listener, which the browser then visits.
        ctx = ssl.create_default_context(cafile=self.az.pki.path("ca.pem"))

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a):
                return None

        opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=ctx), NoRedirect)
        try:
            opener.open(url.decode(), timeout=10)
            pytest.fail("no redirect")
        except urllib.error.HTTPError as e:
            assert e.code == 302
            location = e.headers["Location"]
        assert location.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(location, timeout=10) as r:
            page = r.read()
        assert b"authorized" in page
        out, err = p.communicate(timeout=30)
        assert p.returncode == 0, (shown + out, err)
        return shown + out

    @staticmethod
    def _read_until(p, marker, deadline=20):
        shown = b""
        end = time.monotonic() + deadline
        while marker not in shown and time.monotonic() < end:
            r, _, _ = select.select([p.stdout], [], [], 0.2)
            if r:
                chunk = os.read(p.stdout.fileno(), 4096)
                if not chunk:
                    break
                shown += chunk
        if marker not in shown:
            p.kill()
            out, err = p.communicate()
            pytest.fail(f"no {marker!r}: {shown + out!r} {err!r}")
        return shown


@pytest.fixture
def oauth(spool, server, pki):
    made = []

    def make(**kw):
        e = Env(spool, server, pki, **kw)
        made.append(e)
        return e

    yield make
    for e in made:
        e.close()


def _authed(srv):
    return [s.auth for s in srv.sessions if s.auth is not None]


@pytest.mark.parametrize("mech", ["XOAUTH2", "OAUTHBEARER"])
def test_device_authorization_then_send(oauth, spool, mech):
    e = oauth(mech=mech)
    shown = e.authorize_device()
    assert b"/device" in shown and b"refresh token is stored" in shown
    assert e.az.grants() == ["urn:ietf:params:oauth:grant-type:device_code"]
    (dev,) = [f for p, f in zip(e.az.log, e.az.forms) if p[0] == "/device"]
    assert dev["scope"] == "mail.send offline_access"
    # The store: a private file in a private directory.
    assert stat.S_IMODE(e.store.stat().st_mode) == 0o600
    assert stat.S_IMODE(e.store.parent.stat().st_mode) == 0o700
    p = spool.msmtp(BOB)
    assert p.returncode == 0, show(p)
    assert _authed(e.srv) == [(mech, USER)]
    # The cached access token was good: no refresh.
    assert e.az.grants() == ["urn:ietf:params:oauth:grant-type:device_code"]


def test_code_flow_with_pkce(oauth, spool):
    e = oauth(flow="code")
    shown = e.authorize_code()
    assert b"ssh -L" in shown
    assert e.az.grants() == ["authorization_code"]
    p = spool.msmtp(BOB)
    assert p.returncode == 0, show(p)
    assert _authed(e.srv) == [("XOAUTH2", USER)]


def test_expired_token_is_refreshed_by_msmtp(oauth, spool):
    e = oauth()
    e.authorize_device()
    old = e.tokens()
    e.expire()
    p = spool.msmtp(BOB)
    assert p.returncode == 0, show(p)
    assert e.az.grants()[-1] == "refresh_token"
    new = e.tokens()
    # The rotated refresh token is kept; the new access token cached.
    assert new["refresh_token"] != old["refresh_token"]
    assert new["access_token"] != old["access_token"]
    assert int(new["expires"]) > time.time() + 3000
    assert _authed(e.srv) == [("XOAUTH2", USER)]


def test_expired_token_is_refreshed_by_the_runner(oauth, spool):
    e = oauth()
    e.authorize_device()
    for _ in range(2):
        p = spool.msmtp("-odq", BOB)
        assert p.returncode == 0, show(p)
    e.expire()
    q = spool.queue("--flush")
    assert q.returncode == 0, show(q)
    assert all(r["state"] == "sent" for r in spool.mails()), show(q)
    # one refresh for the session, not one per mail
    assert e.az.grants().count("refresh_token") == 1
    assert len(_authed(e.srv)) >= 1


def test_revoked_grant_holds_the_mail(oauth, spool, notified):
    e = oauth(extra=f"queue_notify {notified.command()}\n")
    e.authorize_device()
    seen = e.secrets()
    e.az.revoke_all()
    e.expire()
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == 0, show(p)
    q = spool.queue("--flush")
    (row,) = spool.mails()
    assert row["state"] == "held", show(q)
    (env,) = notified.wait("held")
    assert "run msmtp --oauth2-authorize=default" in env["MSMTP_REASON"]
    assert "invalid_grant" in env["MSMTP_REASON"]
    assert "run msmtp --oauth2-authorize" in spool.listing()
    assert not _authed(e.srv)
    for s in seen:
        assert s not in notified.raw()
    # Authorized again as the reason says, the mail goes out when
    # released.
    e.authorize_device("--oauth2-authorize=default")
    r = spool.queue("--release", row["id"])
    assert r.returncode == 0, show(r)
    spool.queue("--flush")
    assert spool.mails()[0]["state"] == "sent", spool.listing()


def test_revoked_grant_in_msmtps_own_attempt(oauth, spool):
    e = oauth()
    e.authorize_device()
    e.az.revoke_all()
    e.expire()
    p = spool.msmtp(BOB)
    assert p.returncode != 0, show(p)
    assert b"run msmtp --oauth2-authorize=default" in p.stderr, show(p)
    (row,) = spool.mails()
    assert row["state"] == "held"


def test_unreachable_token_endpoint_defers(oauth, spool):
    """A token endpoint that cannot be reached is a temporary failure:
    the mail waits for the next attempt, it is not held."""
    e = oauth()
    e.authorize_device()
    e.expire()
    e.close()
    p = spool.msmtp("-odq", BOB)
    assert p.returncode == 0, show(p)
    spool.queue("--flush")
    (row,) = spool.mails()
    assert row["state"] not in ("held", "sent"), row["state"]


def test_no_secret_in_output_logs_or_spool(oauth, spool, tmp_path):
    log = tmp_path / "msmtp.log"
    e = oauth(extra=f"logfile {log}\n")
    e.authorize_device()
    e.expire()
    outputs = []
    for args in (["-P", BOB], ["-d", BOB], ["-odq", BOB]):
        p = spool.msmtp(*args)
        outputs.append(p.stdout + p.stderr)
    q = spool.queue("--flush", "-d")
    outputs.append(q.stdout + q.stderr)
    outputs.append(spool.queue("--list").stdout)
    seen = e.secrets()
    assert len(seen) >= 4
    blobs = [b"".join(outputs), log.read_bytes()]
    for f in spool.qf.parent.iterdir():
        blobs.append(f.read_bytes())
    for s in seen:
        for b in blobs:
            assert s.encode() not in b, s
    # The snapshot keeps the account's OAuth2 settings, not the secret.
    settings = "".join(r["settings"] for r in spool.mails())
    assert "oauth2_client_id" in settings
    assert "\noauth2_client_secret " not in settings


def test_slow_token_endpoint_stalls_no_other_account(oauth, spool, server):
    """The runner fetches a token off its loop: while the token endpoint
    of one account is slow to answer, another account's mail goes out."""
    e = oauth()
    e.authorize_device()
    e.expire()
    other = server(Script())
    text = e.rcfile.read_text() + (
        "account plain\nfrom bob@other.example\nauth off\n"
        f"port {other.port}\n")
    spool.confdir.write(text, path=spool.rcfile)
    for frm in ("alice@example.org", "bob@other.example"):
        p = spool.msmtp("-odq", "-f", frm, BOB)
        assert p.returncode == 0, show(p)
    e.az.hold = threading.Event()
    q = spool.popen(spool.queue_path, "msmtp-queue",
                    ["-C", spool.rcfile, "--queue-file", spool.qf,
                     "--flush"], stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE)
    try:
        assert e.az.holding.wait(10)
        end = time.monotonic() + 10
        while not other.sessions or not other.sessions[0].transactions:
            assert time.monotonic() < end, "the other account waited"
            time.sleep(0.02)
    finally:
        e.az.hold.set()
    out, err = q.communicate(timeout=30)
    assert q.returncode == 0, (out, err)
    assert all(r["state"] == "sent" for r in spool.mails())
    assert _authed(e.srv) == [("XOAUTH2", USER)]


def test_refresh_token_in_the_keyring(oauth, spool, confdir):
    """With a Secret Service (secretsvc.py: a real one on a private bus)
    the refresh token goes there, and the file only says so; a refresh
    takes it from there and puts the rotated one back."""
    from secretsvc import CALL_TIMEOUT, SecretService

    def lookup(ss):
        p = subprocess.run(["secret-tool", "lookup", "host", "127.0.0.1",
                            "service", "oauth2", "user", USER],
                           capture_output=True, env=ss.env(),
                           timeout=CALL_TIMEOUT)
        return p.stdout.decode().strip()

    with SecretService(confdir) as ss:
        spool.env = ss.env
        e = oauth()
        e.authorize_device()
        t = e.tokens()
        assert "refresh_token" not in t and t["refresh_token_in"] == "keyring"
        first = lookup(ss)
        assert first in e.az.refresh_tokens
        e.expire()
        p = spool.msmtp(BOB)
        assert p.returncode == 0, show(p)
        assert e.az.grants()[-1] == "refresh_token"
        second = lookup(ss)
        assert second != first and second in e.az.refresh_tokens
        assert "refresh_token" not in e.tokens()
        assert _authed(e.srv) == [("XOAUTH2", USER)]
