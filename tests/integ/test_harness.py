"""Checks of the test harness itself: normalize() and the recording server.

No msmtp involved; if these fail, the differential tests mean nothing.
"""

import socket
import time

from conftest import Script, free_port, normalize, strip_goodbye


def test_normalize_wire_transcript():
    raw = (b"EHLO localhost\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"
           b"From: a@b\r\nDate: Sun, 22 Nov 2026 04:59:29 +0000\r\n"
           b"Message-ID: <0123.a@b>\r\nSubject: Date: not this\r\n\r\n"
           b"Date: nor this body line\r\nMessage-ID: nor this\r\n.\r\n"
           b"QUIT\r\n")
    assert normalize(raw) == (
        b"EHLO localhost\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"
        b"From: a@b\r\nDate: <DATE>\r\nMessage-ID: <MESSAGE-ID>\r\n"
        b"Subject: Date: not this\r\n\r\n"
        b"Date: nor this body line\r\nMessage-ID: nor this\r\n.\r\n"
        b"QUIT\r\n")


def test_normalize_keeps_name_case_and_drops_folding():
    raw = (b"LHLO x\r\nDATA\r\nmessage-id:\r\n <folded@x>\r\nDATE:  Mon\r\n"
           b"X: y\r\n.\r\n")
    assert normalize(raw) == (b"LHLO x\r\nDATA\r\nmessage-id: <MESSAGE-ID>"
                              b"\r\nDATE: <DATE>\r\nX: y\r\n.\r\n")


def test_normalize_headers_only_mail_ends_at_dot():
    raw = (b"EHLO x\r\nDATA\r\nDate: 1\r\n.\r\nMAIL FROM:<>\r\nDATA\r\n"
           b"Date: 2\r\n\r\nDate: body\r\n.\r\nQUIT\r\n")
    assert normalize(raw) == (
        b"EHLO x\r\nDATA\r\nDate: <DATE>\r\n.\r\nMAIL FROM:<>\r\nDATA\r\n"
        b"Date: <DATE>\r\n\r\nDate: body\r\n.\r\nQUIT\r\n")


def test_normalize_bare_message():
    assert normalize(b"Date: x\nSubject: s\n\nDate: y\n") == \
        b"Date: <DATE>\nSubject: s\n\nDate: y\n"
    assert normalize(b"") == b""
    assert normalize(b"no newline") == b"no newline"


def test_strip_goodbye():
    assert strip_goodbye(b"EHLO x\r\nMAIL FROM:<>\r\nRSET\r\nQUIT\r\n") == \
        b"EHLO x\r\nMAIL FROM:<>\r\n"


def _talk(port, chunks):
    """Send chunks, half-close, return every reply byte."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        for chunk in chunks:
            s.sendall(chunk)
        s.shutdown(socket.SHUT_WR)
        replies = b""
        while True:
            data = s.recv(65536)
            if not data:
                return replies
            replies += data


def test_server_records_every_byte(server):
    srv = server()
    sent = [b"EHLO t\r\n", b"MAIL FROM:<a@b>\r\n", b"RCPT TO:<c@d>\r\n",
            b"DATA\r\n", b"Subject: s\r\n\r\n..dot\r\n" + b"x" * 5000 + b"\r\n",
            b".\r\n", b"QUIT\r\n"]
    replies = _talk(srv.port, sent)
    assert srv.wait_closed(5)
    assert len(srv.sessions) == 1
    assert bytes(srv.sessions[0].raw) == b"".join(sent)
    mail_from, rcpts, content = srv.sessions[0].transactions[0]
    assert (mail_from, rcpts) == ("a@b", ["c@d"])
    assert content == b"Subject: s\r\n\r\n.dot\r\n" + b"x" * 5000 + b"\r\n"
    assert b"250 2.0.0 Ok" in replies


def test_server_scripted_reply(server):
    srv = server(Script(replies={"RCPT": {"c@d": "550 5.1.1 no"}}))
    replies = _talk(srv.port, [b"EHLO t\r\nMAIL FROM:<a@b>\r\n"
                               b"RCPT TO:<c@d>\r\nRCPT TO:<e@f>\r\nQUIT\r\n"])
    assert b"550 5.1.1 no" in replies and replies.count(b"250 OK") == 2


def test_server_hang_is_cancelled_on_stop(server):
    srv = server(Script(hang_at="MAIL"))
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    s.sendall(b"EHLO t\r\nMAIL FROM:<a@b>\r\n")
    time.sleep(0.2)
    t = time.monotonic()
    srv.stop()
    assert time.monotonic() - t < 5
    s.close()


def test_server_notices_client_gone_while_hanging(server):
    srv = server(Script(hang_at="RCPT"))
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    s.sendall(b"EHLO t\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n")
    time.sleep(0.2)
    s.close()
    assert srv.wait_closed(5)


def test_free_port_refuses():
    port = free_port()
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return
    raise AssertionError(f"something listens on port {port}")
