"""Progress of a long audit on stderr: a bar with rate and ETA on a terminal, plain lines otherwise.

Stage: audit (display only). Input: the number of letters to do and one `update` per finished
letter. Output: text on the given stream. Raises nothing.

On a terminal the bar is redrawn in place (carriage return) at most ten times a second:

    audit [##########..........]  52/75 letters  69%  12.3/s  ETA 0:00:02  130 items  1 error

When the stream is not a terminal (a log file, CI), one plain line is printed every
`interval` seconds (10 by default) and at the end, so logs stay readable.
"""
from __future__ import annotations

import shutil
import time


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class Progress:
    """style: "auto" (bar on a terminal, lines otherwise), "bar", "lines" or "none"."""

    def __init__(self, total: int, stream, *, style: str = "auto", interval: float = 10.0, skipped: int = 0,
                 clock=time.monotonic):
        if style == "auto":
            style = "bar" if getattr(stream, "isatty", lambda: False)() else "lines"
        self.total, self.stream, self.style, self.interval = total, stream, style, interval
        self.skipped = skipped
        self.done = self.items = self.errors = 0
        self._clock = clock
        self.start = clock()
        self._last = self.start
        self._drawn = False

    def rate(self) -> float | None:
        elapsed = self._clock() - self.start
        return self.done / elapsed if elapsed > 0 and self.done else None

    def eta(self) -> float | None:
        rate = self.rate()
        return (self.total - self.done) / rate if rate else None

    def update(self, result=None) -> None:
        self.done += 1
        if result is not None:
            self.items += result.items
            self.errors += len(result.errors)
        now = self._clock()
        if self.style == "bar" and (now - self._last >= 0.1 or self.done == self.total):
            self._last = now
            self._bar()
        elif self.style == "lines" and now - self._last >= self.interval:
            self._last = now
            self._line()

    def text(self) -> str:
        rate = self.rate()
        share = self.done / self.total if self.total else 1.0
        return (f"{self.done}/{self.total} letters  {share:4.0%}  "
                f"{(f'{rate:.1f}/s' if rate else '-/s')}  ETA {_clock(self.eta())}  "
                f"{_plural(self.items, 'item')}  {_plural(self.errors, 'error')}")

    def _bar(self) -> None:
        width = shutil.get_terminal_size((100, 20)).columns
        text = self.text()
        room = max(10, min(40, width - len(text) - 10))
        share = self.done / self.total if self.total else 1.0
        filled = int(room * share)
        line = f"audit [{'#' * filled}{'.' * (room - filled)}]  {text}"
        self.stream.write("\r" + line[: width - 1].ljust(width - 1))
        self.stream.flush()
        self._drawn = True

    def _line(self) -> None:
        self.stream.write(f"audit: {self.text()}\n")
        self.stream.flush()

    def close(self) -> None:
        """The final state, then a new line."""
        if self.style == "bar":
            self._bar()
            self.stream.write("\n")
            self.stream.flush()
        elif self.style == "lines":
            self._line()
