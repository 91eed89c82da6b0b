"""One self-overwriting status line on a terminal stream (progress of long runs)."""
from __future__ import annotations

import time

__all__ = ["StatusLine"]


class StatusLine:
    """Writes ``\\r``-overwritten lines to ``stream``; :meth:`close` erases the last one."""

    def __init__(self, stream):
        self.stream = stream
        self.start = time.monotonic()
        self.width = 0

    @property
    def elapsed(self) -> float:
        """Seconds since the line was created."""
        return time.monotonic() - self.start

    def show(self, line: str) -> None:
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = max(self.width, len(line))

    def close(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
