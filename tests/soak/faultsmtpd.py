#!/usr/bin/python3
"""A loopback SMTP server that fails at random, for the soak (soak.py).

It speaks just enough ESMTP for msmtp and msmtp-queue: EHLO/HELO with
PIPELINING, STARTTLS (--cert/--key), AUTH PLAIN and LOGIN (--user,
--password, only under TLS), MAIL, RCPT, DATA, RSET, NOOP, QUIT. At each
stage -- the greeting, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, the final
dot -- it injects a fault with probability --fault-rate, the kind drawn
from the stage's list below:

  421        the greeting is 421, then the connection is closed
  4xx, 5xx   a temporary / permanent refusal of the command
  drop       the connection is closed instead of the reply (at DATA: after
             the 354, in the middle of the mail's bytes); aborted, so a
             reply still in the server's buffers is lost too, as in a
             crash (the client must then count a mail the server took,
             after the dot, as uncertain)
  stall      silence for --stall seconds (longer than the client's
             timeout), then the connection is closed
  garbage    STARTTLS is answered 220, then bytes that are no TLS record
  lost-250   (final dot) the mail is accepted and recorded, and the
             connection closed before the 250 goes out: the client cannot
             know, so it must treat the mail as uncertain

Every mail accepted -- a 250 to the final dot, or lost-250 -- is
appended, before the reply goes out, to --record as one JSON line:
{"t", "mid" (the Message-ID without <>), "from", "rcpt", "how"}, with
os.write() on an O_APPEND descriptor, so the record survives a crash of
any client. SIGUSR1 turns the faults off for good (the soak's drain);
the server answers on stdout "faults off". SIGTERM stops it, after
writing --stats (JSON: faults injected per stage and kind, sessions,
mails accepted). On start it prints "PORT n" on stdout.

    faultsmtpd.py --record FILE --stats FILE --cert PEM --key KEY
                  [--user U --password P] [--fault-rate 0.03]
                  [--stall 3] [--seed N]
"""

import argparse
import asyncio
import base64
import json
import os
import random
import signal
import ssl
import sys
import time
from collections import Counter

# The faults each stage may get, with their weights.
KINDS = {
    "greeting": {"421": 5, "drop": 2, "stall": 1},
    "EHLO": {"4xx": 5, "5xx": 1, "drop": 2, "stall": 1},
    "STARTTLS": {"4xx": 4, "5xx": 1, "drop": 2, "stall": 1, "garbage": 3},
    "AUTH": {"4xx": 5, "5xx": 1, "drop": 2, "stall": 1},
    "MAIL": {"4xx": 5, "5xx": 1, "drop": 2, "stall": 1},
    "RCPT": {"4xx": 5, "5xx": 1, "drop": 2, "stall": 1},
    "DATA": {"4xx": 5, "5xx": 1, "drop": 2, "stall": 1},
    "dot": {"4xx": 5, "5xx": 1, "drop": 2, "stall": 1, "lost-250": 3},
}
CODES = {"4xx": {"EHLO": "421 4.3.0 try later", "STARTTLS":
                 "454 4.7.0 TLS not available now", "AUTH":
                 "454 4.7.0 temporary authentication failure",
                 "MAIL": "451 4.3.0 try later",
                 "RCPT": "450 4.2.1 mailbox busy",
                 "DATA": "451 4.3.0 try later",
                 "dot": "451 4.3.0 queue trouble"},
         "5xx": {"EHLO": "554 5.5.0 go away", "STARTTLS":
                 "554 5.7.0 no TLS for you", "AUTH":
                 "535 5.7.8 authentication failed",
                 "MAIL": "550 5.7.1 sender refused",
                 "RCPT": "550 5.1.1 no such user",
                 "DATA": "554 5.5.0 no data today",
                 "dot": "554 5.6.0 message refused"}}


class Dropped(Exception):
    """The session ends here, on the server's initiative."""


class Server:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.faults_on = True
        self.injected = Counter()
        self.sessions = 0
        self.accepted = 0
        self.record_fd = os.open(a.record, os.O_WRONLY | os.O_CREAT |
                                 os.O_APPEND, 0o600)
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(a.cert, a.key)

    def fault(self, stage):
        if not self.faults_on or self.rng.random() >= self.a.fault_rate:
            return None
        kinds = KINDS[stage]
        kind = self.rng.choices(list(kinds), weights=list(kinds.values()))[0]
        self.injected[f"{stage} {kind}"] += 1
        return kind

    def record(self, mid, sender, rcpts, how):
        line = json.dumps({"t": time.time(), "mid": mid, "from": sender,
                           "rcpt": rcpts, "how": how}) + "\n"
        os.write(self.record_fd, line.encode())
        self.accepted += 1

    async def handle(self, reader, writer):
        self.sessions += 1
        s = Session(self, reader, writer)
        try:
            await asyncio.wait_for(s.run(), timeout=self.a.session_limit)
        except (Dropped, ConnectionError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError, asyncio.TimeoutError, ssl.SSLError,
                OSError):
            pass
        finally:
            s.close()


class Session:
    def __init__(self, srv, reader, writer):
        self.srv, self.r, self.w = srv, reader, writer
        self.tls = False
        self.authed = False
        self.reset()

    def reset(self):
        self.sender = None
        self.rcpts = []

    def close(self):
        try:
            self.w.transport.abort()
        except Exception:
            pass

    async def reply(self, line):
        self.w.write(line.encode() + b"\r\n")
        await self.w.drain()

    async def apply(self, stage, kind):
        """Carry out a fault other than a plain refusal."""
        if kind == "drop":
            raise Dropped()
        if kind == "stall":
            await asyncio.sleep(self.srv.a.stall)
            raise Dropped()
        await self.reply(CODES[kind][stage])
        if stage == "EHLO" and kind == "4xx":
            raise Dropped()         # 421 closes the connection

    async def readline(self):
        line = await self.r.readline()
        if not line:
            raise Dropped()
        return line.decode("utf-8", "replace").rstrip("\r\n")

    async def run(self):
        kind = self.srv.fault("greeting")
        if kind == "421":
            await self.reply("421 4.3.2 not now")
            raise Dropped()
        if kind is not None:
            await self.apply("greeting", kind)
        await self.reply("220 localhost soak ESMTP")
        while True:
            line = await self.readline()
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            handler = getattr(self, "cmd_" + verb, None)
            if handler is None:
                await self.reply("502 5.5.2 unknown command")
                continue
            if await handler(arg) == "quit":
                return

    async def staged(self, stage):
        """A fault at stage, if one is drawn: True when it replied."""
        kind = self.srv.fault(stage)
        if kind is None:
            return False
        await self.apply(stage, kind)
        return True

    async def cmd_EHLO(self, arg):
        if await self.staged("EHLO"):
            return
        self.reset()
        ext = ["PIPELINING", "8BITMIME"]
        ext.append("AUTH PLAIN LOGIN" if self.tls else "STARTTLS")
        lines = ["localhost"] + ext
        for i, e in enumerate(lines):
            await self.reply(("250 " if i == len(lines) - 1 else "250-") + e)

    async def cmd_HELO(self, arg):
        self.reset()
        await self.reply("250 localhost")

    async def cmd_STARTTLS(self, arg):
        if self.tls:
            await self.reply("503 5.5.1 TLS already active")
            return
        kind = self.srv.fault("STARTTLS")
        if kind == "garbage":
            await self.reply("220 2.0.0 go ahead")
            self.w.write(b"this is no TLS record\r\n" * 8)
            await self.w.drain()
            raise Dropped()
        if kind is not None:
            await self.apply("STARTTLS", kind)
            return
        await self.reply("220 2.0.0 go ahead")
        await self.w.start_tls(self.srv.tls)
        self.tls = True
        self.reset()

    def check_plain(self, b64):
        try:
            parts = base64.b64decode(b64).split(b"\0")
        except ValueError:
            return False
        return (len(parts) == 3 and parts[1].decode() == self.srv.a.user and
                parts[2].decode() == self.srv.a.password)

    async def cmd_AUTH(self, arg):
        if not self.tls:
            await self.reply("538 5.7.11 encryption required")
            return
        mech, _, initial = arg.partition(" ")
        if await self.staged("AUTH"):
            return
        if mech.upper() == "PLAIN":
            if not initial:
                await self.reply("334 ")
                initial = await self.readline()
            ok = self.check_plain(initial)
        elif mech.upper() == "LOGIN":
            await self.reply("334 VXNlcm5hbWU6")
            user = base64.b64decode(await self.readline()).decode()
            await self.reply("334 UGFzc3dvcmQ6")
            pw = base64.b64decode(await self.readline()).decode()
            ok = user == self.srv.a.user and pw == self.srv.a.password
        else:
            await self.reply("504 5.5.4 unknown mechanism")
            return
        self.authed = ok
        await self.reply("235 2.7.0 ok" if ok else "535 5.7.8 bad password")

    async def cmd_MAIL(self, arg):
        if self.srv.a.user and not self.authed:
            await self.reply("530 5.7.0 authentication required")
            return
        if await self.staged("MAIL"):
            return
        self.reset()
        self.sender = arg.partition(":")[2].strip().split(" ")[0].strip("<>")
        await self.reply("250 2.1.0 ok")

    async def cmd_RCPT(self, arg):
        if self.sender is None:
            await self.reply("503 5.5.1 MAIL first")
            return
        if await self.staged("RCPT"):
            return
        self.rcpts.append(arg.partition(":")[2].strip().strip("<>"))
        await self.reply("250 2.1.5 ok")

    async def cmd_DATA(self, arg):
        if not self.rcpts:
            await self.reply("503 5.5.1 RCPT first")
            return
        kind = self.srv.fault("DATA")
        if kind == "drop":
            await self.reply("354 go ahead")
            await self.r.readline()      # some of the mail, then away
            raise Dropped()
        if kind is not None:
            await self.apply("DATA", kind)
            return
        await self.reply("354 go ahead")
        mid = await self.read_mail()
        sender, rcpts = self.sender, self.rcpts
        self.reset()
        kind = self.srv.fault("dot")
        if kind == "lost-250":
            self.srv.record(mid, sender, rcpts, "lost-250")
            raise Dropped()
        if kind is not None:
            await self.apply("dot", kind)
            return
        self.srv.record(mid, sender, rcpts, "250")
        await self.reply("250 2.0.0 queued")

    async def read_mail(self):
        """The mail's bytes up to the final dot; its Message-ID."""
        mid, in_headers = None, True
        while True:
            line = await self.r.readline()
            if not line:
                raise Dropped()
            if line in (b".\r\n", b".\n"):
                return mid
            if in_headers:
                text = line.decode("utf-8", "replace").rstrip("\r\n")
                if not text:
                    in_headers = False
                elif text.lower().startswith("message-id:"):
                    mid = text.split(":", 1)[1].strip().strip("<>")

    async def cmd_RSET(self, arg):
        self.reset()
        await self.reply("250 2.0.0 ok")

    async def cmd_NOOP(self, arg):
        await self.reply("250 2.0.0 ok")

    async def cmd_QUIT(self, arg):
        await self.reply("221 2.0.0 bye")
        return "quit"


async def main_async(a):
    srv = Server(a)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def faults_off():
        srv.faults_on = False
        print("faults off", flush=True)

    loop.add_signal_handler(signal.SIGUSR1, faults_off)
    loop.add_signal_handler(signal.SIGTERM, lambda: stop.done() or
                            stop.set_result(None))
    server = await asyncio.start_server(srv.handle, "127.0.0.1", a.port,
                                        backlog=256)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    await stop
    server.close()
    with open(a.stats, "w") as f:
        json.dump({"injected": dict(srv.injected), "sessions": srv.sessions,
                   "accepted": srv.accepted}, f, indent=1, sort_keys=True)
    os.close(srv.record_fd)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--record", required=True)
    ap.add_argument("--stats", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--user", default="")
    ap.add_argument("--password", default="")
    ap.add_argument("--fault-rate", type=float, default=0.03)
    ap.add_argument("--stall", type=float, default=3.0)
    ap.add_argument("--session-limit", type=float, default=600.0,
                    help="longest session, seconds (bounds every task)")
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    asyncio.run(main_async(a))


if __name__ == "__main__":
    sys.exit(main())
