"""The lines a command prints as its stages run (a module of its own: every `adekg` command makes one)."""
from __future__ import annotations

import sys
import time


class Progress:
    """Prints a line when each stage starts and ends; on a terminal, a running count or bar for long steps.

    Level 0 (quiet) prints nothing, 1 the stage lines, 2 also per-record details.
    """

    REDRAW_SECONDS = 0.1
    BAR_WIDTH = 24

    def __init__(self, level: int = 1, stream=None, live: bool | None = None):
        stream = sys.stderr if stream is None else stream  # read at each call: tests and callers may replace it
        self.level, self.stream, self.started = level, stream, time.perf_counter()
        self.live = level >= 1 and (stream.isatty() if live is None and hasattr(stream, "isatty") else bool(live))
        self.drawn_at, self.drawn = 0.0, False

    def begin(self, name: str, detail: str = "") -> float:
        """Report that a stage starts; return its start time for stage()."""
        if self.level >= 1:
            self.clear()
            print(f"[{name:<11}] {detail or 'starting'} ...", file=self.stream, flush=True)
        return time.perf_counter()

    def stage(self, name: str, detail: str, started: float) -> None:
        """Report a finished stage."""
        if self.level >= 1:
            self.clear()
            print(f"[{name:<11}] {detail} ({time.perf_counter() - started:.2f} s)", file=self.stream, flush=True)

    def detail(self, message: str) -> None:
        """Report a detail, in verbose mode only."""
        if self.level >= 2:
            self.clear()
            print(f"              {message}", file=self.stream)

    def count(self, name: str, done: float, total: float | None = None, unit: str = "") -> None:
        """Show how far a long step is, redrawn in place on a terminal: a bar with a total, a running count without."""
        now = time.perf_counter()
        if not self.live or (now - self.drawn_at < self.REDRAW_SECONDS and done != total):
            return
        if total:
            filled = int(self.BAR_WIDTH * min(done / total, 1))
            shown = f"[{'#' * filled}{'.' * (self.BAR_WIDTH - filled)}] {done:g}/{total:g}"
        else:
            shown = f"{done:g}"
        self.stream.write(f"\r[{name:<11}] {shown} {unit}\033[K")
        self.stream.flush()
        self.drawn_at, self.drawn = now, True

    def clear(self) -> None:
        """Erase a running count before a normal line is printed."""
        if self.drawn:
            self.stream.write("\r\033[K")
            self.drawn = False
