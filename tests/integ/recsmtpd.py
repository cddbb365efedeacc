"""A recording, scriptable SMTP server for the integration tests.

Built on Debian's aiosmtpd, run in a thread on 127.0.0.1 with a free port.
Every byte a client sends is recorded per connection (``server.sessions``),
so tests compare what is on the wire, not what a parser made of it.

Faults are scripted through ``Script``:
  greeting   reply sent instead of the 220 greeting (e.g. "421 busy"),
             after which the connection is closed
  replies    {"MAIL": "451 ...", "RCPT": "550 ...", "DATA": "554 ...",
              "EOM": "452 ..."}: the reply for that command; EOM is the
             reply after the final dot; RCPT may also be a dict
             address -> reply (so may MAIL: "<>" is the null sender,
             or a function of the sender that returns the reply or None),
             EOM a function of the mail's bytes that
             returns the reply or None (the usual one)
  hang_at    command name at which the server stops answering
             ("GREETING" = never send the greeting, "EOM" = after the
             final dot arrives, "TLS" = after its 220 to STARTTLS)
  close_at   command name at which the server closes the connection
             without a reply ("EOM" = right after the final dot arrives,
             "GREETING" = before the greeting)
  no_ehlo    answer EHLO with 502 so the client must fall back to HELO;
             replies["EHLO"] / replies["HELO"] answer them with that
             reply instead (a refusal of the session itself)
  lmtp       speak LMTP (LHLO, one reply per recipient after the dot)
  extensions extra EHLO/LHLO keywords to advertise, e.g. ["PIPELINING",
             "DSN", "SIZE 1000000"] (aiosmtpd already offers 8BITMIME and
             SMTPUTF8); with "DSN", RET=/ENVID=/NOTIFY=/ORCPT= parameters
             are accepted (and recorded, like everything, in ``raw``)
  smtputf8   offer SMTPUTF8 (default True, aiosmtpd's own keyword); False:
             not offered, and aiosmtpd answers a command whose argument
             is not ASCII with "500 Error: strict ASCII mode"
  max_line   longest line (bytes, CRLF included) the server reads, in
             commands and in DATA; aiosmtpd's own default is 1001, ours is
             large so that a client's long lines are recorded, not refused
  command_max  longest command line accepted (aiosmtpd's 512 by default);
             raise it for long AUTH lines (OAuth tokens)

TLS, AUTH and ETRN (all off by default; see saslsrv.py for the methods):
  starttls   an ssl.SSLContext (server side): offer STARTTLS with it;
             replies["STARTTLS"] refuses it with that reply instead
  implicit_tls  an ssl.SSLContext: TLS from the first byte (port 465 style)
  auth       {user: secret}: advertise AUTH and check what clients send;
             the secret is the password, or the token for OAUTHBEARER and
             XOAUTH2; replies["AUTH"] replaces the verdict (e.g. "454 ...")
             after the client's last step
  auth_mechs the AUTH methods advertised, in this order
  auth_in_clear  advertise AUTH before TLS too (default on: loopback tests)

Observing how the client writes (all off by default):
  hold_replies  seconds: before replying to MAIL and to each RCPT, wait
             until a DATA line has arrived after that command, or this
             long; ``Recording.before_reply`` then holds (command, every
             byte received from that command's line on) as they were when
             the reply went out. A client that pipelines (RFC 2920) has
             sent MAIL, every RCPT and DATA before the MAIL reply; one that
             does not has sent just the one line each time.
  record_reads  keep every read as it arrived, in ``Recording.reads``
             (one entry per data_received(): a write that reached the
             server as one segment is one entry)
  ETRN       always understood; replies["ETRN"] replaces "250 ..."; add
             "ETRN" to extensions to advertise it
Each Recording also notes ``tls`` (TLS was active when it ended),
``resumed`` (the TLS handshake resumed an earlier session: True, False,
or None without TLS, as seen at EHLO after TLS or at MAIL),
``auth`` ((method, user) after a successful AUTH) and ``etrn`` (arguments),
and times (time.monotonic()): ``opened_at``, ``closed_at`` and
``txn_times`` (when each of ``transactions`` arrived).

After the client has gone, ``server.wait_closed()`` waits until every
connection has been torn down on the server side, so that ``raw`` holds
every byte the client sent before it is compared.
"""

import asyncio
import base64
import collections
import dataclasses
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP

import saslsrv


@dataclasses.dataclass
class Script:
    greeting: str | None = None
    replies: dict = dataclasses.field(default_factory=dict)
    hang_at: str | None = None
    close_at: str | None = None
    no_ehlo: bool = False
    lmtp: bool = False
    smtputf8: bool = True
    max_line: int = 1 << 24
    extensions: list = dataclasses.field(default_factory=list)
    command_max: int = 512
    starttls: object = None
    implicit_tls: object = None
    auth: dict | None = None
    auth_mechs: list = dataclasses.field(
        default_factory=lambda: ["PLAIN", "LOGIN"])
    auth_in_clear: bool = True
    hold_replies: float | None = None
    record_reads: bool = False


class Recording:
    """What one connection sent: raw bytes plus the parsed envelopes."""

    def __init__(self):
        self.raw = bytearray()
        self.transactions = []   # (mail_from, [rcpts], content bytes)
        self.closed = threading.Event()   # set when the connection is gone
        self.tls = False         # TLS was active
        self.resumed = None      # the TLS session was resumed
        self.auth = None         # (method, user) after a successful AUTH
        self.etrn = []           # ETRN arguments
        self.opened_at = time.monotonic()
        self.closed_at = None
        self.txn_times = []      # monotonic time of each transaction
        self.before_reply = []   # hold_replies: (command, bytes)
        self.reads = []          # record_reads: every read, as it came


class _Handler:
    def __init__(self, script):
        self.script = script

    async def handle_EHLO(self, server, session, envelope, hostname,
                          responses):
        session.host_name = hostname
        extra = ["250-" + e for e in self.script.extensions]
        # aiosmtpd's own AUTH line is never offered: ours, if any.
        responses = [r for r in responses if not r.startswith("250-AUTH")]
        if self.script.auth is not None and (server.tls_active()
                                             or self.script.auth_in_clear):
            extra.append("250-AUTH " + " ".join(self.script.auth_mechs))
        return responses[:-1] + extra + responses[-1:]

    async def handle_MAIL(self, server, session, envelope, address, options):
        reply = self.script.replies.get("MAIL")
        if isinstance(reply, dict):
            reply = reply.get(address)
        elif callable(reply):
            reply = reply(address)
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        reply = self.script.replies.get("RCPT")
        if isinstance(reply, dict):
            reply = reply.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if server.script.hang_at == "EOM":
            await asyncio.sleep(3600)
        if server.script.close_at == "EOM":
            server.transport.close()
            return "250 never seen"
        server.recording.transactions.append(
            (envelope.mail_from, list(envelope.rcpt_tos),
             bytes(envelope.original_content)))
        server.recording.txn_times.append(time.monotonic())
        reply = self.script.replies.get("EOM")
        if callable(reply):
            reply = reply(bytes(envelope.original_content))
        if reply:
            return reply
        if self.script.lmtp:
            return "\r\n".join("250 2.1.5 OK" for _ in envelope.rcpt_tos)
        return "250 2.0.0 Ok: queued as TEST1"


def _make_protocol(base):
    class Recorder(base):
        def __init__(self, handler, script, server, **kw):
            # Read by SMTP.__init__ (StreamReader limit) and by smtp_DATA.
            self.line_length_limit = script.max_line
            super().__init__(handler, **kw)
            if script.command_max != SMTP.command_size_limit:
                limit = script.command_max
                self.command_size_limit = limit
                self.command_size_limits = collections.defaultdict(
                    lambda: limit)
            self.script = script
            self.owner = server
            self.recording = Recording()
            self._scan = 0               # hold_replies: where to look
            self._more = asyncio.Event()  # hold_replies: bytes came
            server.sessions.append(self.recording)

        def data_received(self, data):
            self.recording.raw += data
            if self.script.record_reads:
                self.recording.reads.append(bytes(data))
            self._more.set()
            super().data_received(data)

        async def _hold(self, command):
            """hold_replies: wait for DATA after this command, then note
            what had arrived from this command's line on."""
            raw = self.recording.raw
            key = b"MAIL FROM:" if command == "MAIL" else b"RCPT TO:"
            start = raw.upper().find(key, self._scan)
            if start < 0:
                start = self._scan
            eol = raw.find(b"\n", start)
            self._scan = eol + 1 if eol >= 0 else len(raw)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.script.hold_replies
            while b"\nDATA\r\n" not in raw[start:].upper():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                self._more.clear()
                try:
                    await asyncio.wait_for(self._more.wait(), remaining)
                except asyncio.TimeoutError:
                    break
            self.recording.before_reply.append((command, bytes(raw[start:])))

        def tls_active(self):
            return self._tls_protocol is not None or \
                self.ssl_object() is not None

        def ssl_object(self):
            try:
                return self.transport.get_extra_info("ssl_object")
            except AttributeError:     # no transport, or it is gone
                return None

        def connection_lost(self, error):
            self.recording.closed_at = time.monotonic()
            if self.recording.resumed is None:
                self._note_resumed()
            if self.tls_active():
                self.recording.tls = True
            try:
                super().connection_lost(error)
            finally:
                self.recording.closed.set()

        async def _handle_client(self):
            if self.script.hang_at == "GREETING":
                try:
                    await asyncio.sleep(3600)
                finally:
                    if self.transport is not None:
                        self.transport.close()
                return
            if self.script.close_at == "GREETING":
                self.transport.close()
                return
            if self.script.greeting:
                await self.push(self.script.greeting)
                self.transport.close()
                return
            await super()._handle_client()

        async def _faulted(self, command):
            if self.script.hang_at == command:
                await asyncio.sleep(3600)
                return True
            if self.script.close_at == command:
                self.transport.close()
                return True
            reply = self.script.replies.get(command)
            if command in ("EHLO", "LHLO") and self.script.no_ehlo:
                await self.push("502 5.5.2 Error: command not recognized")
                return True
            if command in ("EHLO", "HELO") and reply:
                await self.push(reply)
                return True
            if command == "DATA" and reply:
                await self.push(reply)
                return True
            return False

        async def smtp_EHLO(self, arg):
            if not await self._faulted("EHLO"):
                await super().smtp_EHLO(arg)

        async def smtp_HELO(self, arg):
            if not await self._faulted("HELO"):
                await super().smtp_HELO(arg)

        def _strip_dsn(self, arg, names):
            # aiosmtpd refuses parameters it does not know; DSN's are
            # accepted (and ignored) when the script advertises DSN.
            if not arg or "DSN" not in self.script.extensions:
                return arg
            words = arg.split(" ")
            return " ".join(w for w in words
                            if w.split("=", 1)[0].upper() not in names)

        def _note_resumed(self):
            obj = self.ssl_object()
            if obj is not None:
                self.recording.resumed = obj.session_reused

        async def smtp_MAIL(self, arg):
            self._note_resumed()
            if self.script.hold_replies is not None:
                await self._hold("MAIL")
            if not await self._faulted("MAIL"):
                await super().smtp_MAIL(
                    self._strip_dsn(arg, ("RET", "ENVID")))

        async def smtp_RCPT(self, arg):
            if self.script.hold_replies is not None:
                await self._hold("RCPT")
            if not await self._faulted("RCPT"):
                await super().smtp_RCPT(
                    self._strip_dsn(arg, ("NOTIFY", "ORCPT")))

        async def smtp_DATA(self, arg):
            if not await self._faulted("DATA"):
                await super().smtp_DATA(arg)
            # The next MAIL line comes after this mail's last byte.
            self._scan = len(self.recording.raw)

        async def smtp_STARTTLS(self, arg):
            if await self._faulted("STARTTLS"):
                return
            if self.script.hang_at == "TLS":      # 220, then silence
                await self.push("220 Ready to start TLS")
                await asyncio.sleep(3600)
                return
            reply = self.script.replies.get("STARTTLS")
            if reply:
                await self.push(reply)
                return
            await super().smtp_STARTTLS(arg)
            self.recording.tls = True

        async def smtp_ETRN(self, arg):
            if await self._faulted("ETRN"):
                return
            self.recording.etrn.append(arg)
            await self.push(self.script.replies.get("ETRN")
                            or "250 Queuing started")

        async def smtp_AUTH(self, arg):
            if self.script.auth is None:
                await super().smtp_AUTH(arg)
                return
            if await self._faulted("AUTH"):
                return
            words = (arg or "").split()
            if not words or len(words) > 2:
                await self.push("501 5.5.4 Syntax: AUTH mechanism")
                return
            mech = words[0].upper()
            if mech not in self.script.auth_mechs:
                await self.push("504 5.5.4 Unrecognized authentication type")
                return
            verdict = await saslsrv.run(self, mech, words[1:])
            if verdict is None:            # aborted, already answered
                return
            reply = self.script.replies.get("AUTH")
            if reply:
                await self.push(reply)
            elif verdict.ok:
                self.recording.auth = (mech, verdict.user)
                self.session.authenticated = True
                await self.push("235 2.7.0 Authentication successful")
            else:
                await self.push("535 5.7.8 Authentication credentials invalid")

        # saslsrv's view of the connection.
        async def sasl_ask(self, challenge):
            """Send a 334 challenge; the decoded answer, or None if the
            client gave up ("*") or sent something that is not base64."""
            await self.push("334 " + base64.b64encode(challenge).decode())
            line = (await self._reader.readline()).strip()
            if line == b"*":
                await self.push("501 5.7.0 Auth aborted")
                return None
            try:
                return base64.b64decode(line, validate=True)
            except ValueError:
                await self.push("501 5.5.2 Can't decode base64")
                return None

    return Recorder


class _Controller(Controller):
    def __init__(self, server, **kw):
        self.owner = server
        super().__init__(_Handler(server.script), hostname=server.host,
                         port=server.want_port,
                         ssl_context=server.script.implicit_tls,
                         **kw)

    def factory(self):
        base = LMTP if self.owner.script.lmtp else SMTP
        proto = _make_protocol(base)
        return proto(self.handler, self.owner.script, self.owner,
                     data_size_limit=None,
                     enable_SMTPUTF8=self.owner.script.smtputf8,
                     hostname="rec.test", ident="recsmtpd",
                     tls_context=self.owner.script.starttls)

    def _trigger_server(self):
        # Bound to port 0: learn the real port before the controller's
        # self-check connects to it.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class RecordingServer:
    """Context manager: ``with RecordingServer(Script(...)) as srv:``."""

    def __init__(self, script=None, port=0, host="127.0.0.1"):
        self.script = script or Script()
        self.sessions = []
        self._ctl = None
        self.port = None
        self.want_port = port   # 0: any free port
        self.host = host        # the loopback address listened on

    def __enter__(self):
        self._ctl = _Controller(self)
        self._ctl.start()
        self.port = self._ctl.port
        # Drop the controller's self-check connection.
        self.sessions.clear()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def stop(self):
        """Stop the server (idempotent); hanging sessions are cancelled."""
        if self._ctl is not None:
            ctl, self._ctl = self._ctl, None
            ctl.stop()

    def wait_closed(self, timeout=5.0):
        """Wait until every connection so far is closed on the server side.

        Returns True if they all closed in time. Call it after the client
        process has exited: the kernel then closes the client's socket, the
        server sees EOF and tears the session down, and every byte the
        client sent is in ``raw``.
        """
        deadline = time.monotonic() + timeout
        for rec in list(self.sessions):
            if not rec.closed.wait(max(0.0, deadline - time.monotonic())):
                return False
        return True

    def reset(self):
        self.sessions.clear()
