"""One socket write per response instead of two.

uvicorn writes a response's status line and headers, then its body, each with its own
``transport.write``: for the data plane's small JSON answers that is two ``send`` system calls
per request, each giving up and taking back the GIL, and together about a fifth of the event
loop's busy time in the gateway loop (bench/profile_loop.py). ``CoalescedWrites`` hands the
protocol a transport that keeps what is written during one step of the event loop and sends it
at the end of that step, in one call: the head and the body of a response (written one after
the other, with nothing awaited between them) leave together; a streamed response still leaves
chunk by chunk, each at the end of the step that produced it.
"""
from __future__ import annotations

import asyncio


class CoalescingTransport:
    """A transport whose writes within one loop step are sent together; everything else is the
    real transport's (``__getattr__``)."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._held:
            self._loop.call_soon(self.flush)
        self._held.append(data)

    def writelines(self, chunks) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        """Send what is held, in one write."""
        if not self._held:
            return
        data = self._held[0] if len(self._held) == 1 else b"".join(self._held)
        self._held.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(len(chunk) for chunk in self._held)

    def close(self) -> None:
        self.flush()  # what was written before close is sent before the connection closes
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._held.clear()
        self._transport.abort()

    def __getattr__(self, name: str):
        return getattr(self._transport, name)


class CoalescedWrites:
    """Mixed into uvicorn's HTTP protocol: it writes through a CoalescingTransport."""

    def connection_made(self, transport) -> None:
        super().connection_made(CoalescingTransport(transport, asyncio.get_running_loop()))
