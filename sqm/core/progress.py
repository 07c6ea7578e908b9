"""A terminal progress bar for long commands (imports, generators, KPI runs).

    with Progress(total, _("customers")) as bar:
        for chunk in chunks:
            ...
            bar.update(len(chunk))

    for row in progress(rows, _("rows")):  # or wrap an iterable
        ...

The bar is drawn on stderr, and only when stderr is a terminal, so piped or logged output
stays clean. Redraws are rate-limited, so calling `update` often is cheap.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO, TypeVar, overload

T = TypeVar("T")


def render(done: int, total: int, label: str, rate: float | None = None, width: int = 20) -> str:
    """One bar line, e.g. `[########............] 42% 420,000/1,000,000 customers 35,000/s`."""
    fraction = min(1.0, done / total) if total > 0 else 1.0
    filled = int(fraction * width)
    bar = "#" * filled + "." * (width - filled)
    line = f"[{bar}] {int(fraction * 100)}% {done:,}/{total:,} {label}"
    if rate is not None:
        line += f" {int(rate):,}/s"
    return line


class Progress:
    """Counts work done out of `total` and draws a bar while the stream is a terminal."""

    def __init__(
        self,
        total: int,
        label: str,
        *,
        stream: TextIO | None = None,
        enabled: bool = True,
        width: int = 20,
        min_interval: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.label = label
        self.done = 0
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.active = bool(enabled and isatty is not None and isatty())
        self.width = width
        self.min_interval = min_interval
        self._clock = clock
        self._started = clock()
        self._last_draw: float | None = None
        self._last_length = 0
        self._closed = False

    def update(self, n: int = 1) -> None:
        self.done += n
        if not self.active:
            return
        now = self._clock()
        if self._last_draw is None or now - self._last_draw >= self.min_interval:
            self._draw(now)

    def close(self) -> None:
        """Draw the final state and end the line (only if anything is drawn at all)."""
        if self._closed:
            return
        self._closed = True
        if self.active:
            self._draw(self._clock())
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self, now: float) -> None:
        self._last_draw = now
        elapsed = now - self._started
        rate = self.done / elapsed if elapsed > 0 else None
        line = render(self.done, self.total, self.label, rate, self.width)
        # Pad with spaces so a shorter line fully covers the previous one.
        padded = line.ljust(self._last_length)
        self._last_length = len(line)
        self.stream.write("\r" + padded)
        self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@overload
def progress(iterable_or_total: int, label: str, **options: object) -> Progress: ...
@overload
def progress(iterable_or_total: Iterable[T], label: str, **options: object) -> Iterator[T]: ...


def progress(iterable_or_total, label, **options):
    """A `Progress` for a count, or an iterator that advances the bar as it is consumed.

    For an iterable without len(), pass `total=` in options.
    """
    if isinstance(iterable_or_total, int):
        return Progress(iterable_or_total, label, **options)
    return _iterate(iterable_or_total, label, options)


def _iterate(iterable: Iterable[T], label: str, options: dict) -> Iterator[T]:
    total = options.pop("total", None)
    if total is None:
        total = len(iterable)  # type: ignore[arg-type]
    with Progress(total, label, **options) as bar:
        for item in iterable:
            yield item
            bar.update(1)
