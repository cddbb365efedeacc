"""Relays for the route tests (test_route.py), each a real server on
127.0.0.1 or a Unix socket that forwards to the recording server:

Socks5: a SOCKS5 proxy (RFC 1928), no authentication, CONNECT only. It
records every request (address type, host, port) and resolves names
through its own table only (``resolve``), so no test makes a DNS query.
Faults: ``method`` (the method byte it answers, 0xFF = none acceptable),
``reply`` (the REP code of the CONNECT reply), ``version`` (the version
byte of its replies).

UnixRelay: a Unix domain socket that forwards each connection to a TCP
port on 127.0.0.1.
"""

import select
import socket
import socketserver
import struct
import threading


class _Served:
    """A socketserver run in a thread: ``with`` starts and stops it.
    Subclasses call _serve(server_class, address) and define
    _handle(sock)."""

    def _serve(self, base, address):
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                outer._handle(self.request)

        class Server(base):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(address, Handler)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class Socks5(_Served):
    def __init__(self, method=0, reply=0, version=5, resolve=None):
        self.method, self.reply, self.version = method, reply, version
        self.resolve = resolve or {}     # name -> IP literal (else 4)
        self.requests = []               # (atyp, host, port)
        self._serve(socketserver.ThreadingTCPServer, ("127.0.0.1", 0))
        self.port = self.server.server_address[1]

    @staticmethod
    def _recv(s, n):
        b = b""
        while len(b) < n:
            chunk = s.recv(n - len(b))
            if not chunk:
                raise ConnectionError("closed")
            b += chunk
        return b

    def _handle(self, s):
        s.settimeout(10)
        try:
            ver, nmethods = self._recv(s, 2)
            self._recv(s, nmethods)
            s.sendall(bytes([self.version, self.method]))
            if self.method != 0 or self.version != 5:
                return
            ver, cmd, _, atyp = self._recv(s, 4)
            if atyp == 3:
                host = self._recv(s, self._recv(s, 1)[0]).decode()
            elif atyp == 1:
                host = socket.inet_ntoa(self._recv(s, 4))
            else:
                host = socket.inet_ntop(socket.AF_INET6, self._recv(s, 16))
            (port,) = struct.unpack("!H", self._recv(s, 2))
            self.requests.append((atyp, host, port))
            if self.reply != 0:
                s.sendall(bytes([5, self.reply, 0, 1, 0, 0, 0, 0, 0, 0]))
                return
            if host not in self.resolve:
                s.sendall(bytes([5, 4, 0, 1, 0, 0, 0, 0, 0, 0]))
                return
            try:
                up = socket.create_connection(
                    (self.resolve[host], port), timeout=10)
            except OSError:
                s.sendall(bytes([5, 5, 0, 1, 0, 0, 0, 0, 0, 0]))
                return
            s.sendall(bytes([5, 0, 0, 1, 127, 0, 0, 1]) +
                      struct.pack("!H", up.getsockname()[1]))
            relay(s, up)
        except (OSError, ConnectionError, ValueError):
            pass
        finally:
            s.close()


def relay(a, b):
    """Copy both ways until either side closes (or 30 s of silence);
    b is closed afterwards."""
    with b:
        socks = [a, b]
        while True:
            r, _, _ = select.select(socks, [], [], 30)
            if not r:
                return
            for x in r:
                data = x.recv(65536)
                if not data:
                    return
                (b if x is a else a).sendall(data)


class UnixRelay(_Served):
    def __init__(self, path, port):
        self.path, self.port = str(path), port
        self._serve(socketserver.ThreadingUnixStreamServer, self.path)

    def _handle(self, sock):
        try:
            up = socket.create_connection(("127.0.0.1", self.port),
                                          timeout=10)
        except OSError:
            return
        try:
            relay(sock, up)
        except OSError:
            pass
