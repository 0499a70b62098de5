"""StageTimer: where a job's wall time goes (reading, model, writing), reported with every classify result.

Why: "is it the disk or the model?" is the first question on a slow run. The reader prefetches in a thread, so
the time the loop spends *waiting* for the next batch is the reading cost that compute did not hide.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


class StageTimer:
    def __init__(self) -> None:
        self._seconds: dict[str, float] = {}
        self._start = time.perf_counter()

    def add(self, stage: str, seconds: float) -> None:
        self._seconds[stage] = self._seconds.get(stage, 0.0) + seconds

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - t0)

    def iterate(self, name: str, items: Iterable[T]) -> Iterator[T]:
        """Yield from `items`, counting the time spent waiting for each next item as stage `name`."""
        it, end = iter(items), object()
        while True:
            t0 = time.perf_counter()
            item = next(it, end)
            self.add(name, time.perf_counter() - t0)
            if item is end:
                return
            yield item

    def seconds(self) -> dict[str, float]:
        """Seconds per stage, plus `total` (wall time since the timer started) and `other`."""
        total = time.perf_counter() - self._start
        out = {k: round(v, 3) for k, v in self._seconds.items()}
        out["total"] = round(total, 3)
        out["other"] = round(max(0.0, total - sum(self._seconds.values())), 3)
        return out

    def summary(self) -> str:
        s = self.seconds()
        total = s["total"] or 1e-9
        parts = [f"{k} {v:.1f} s ({100 * v / total:.0f} %)" for k, v in s.items() if k not in ("total",)]
        return f"{s['total']:.1f} s: " + ", ".join(parts)


def peak_rss_mb() -> float | None:
    """This process's peak resident memory in MB since it started its current program (`VmHWM`), or None.

    Why not `getrusage` / `wait4`: Linux carries `ru_maxrss` across `execve`, and a child started with vfork
    (Python's default) inherits its parent's high-water mark, so a small job started from a big process reports
    the big one. `VmHWM` belongs to the current address space only."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None
