"""The served HTTP connection (govsignin.web.protocol over uvicorn): responses whose head goes
out alone still go out at once, and a keep-alive connection carries response after response.

Each response's head is held back until its body follows (one write); these are the cases where
no body follows at once."""

from __future__ import annotations

import pytest

from tests.support.rawhttp import connect, read_response


def test_100_continue_goes_out_before_the_request_body(live_server):
    body = b"grant_type=authorization_code&code=nope&client_id=nobody"
    with connect(live_server.port) as conn:
        conn.sendall(b"POST /token HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body))
        interim = conn.recv(65536)  # the client waits for this before it sends the body
        assert interim.startswith(b"HTTP/1.1 100 Continue"), interim
        conn.sendall(body)
        head, answer, _ = read_response(conn, interim.partition(b"\r\n\r\n")[2])
    assert head.startswith(b"HTTP/1.1 40")
    assert b'"error"' in answer  # an OAuth error, answered over the same connection


def test_pipelined_requests_get_their_responses_in_order(live_server):
    request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
    discovery = b"GET /.well-known/openid-configuration HTTP/1.1\r\nHost: localhost\r\n\r\n"
    with connect(live_server.port) as conn:
        conn.sendall(request + discovery + request)
        first, body1, rest = read_response(conn)
        second, body2, rest = read_response(conn, rest)
        third, body3, rest = read_response(conn, rest)
    assert [h.split(b"\r\n")[0] for h in (first, second, third)] == [b"HTTP/1.1 200 OK"] * 3
    assert body1 == body3 and b"ok" in body1
    assert b'"issuer"' in body2
    assert rest == b""


@pytest.mark.parametrize("path", ["/.well-known/openid-configuration", "/healthz"])
def test_a_head_response_has_no_body_and_the_connection_goes_on(live_server, path):
    with connect(live_server.port) as conn:
        conn.sendall(b"HEAD %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % path.encode())
        head, _, rest = read_response(conn, head_only=True)
        assert head.startswith(b"HTTP/1.1 ")
        assert rest == b""  # no body after a HEAD's head
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        again, body, _ = read_response(conn, rest)
    assert again.startswith(b"HTTP/1.1 200") and b"ok" in body
