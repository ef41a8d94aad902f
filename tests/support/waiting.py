"""Waiting for a condition instead of for a fixed time: a fixed sleep is too short on a busy machine and wasted
on a quick one, so a test that waits for something polls for that thing, with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], object], timeout: float, interval: float = 0.1) -> bool:
    """Poll ``condition`` until it is true or ``timeout`` seconds have passed; say whether it came true."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True
