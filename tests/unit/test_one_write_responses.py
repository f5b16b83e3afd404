"""govsignin.web.protocol: a response's head and body leave in one write; nothing is held past
the event loop's current pass, and closing writes what is held first."""

from __future__ import annotations

import asyncio

from govsignin.web.protocol import HeadWithBody


class RecordingTransport:
    def __init__(self):
        self.calls: list[tuple] = []
        self.closing = False

    def write(self, data):
        self.calls.append(("write", bytes(data)))

    def writelines(self, chunks):
        self.calls.append(("writelines", tuple(bytes(c) for c in chunks)))

    def close(self):
        self.closing = True
        self.calls.append(("close",))

    def abort(self):
        self.closing = True
        self.calls.append(("abort",))

    def is_closing(self):
        return self.closing

    def get_extra_info(self, name, default=None):
        return {"peername": ("127.0.0.1", 5555)}.get(name, default)

    def get_write_buffer_size(self):
        return 0


def _run(scenario):
    async def main():
        real = RecordingTransport()
        await scenario(HeadWithBody(real, asyncio.get_running_loop()), real)
        return real.calls

    return asyncio.run(main())


def test_head_and_body_leave_in_one_write():
    async def scenario(t, real):
        t.write(b"HTTP/1.1 200 OK\r\n\r\n")
        assert real.calls == []  # held until the body comes
        t.write(b"<html>")
        await asyncio.sleep(0)  # the end-of-pass flush finds nothing left to write

    assert _run(scenario) == [("writelines", (b"HTTP/1.1 200 OK\r\n\r\n", b"<html>"))]


def test_a_lone_write_goes_out_at_the_end_of_the_pass():
    async def scenario(t, real):
        t.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # the client waits for it before sending a body
        await asyncio.sleep(0)
        assert real.calls == [("write", b"HTTP/1.1 100 Continue\r\n\r\n")]
        await asyncio.sleep(0)

    assert _run(scenario) == [("write", b"HTTP/1.1 100 Continue\r\n\r\n")]


def test_each_response_on_a_connection_is_its_own_write():
    async def scenario(t, real):
        for n in (1, 2):
            t.write(b"HEAD%d" % n)
            t.write(b"BODY%d" % n)
        t.write(b"")  # an empty body write with nothing held writes nothing
        await asyncio.sleep(0)

    assert _run(scenario) == [("writelines", (b"HEAD1", b"BODY1")), ("writelines", (b"HEAD2", b"BODY2"))]


def test_closing_writes_what_is_held_first():
    async def scenario(t, real):
        t.write(b"HTTP/1.1 500 Internal Server Error\r\n\r\n")
        t.close()
        await asyncio.sleep(0)

    assert _run(scenario) == [("write", b"HTTP/1.1 500 Internal Server Error\r\n\r\n"), ("close",)]


def test_abort_drops_what_is_held_and_nothing_is_written_to_a_closed_transport():
    async def aborted(t, real):
        t.write(b"HEAD")
        t.abort()
        await asyncio.sleep(0)

    async def peer_gone(t, real):
        t.write(b"HEAD")
        real.closing = True  # connection lost before the end of the pass
        await asyncio.sleep(0)

    assert _run(aborted) == [("abort",)]
    assert _run(peer_gone) == []


def test_everything_else_is_the_real_transport():
    async def scenario(t, real):
        assert t.get_extra_info("peername") == ("127.0.0.1", 5555)
        assert t.is_closing() is False
        t.write(b"12345")
        assert t.get_write_buffer_size() == 5  # what is held counts as buffered
        await asyncio.sleep(0)

    _run(scenario)
