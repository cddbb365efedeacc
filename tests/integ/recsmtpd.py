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
             address -> reply
  hang_at    command name at which the server stops answering
             ("GREETING" = never send the greeting, "EOM" = after the
             final dot arrives)
  close_at   command name at which the server closes the connection
             without a reply ("EOM" = right after the final dot arrives,
             "GREETING" = before the greeting)
  no_ehlo    answer EHLO with 502 so the client must fall back to HELO
  lmtp       speak LMTP (LHLO, one reply per recipient after the dot)
  extensions extra EHLO/LHLO keywords to advertise, e.g. ["PIPELINING",
             "DSN", "SIZE 1000000"] (aiosmtpd already offers 8BITMIME and
             SMTPUTF8); with "DSN", RET=/ENVID=/NOTIFY=/ORCPT= parameters
             are accepted (and recorded, like everything, in ``raw``)
  max_line   longest line (bytes, CRLF included) the server reads, in
             commands and in DATA; aiosmtpd's own default is 1001, ours is
             large so that a client's long lines are recorded, not refused

After the client has gone, ``server.wait_closed()`` waits until every
connection has been torn down on the server side, so that ``raw`` holds
every byte the client sent before it is compared.
"""

import asyncio
import dataclasses
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP


@dataclasses.dataclass
class Script:
    greeting: str | None = None
    replies: dict = dataclasses.field(default_factory=dict)
    hang_at: str | None = None
    close_at: str | None = None
    no_ehlo: bool = False
    lmtp: bool = False
    max_line: int = 1 << 24
    extensions: list = dataclasses.field(default_factory=list)


class Recording:
    """What one connection sent: raw bytes plus the parsed envelopes."""

    def __init__(self):
        self.raw = bytearray()
        self.transactions = []   # (mail_from, [rcpts], content bytes)
        self.closed = threading.Event()   # set when the connection is gone


class _Handler:
    def __init__(self, script):
        self.script = script

    async def handle_EHLO(self, server, session, envelope, hostname,
                          responses):
        session.host_name = hostname
        extra = ["250-" + e for e in self.script.extensions]
        return responses[:-1] + extra + responses[-1:]

    async def handle_MAIL(self, server, session, envelope, address, options):
        reply = self.script.replies.get("MAIL")
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
        reply = self.script.replies.get("EOM")
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
            self.script = script
            self.owner = server
            self.recording = Recording()
            server.sessions.append(self.recording)

        def data_received(self, data):
            self.recording.raw += data
            super().data_received(data)

        def connection_lost(self, error):
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

        async def smtp_MAIL(self, arg):
            if not await self._faulted("MAIL"):
                await super().smtp_MAIL(
                    self._strip_dsn(arg, ("RET", "ENVID")))

        async def smtp_RCPT(self, arg):
            if not await self._faulted("RCPT"):
                await super().smtp_RCPT(
                    self._strip_dsn(arg, ("NOTIFY", "ORCPT")))

        async def smtp_DATA(self, arg):
            if not await self._faulted("DATA"):
                await super().smtp_DATA(arg)

    return Recorder


class _Controller(Controller):
    def __init__(self, server, **kw):
        self.owner = server
        super().__init__(_Handler(server.script), hostname="127.0.0.1",
                         port=0, **kw)

    def factory(self):
        base = LMTP if self.owner.script.lmtp else SMTP
        proto = _make_protocol(base)
        return proto(self.handler, self.owner.script, self.owner,
                     data_size_limit=None, enable_SMTPUTF8=True,
                     hostname="rec.test", ident="recsmtpd")

    def _trigger_server(self):
        # Bound to port 0: learn the real port before the controller's
        # self-check connects to it.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class RecordingServer:
    """Context manager: ``with RecordingServer(Script(...)) as srv:``."""

    def __init__(self, script=None):
        self.script = script or Script()
        self.sessions = []
        self._ctl = None
        self.port = None

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
