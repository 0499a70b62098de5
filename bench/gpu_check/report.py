"""The check's report: sections of named checks, each passed / failed / not applicable, with its tolerance and
the values measured, written as one JSON file and a short text summary.

Why one small structure: every line of the summary must say what was compared, against what bound, and what was
seen, so a report from a machine nobody here has touched can be read without the code.
"""

from __future__ import annotations

import json
import math
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PASS, FAIL, NA = "pass", "fail", "not applicable"


@dataclass
class Check:
    name: str
    status: str
    tolerance: str = ""
    measured: dict[str, Any] = field(default_factory=dict)
    note: str = ""


@dataclass
class Section:
    name: str
    checks: list[Check] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def check(self, name: str, passed: bool, tolerance: str = "", note: str = "", **measured: Any) -> bool:
        self.checks.append(Check(name, PASS if passed else FAIL, tolerance, _clean(measured), note))
        return passed

    def not_applicable(self, name: str, why: str, **measured: Any) -> None:
        self.checks.append(Check(name, NA, "", _clean(measured), why))

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.status != FAIL for c in self.checks)

    @property
    def label(self) -> str:
        if not self.passed:
            return "FAIL"
        return "PASS" if any(c.status == PASS for c in self.checks) else "N/A"


class Report:
    def __init__(self, device: str, environment: dict[str, Any]) -> None:
        self.device = device
        self.environment = environment
        self.sections: list[Section] = []
        self.started = time.time()

    @contextmanager
    def section(self, name: str) -> Iterator[Section]:
        """A section whose unexpected exception becomes one failed check (the rest of the report still runs)."""
        sec = Section(name)
        self.sections.append(sec)
        t0 = time.perf_counter()
        try:
            yield sec
        except Exception as err:  # noqa: BLE001 - recorded as a failure, never swallowed silently
            sec.check("ran to the end", False, note=f"{type(err).__name__}: {err}",
                      traceback=traceback.format_exc(limit=8)[-3000:])
        finally:
            sec.seconds = round(time.perf_counter() - t0, 2)

    def run(self, name: str, fn: Callable[[Section], None]) -> None:
        with self.section(name) as sec:
            fn(sec)

    @property
    def passed(self) -> bool:
        return bool(self.sections) and all(s.passed for s in self.sections)

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "passed": self.passed, "seconds": round(time.time() - self.started, 1),
                "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
                "environment": _clean(self.environment),
                "sections": [{"name": s.name, "passed": s.passed, "status": s.label, "seconds": s.seconds,
                              "info": _clean(s.info), "checks": [asdict(c) for c in s.checks]}
                             for s in self.sections]}

    def summary(self) -> str:
        env = self.environment
        lines = [f"OmniSat GPU check on {self.device}: {'PASSED' if self.passed else 'FAILED'} "
                 f"({time.time() - self.started:.0f} s)",
                 f"  {env.get('device_name', '?')}, torch {env.get('torch', '?')}, CUDA {env.get('cuda') or '-'}, "
                 f"Python {env.get('python', '?')}"]
        for s in self.sections:
            lines.append(f"[{s.label}] {s.name} ({s.seconds:.1f} s)")
            for c in s.checks:
                mark = {PASS: "ok  ", FAIL: "FAIL", NA: "n/a "}[c.status]
                values = ", ".join(f"{k} {_short(v)}" for k, v in c.measured.items() if k != "traceback")
                bound = f" [bound: {c.tolerance}]" if c.tolerance else ""
                note = f" ({c.note})" if c.note else ""
                lines.append(f"    {mark} {c.name}: {values}{bound}{note}")
        return "\n".join(lines) + "\n"

    def write(self, out_dir: Path) -> tuple[Path, Path]:
        out_dir.mkdir(parents=True, exist_ok=True)
        js, txt = out_dir / "report.json", out_dir / "summary.txt"
        js.write_text(json.dumps(self.to_dict(), indent=2, allow_nan=False))
        txt.write_text(self.summary())
        return js, txt


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)) and len(v) > 6:
        return f"[{', '.join(_short(x) for x in v[:6])}, …]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_short(x)}" for k, x in v.items()) + "}"
    return str(v)


def _clean(v: Any) -> Any:
    """JSON-safe: NaN/inf become None, numpy/torch scalars plain numbers, tuples lists."""
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if hasattr(v, "item") and callable(v.item) and getattr(v, "ndim", 0) == 0:
        v = v.item()
    if isinstance(v, float):
        return float(f"{v:.6g}") if math.isfinite(v) else None
    if isinstance(v, (str, int, bool)) or v is None:
        return v
    return str(v)
