"""Server side of the SASL methods the recording server offers.

``run(conn, mech, initial)`` carries one AUTH exchange for recsmtpd.py:
``conn.sasl_ask(challenge_bytes)`` sends a 334 and returns the client's
decoded answer (None when the client gave up, already answered), and
``conn.script.auth`` maps users to secrets. It returns a Verdict, or None
when the exchange was aborted and already answered.

Methods: PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256 (and their
-PLUS forms with tls-unique, which needs TLS 1.2 on the server),
OAUTHBEARER and XOAUTH2 (the secret is the bearer token), EXTERNAL
(anyone who presented a client certificate, under the authzid given).
"""

import base64
import dataclasses
import hashlib
import hmac
import os


@dataclasses.dataclass
class Verdict:
    ok: bool
    user: str | None = None


def _b64(data):
    return base64.b64encode(data).decode()


def _initial(initial):
    """The initial response of "AUTH MECH resp": None if absent."""
    if not initial:
        return None
    if initial[0] == "=":
        return b""
    try:
        return base64.b64decode(initial[0], validate=True)
    except ValueError:
        return b"\0invalid"


def _check(conn, user, secret):
    want = conn.script.auth.get(user)
    return Verdict(want is not None and secret == want, user)


async def _plain(conn, initial):
    data = _initial(initial)
    if data is None:
        data = await conn.sasl_ask(b"")
        if data is None:
            return None
    parts = data.split(b"\0")
    if len(parts) != 3:
        return Verdict(False)
    return _check(conn, parts[1].decode(errors="replace"),
                  parts[2].decode(errors="replace"))


async def _login(conn, initial):
    user = _initial(initial)
    if user is None:
        user = await conn.sasl_ask(b"Username:")
        if user is None:
            return None
    password = await conn.sasl_ask(b"Password:")
    if password is None:
        return None
    return _check(conn, user.decode(errors="replace"),
                  password.decode(errors="replace"))


async def _cram_md5(conn, initial):
    challenge = b"<%d.%d@rec.test>" % (os.getpid(), int.from_bytes(
        os.urandom(4), "big"))
    answer = await conn.sasl_ask(challenge)
    if answer is None:
        return None
    user, _, digest = answer.decode(errors="replace").rpartition(" ")
    secret = conn.script.auth.get(user)
    if secret is None:
        return Verdict(False, user)
    want = hmac.new(secret.encode(), challenge, hashlib.md5).hexdigest()
    return Verdict(hmac.compare_digest(want, digest), user)


def _scram_attrs(msg):
    out = {}
    for part in msg.split(","):
        if len(part) >= 2 and part[1] == "=":
            out[part[0]] = part[2:]
    return out


async def _scram(conn, initial, hname, plus):
    first = _initial(initial)
    if first is None:
        first = await conn.sasl_ask(b"")
        if first is None:
            return None
    first = first.decode(errors="replace")
    # gs2 header: "n,," "y,," or "p=tls-unique,," then the bare message.
    cbflag, authzid, bare = first.split(",", 2)
    if plus != cbflag.startswith("p="):
        return Verdict(False)
    attrs = _scram_attrs(bare)
    user = attrs.get("n", "").replace("=2C", ",").replace("=3D", "=")
    secret = conn.script.auth.get(user, "")
    salt, iters = os.urandom(16), 4096
    nonce = attrs.get("r", "") + _b64(os.urandom(18))
    server_first = f"r={nonce},s={_b64(salt)},i={iters}"
    final = await conn.sasl_ask(server_first.encode())
    if final is None:
        return None
    final = final.decode(errors="replace")
    without_proof, _, proof = final.rpartition(",p=")
    fattrs = _scram_attrs(without_proof)
    cbind = (cbflag + "," + authzid + ",").encode()
    if plus:
        ssl_obj = conn.ssl_object()
        cbind += (ssl_obj.get_channel_binding("tls-unique") or b"") \
            if ssl_obj is not None else b""
    if fattrs.get("r") != nonce or fattrs.get("c") != _b64(cbind):
        return Verdict(False, user)
    salted = hashlib.pbkdf2_hmac(hname, secret.encode(), salt, iters)
    client_key = hmac.new(salted, b"Client Key", hname).digest()
    stored = hashlib.new(hname, client_key).digest()
    auth_msg = f"{bare},{server_first},{without_proof}".encode()
    sig = hmac.new(stored, auth_msg, hname).digest()
    want = _b64(bytes(a ^ b for a, b in zip(client_key, sig)))
    if user not in conn.script.auth or not hmac.compare_digest(want, proof):
        return Verdict(False, user)
    server_key = hmac.new(salted, b"Server Key", hname).digest()
    server_sig = hmac.new(server_key, auth_msg, hname).digest()
    if await conn.sasl_ask(b"v=" + _b64(server_sig).encode()) is None:
        return None
    return Verdict(True, user)


async def _oauthbearer(conn, initial):
    data = _initial(initial)
    if data is None:
        data = await conn.sasl_ask(b"")
        if data is None:
            return None
    text = data.decode(errors="replace")
    head, _, rest = text.partition("\x01")
    user = None
    for part in head.split(","):
        if part.startswith("a="):
            user = part[2:]
    token = None
    for kv in rest.split("\x01"):
        if kv.startswith("auth=Bearer "):
            token = kv[len("auth=Bearer "):]
    return _check(conn, user, token)


async def _xoauth2(conn, initial):
    data = _initial(initial)
    if data is None:
        data = await conn.sasl_ask(b"")
        if data is None:
            return None
    fields = dict(kv.split("=", 1) for kv in
                  data.decode(errors="replace").split("\x01") if "=" in kv)
    token = fields.get("auth", "")
    token = token[len("Bearer "):] if token.startswith("Bearer ") else None
    return _check(conn, fields.get("user"), token)


async def _external(conn, initial):
    data = _initial(initial)
    if data is None:
        data = await conn.sasl_ask(b"")
        if data is None:
            return None
    ssl_obj = conn.ssl_object()
    has_cert = ssl_obj is not None and ssl_obj.getpeercert(True) is not None
    return Verdict(has_cert, data.decode(errors="replace"))


async def run(conn, mech, initial):
    if mech == "PLAIN":
        return await _plain(conn, initial)
    if mech == "LOGIN":
        return await _login(conn, initial)
    if mech == "CRAM-MD5":
        return await _cram_md5(conn, initial)
    if mech.startswith("SCRAM-SHA-"):
        hname = "sha256" if mech.startswith("SCRAM-SHA-256") else "sha1"
        return await _scram(conn, initial, hname, mech.endswith("-PLUS"))
    if mech == "OAUTHBEARER":
        return await _oauthbearer(conn, initial)
    if mech == "XOAUTH2":
        return await _xoauth2(conn, initial)
    if mech == "EXTERNAL":
        return await _external(conn, initial)
    # Advertised but not implemented here (DIGEST-MD5, NTLM, GSSAPI...):
    # answer one step, then refuse.
    if await conn.sasl_ask(b"") is None:
        return None
    return Verdict(False)
