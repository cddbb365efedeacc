"""A real OAuth2 authorization server on loopback, for test_oauth2.py.

HTTPS (Python's http.server + ssl, with the test CA's server
certificate from pki.py) in a thread on 127.0.0.1 and a free port.
Endpoints, all POST forms except /authorize:

  /token    grant_type refresh_token (RFC 6749 §6; the refresh token is
            rotated when ``rotate`` is on), urn:ietf:params:oauth:
            grant-type:device_code (RFC 8628 §3.4: authorization_pending
            until the test approves the user code), authorization_code
            (RFC 7636: the code_verifier must hash to the challenge, and
            redirect_uri must be the one the code was issued for)
  /device   RFC 8628 §3.1: device_code, user_code, verification_uri
  /revoke   RFC 7009: the refresh token (and its access token) revoked
  /authorize  GET, the browser's step: answers 302 to redirect_uri with a
            code and the state (the test follows it, as a browser would)

Every issued access token replaces the previous one in ``mail_auth`` (the
recording server's Script.auth dict, shared), so the mail server accepts
only the current access token. ``log`` records each request's path and
grant_type; ``forms`` the forms themselves (to check the client's).
With ``hold`` set to a threading.Event, /token answers only once it is
set (``holding`` says a request is waiting): a slow token endpoint.
"""

import base64
import hashlib
import http.server
import json
import secrets
import ssl
import threading
import urllib.parse


class AuthServer:
    def __init__(self, pki, mail_auth, user, client_id="msmtp-test",
                 client_secret=None, expires_in=3600, interval=1,
                 rotate=True):
        self.pki = pki
        self.mail_auth = mail_auth
        self.user = user
        self.client_id = client_id
        self.client_secret = client_secret
        self.expires_in = expires_in
        self.interval = interval
        self.rotate = rotate
        self.refresh_tokens = set()
        self.devices = {}       # device_code -> {"user_code", "approved"}
        self.codes = {}         # code -> (challenge, redirect_uri)
        self.log = []
        self.forms = []
        self.issued = []        # every token handed out
        self.hold = None        # a threading.Event: /token waits for it
        self.holding = threading.Event()    # set once a /token waits
        self.lock = threading.Lock()
        self.httpd = None
        self.port = None

    # -- token bookkeeping ------------------------------------------------
    def issue(self, refresh=True):
        """New tokens: the access token becomes the only one the mail
        server accepts."""
        access = "at-" + secrets.token_urlsafe(24)
        self.mail_auth[self.user] = access
        self.issued.append(access)
        body = {"access_token": access, "token_type": "Bearer",
                "expires_in": self.expires_in}
        if refresh:
            rt = "rt-" + secrets.token_urlsafe(24)
            self.refresh_tokens.add(rt)
            body["refresh_token"] = rt
            self.issued.append(rt)
        return body

    def revoke_all(self):
        with self.lock:
            self.refresh_tokens.clear()
            self.mail_auth.pop(self.user, None)

    def approve(self, user_code):
        with self.lock:
            for d in self.devices.values():
                if d["user_code"] == user_code:
                    d["approved"] = True
                    return True
        return False

    def grants(self):
        return [g for p, g in self.log if p == "/token"]

    # -- request handling -------------------------------------------------
    def _client_ok(self, form):
        if form.get("client_id") != self.client_id:
            return False
        return (self.client_secret is None or
                form.get("client_secret") == self.client_secret)

    def token(self, form):
        if not self._client_ok(form):
            return 401, {"error": "invalid_client"}
        grant = form.get("grant_type")
        if grant == "refresh_token":
            rt = form.get("refresh_token")
            if rt not in self.refresh_tokens:
                return 400, {"error": "invalid_grant"}
            if self.rotate:
                self.refresh_tokens.discard(rt)
            return 200, self.issue(refresh=self.rotate)
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            d = self.devices.get(form.get("device_code"))
            if d is None:
                return 400, {"error": "expired_token"}
            if not d["approved"]:
                return 400, {"error": "authorization_pending"}
            del self.devices[form["device_code"]]
            return 200, self.issue()
        if grant == "authorization_code":
            c = self.codes.pop(form.get("code"), None)
            if c is None or c[1] != form.get("redirect_uri"):
                return 400, {"error": "invalid_grant"}
            verifier = form.get("code_verifier", "").encode()
            digest = base64.urlsafe_b64encode(
                hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
            if digest != c[0]:
                return 400, {"error": "invalid_grant",
                             "error_description": "PKCE"}
            return 200, self.issue()
        return 400, {"error": "unsupported_grant_type"}

    def device(self, form):
        if not self._client_ok(form):
            return 401, {"error": "invalid_client"}
        dc = secrets.token_urlsafe(16)
        uc = "%04d-%04d" % (secrets.randbelow(10000),
                            secrets.randbelow(10000))
        self.devices[dc] = {"user_code": uc, "approved": False,
                            "scope": form.get("scope")}
        return 200, {"device_code": dc, "user_code": uc,
                     "verification_uri": f"https://127.0.0.1:{self.port}/"
                                         "device",
                     "expires_in": 60, "interval": self.interval}

    def revoke(self, form):
        self.refresh_tokens.discard(form.get("token"))
        return 200, {}

    def authorize(self, query):
        """The browser's visit: a code for the challenge, sent to the
        redirect URI. Returns the Location."""
        q = {k: v[0] for k, v in urllib.parse.parse_qs(query).items()}
        assert q["client_id"] == self.client_id
        assert q["code_challenge_method"] == "S256"
        code = "code-" + secrets.token_urlsafe(16)
        self.codes[code] = (q["code_challenge"], q["redirect_uri"])
        return (q["redirect_uri"] + "?" + urllib.parse.urlencode(
            {"code": code, "state": q["state"]}))

    # -- the HTTPS server -------------------------------------------------
    def __enter__(self):
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, status, body, headers=()):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(n).decode()
                form = {k: v[0] for k, v in
                        urllib.parse.parse_qs(raw).items()}
                if owner.hold is not None and self.path == "/token":
                    owner.holding.set()
                    owner.hold.wait(30)
                route = {"/token": owner.token, "/device": owner.device,
                         "/revoke": owner.revoke}.get(self.path)
                with owner.lock:
                    owner.log.append((self.path, form.get("grant_type")))
                    owner.forms.append(form)
                    if route is None:
                        status, body = 404, {"error": "not_found"}
                    else:
                        status, body = route(form)
                self._send(status, body)

            def do_GET(self):
                path, _, query = self.path.partition("?")
                if path != "/authorize":
                    self._send(404, {})
                    return
                with owner.lock:
                    loc = owner.authorize(query)
                self._send(302, {}, [("Location", loc)])

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.pki.path("server.pem"),
                            self.pki.path("server.key"))
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                            server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True,
                         kwargs={"poll_interval": 0.05}).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        return False

    def url(self, path):
        return f"https://127.0.0.1:{self.port}{path}"
