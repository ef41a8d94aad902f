"""Progress bars in Russian: every long step of every stage shows one (tqdm).

A shared basic, not part of the command line: stages draw their own bars, and the bars
stay silent where the output is not a terminal (tests, pool workers, benchmarks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


def progress(
    iterable: Iterable[T], desc: str, total: float | None = None, unit: str = "шт", *, enabled: bool = True
) -> Any:
    """A tqdm progress bar in Russian; silent when the output is not a terminal or ``enabled`` is off."""
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, total=total, unit=unit, disable=None if enabled else True, dynamic_ncols=True)


def bar(desc: str, total: float, unit: str, show: bool) -> Any:
    """A progress bar to update by hand; ``show`` is off in pool workers and benchmarks."""
    return progress([], desc, total=total, unit=unit, enabled=show)


@contextmanager
def seconds_bar(desc: str, total: float, enabled: bool = True) -> Iterator[Callable[[float], None]]:
    """A progress bar fed with "seconds done so far" (what ffmpeg and Whisper report)."""
    shown = bar(desc, round(total, 1), "с", enabled)
    done = [0.0]

    def advance(seconds: float) -> None:
        seconds = min(max(seconds, done[0]), total)
        if seconds > done[0]:
            shown.update(round(seconds - done[0], 1))
        done[0] = seconds

    try:
        yield advance
        advance(total)
    finally:
        shown.close()
