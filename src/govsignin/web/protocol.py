"""uvicorn's httptools protocol, sending each response's head and body in one write.

uvicorn writes a response in two `transport.write` calls, the head when the app sends
`http.response.start` and the body when it sends `http.response.body`. Each write is a `send`
system call and a TCP segment of its own, and on a page or a token response the two come
within microseconds of each other. Here the head is held back until the body follows, and the
two leave in one `writelines` (one `writev`): half the system calls and packets per response,
on every request. Measured in docs/performance.md ("One write per response").

Nothing is held for long: whatever is held at the end of the event loop's current pass is
written then, so a response whose body comes later (a streamed body, a `100 Continue` before
the request body) goes out exactly as before, one loop pass later at most. Closing the
connection writes what is held first.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class HeadWithBody:
    """A transport that holds one write until the next one, or the end of the loop's pass.

    Everything but write, writelines, close and abort is the real transport's."""

    __slots__ = ("_transport", "_loop", "_held", "_flush")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None
        self._flush: asyncio.Handle | None = None

    def write(self, data: bytes) -> None:
        held = self._held
        if held is None:
            if data:
                self._held = data
                self._flush = self._loop.call_soon(self.flush)
            return
        self._held = None
        self._flush.cancel()
        self._transport.writelines((held, data))

    def writelines(self, list_of_data) -> None:
        self.flush()
        self._transport.writelines(list_of_data)

    def flush(self) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._flush.cancel()
            if not self._transport.is_closing():  # the peer is gone: nothing to write to
                self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        if self._flush is not None:
            self._flush.cancel()
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + len(self._held or b"")

    def __getattr__(self, name):  # get_extra_info, is_closing, pause_reading, set_protocol, …
        return getattr(self._transport, name)


class OneWriteHttpToolsProtocol(HttpToolsProtocol):
    """`uvicorn.run(http=…)`: uvicorn's httptools protocol over a HeadWithBody transport."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(HeadWithBody(transport, self.loop))
