"""Progress of long runs: one self-overwriting status line with a bar and the time left.

Shown only on a terminal: the commands create a :class:`StatusLine` when their output stream is
a TTY and ``--json`` is off, and pass ``None`` otherwise, so logs and pipes stay clean.

>>> import io
>>> line = StatusLine(io.StringIO(), clock=iter([0.0, 30.0]).__next__)
>>> line.bar("ssr verify: m", 1, 4)
>>> line.stream.getvalue().strip()
'ssr verify: m [#####---------------] 1/4, elapsed 30.0s, left ~1m30s'
"""
from __future__ import annotations

import time

__all__ = ["StatusLine", "duration"]

_WIDTH = 20


def duration(seconds: float) -> str:
    """``12.3s``, ``4m05s`` or ``1h02m03s``."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{seconds:02d}s" if hours else f"{minutes}m{seconds:02d}s"


class StatusLine:
    """Writes ``\\r``-overwritten lines to ``stream``; :meth:`close` erases the last one.

    ``clock`` (default :func:`time.monotonic`) is read once at creation and at each update.
    """

    def __init__(self, stream, clock=time.monotonic):
        self.stream = stream
        self.clock = clock
        self.start = clock()
        self.width = 0

    @property
    def elapsed(self) -> float:
        """Seconds since the line was created."""
        return self.clock() - self.start

    def show(self, line: str) -> None:
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = max(self.width, len(line))

    def bar(self, label: str, done: float, total: float, detail: str = "") -> None:
        """``label [####----] done/total[, detail], elapsed …, left ~…``.

        The time left extrapolates the elapsed time linearly in ``done/total`` (unknown, ``?``,
        before the first step).
        """
        elapsed = self.elapsed
        fraction = min(max(done / total, 0.0), 1.0) if total else 0.0
        filled = int(round(fraction * _WIDTH))
        left = duration(elapsed * (1 - fraction) / fraction) if fraction > 0 else "?"
        counts = f"{done:g}/{total:g}"
        self.show(f"{label} [{'#' * filled}{'-' * (_WIDTH - filled)}] {counts}"
                  f"{', ' + detail if detail else ''}, elapsed {duration(elapsed)}, left ~{left}")

    def close(self) -> None:
        """Erase the line (once; later calls do nothing)."""
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0
