"""Timing helpers shared by the benchmarks: repeated runs reported as min/median/max, and
memory measured in a pass of its own (tracemalloc slows the code it watches 3-5x, so no
timed figure is ever taken with it on)."""

from __future__ import annotations

import os
import statistics
import time
import tracemalloc
from dataclasses import dataclass
from typing import Any


@dataclass
class Timings:
    seconds: list[float]
    result: Any

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def spread(self, unit: str = "s", scale: float = 1.0) -> str:
        """'min / median / max' of the repetitions."""
        low, mid, high = (scale * x for x in (min(self.seconds), self.median, max(self.seconds)))
        return f"{low:.3f} / {mid:.3f} / {high:.3f} {unit}"


def repeat(fn, *args, repeats: int = 3, **kwargs) -> Timings:
    """Run ``fn`` ``repeats`` times with tracing off; the last result is kept."""
    seconds, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        seconds.append(time.perf_counter() - start)
    return Timings(seconds, result)


def traced_peak(fn, *args, **kwargs) -> int:
    """Peak bytes allocated by one untimed run of ``fn`` (NumPy allocations included)."""
    tracemalloc.start()
    try:
        fn(*args, **kwargs)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def load_average() -> str:
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
