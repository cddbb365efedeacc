"""A DNS server on a loopback address for the DNS tests: UDP, one answer
per name from a table, so that no query ever leaves the machine.

``answers`` maps a lower-case name to "NXDOMAIN", "SERVFAIL", "DROP"
(no reply at all), an IPv4 literal (one A record; AAAA questions get
an empty answer), a tuple of IPv4 and IPv6 literals (A records for the
first, AAAA records for the others, each in order) or a list of SRV
records, each a tuple (priority,
weight, port, target), answered to SRV questions (an empty list is a
name with no SRV record; other types get an empty answer). Names not in
the table get REFUSED. Every question is recorded as (name, qtype).
"""

import os
import random
import shutil
import socket
import struct
import subprocess
import threading

import pytest

# Run as `sh -c NAMESPACE resolv.conf program args...` inside
# `unshare -m`: the program sees our resolv.conf, the host keeps its own.
NAMESPACE = r"""set -e
mount --bind "$0" /etc/resolv.conf
exec "$@"
"""


def free_dns_addr():
    """A loopback address of 127.53.0.0/16 whose UDP port 53 is free now,
    picked at random: two suites run at once (each test's server binds
    its own) then never meet on one address, as they did on fixed
    ones."""
    if os.geteuid() != 0:
        pytest.skip("needs root (port 53)")
    rng = random.SystemRandom()
    for _ in range(50):
        addr = f"127.53.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind((addr, 53))
            except OSError:
                continue
        return addr
    pytest.fail("no free loopback address for a DNS server")


def resolver_prefix(tmp_path, addr):
    """The command line prefix that runs a program with the DNS server on
    addr as its only resolver, in a mount namespace of its own (the
    host's /etc/resolv.conf is never touched); skips the test where that
    cannot be done (not root, no unshare, no mount namespaces)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare(1)")
    if subprocess.run(["unshare", "-m", "true"], capture_output=True,
                      timeout=10).returncode != 0:
        pytest.skip("cannot make a mount namespace here")
    conf = tmp_path / "resolv.conf"
    conf.write_text(f"nameserver {addr}\noptions timeout:1 attempts:1\n")
    return ["unshare", "-m", "sh", "-c", NAMESPACE, str(conf)]


class DnsServer:
    def __init__(self, answers, addr, port=53):
        self.answers = {k.lower(): v for k, v in answers.items()}
        self.questions = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((addr, port))
        self.sock.settimeout(0.1)
        self.addr = addr
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join(5)
        self.sock.close()

    def _serve(self):
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(512)
            except socket.timeout:
                continue
            except OSError:
                return
            reply = self._answer(data)
            if reply is not None:
                self.sock.sendto(reply, peer)

    def _answer(self, q):
        if len(q) < 12:
            return None
        qid, flags, qd = struct.unpack("!HHH", q[:6])
        labels, i = [], 12
        while i < len(q) and q[i] != 0:
            n = q[i]
            labels.append(q[i + 1:i + 1 + n].decode("ascii", "replace"))
            i += 1 + n
        question = q[12:i + 5]
        qtype = struct.unpack("!H", q[i + 1:i + 3])[0]
        name = ".".join(labels).lower()
        self.questions.append((name, qtype))
        what = self.answers.get(name, "REFUSED")
        rd = flags & 0x0100
        if isinstance(what, list):
            return self._srv_reply(qid, rd, question, qtype, what)
        if what == "DROP":
            return None
        rcode = 0 if isinstance(what, tuple) else {
            "NXDOMAIN": 3, "SERVFAIL": 2, "REFUSED": 5}.get(what, 0)
        head = struct.pack("!HHHHHH", qid, 0x8000 | 0x0400 | rd | 0x0080 |
                           rcode, 1, 0, 0, 0)
        if rcode:
            return head + question
        records = [_address(a) for a in
                   (what if isinstance(what, tuple) else (what,))]
        answers = [b"\xc0\x0c" + struct.pack("!HHIH", t, 1, 60, len(a)) + a
                   for t, a in records if t == qtype]
        return (struct.pack("!HHHHHH", qid, 0x8000 | 0x0400 | rd | 0x0080,
                            1, len(answers), 0, 0) + question +
                b"".join(answers))

    @staticmethod
    def _srv_reply(qid, rd, question, qtype, records):
        if qtype != 33:
            records = []
        answers = b"".join(
            b"\xc0\x0c" + struct.pack("!HHI", 33, 1, 60) +
            struct.pack("!H", 6 + len(_name(target))) +
            struct.pack("!HHH", prio, weight, port) + _name(target)
            for prio, weight, port, target in records)
        return (struct.pack("!HHHHHH", qid, 0x8000 | 0x0400 | rd | 0x0080,
                            1, len(records), 0, 0) + question + answers)


def _address(literal):
    """(qtype, rdata) of an A or AAAA record for an address literal."""
    if ":" in literal:
        return 28, socket.inet_pton(socket.AF_INET6, literal)
    return 1, socket.inet_aton(literal)


def _name(dotted):
    """A domain name in DNS wire form, uncompressed."""
    labels = [x for x in dotted.rstrip(".").split(".") if x]
    return b"".join(bytes([len(x)]) + x.encode("ascii")
                    for x in labels) + b"\0"
