"""Launched by test_torchrun.py under torchrun: classify where rank 1 reads the extent with another tile overlap,
as a node whose data differs would. Arguments: HOME SCENE OUT."""

from __future__ import annotations

import sys
from pathlib import Path

from runner import distributed as dist
from runner.jobs.context import JobContext
from runner.ops import run_operation


def main() -> None:
    home, scene, out = (Path(a) for a in sys.argv[1:4])
    d = dist.info()
    job = dist.job_id()
    series = {m: sorted(str(p) for p in (scene / m).glob("*.tif")) for m in ("s1", "s2")}
    spec = {"device": "cpu", "aerial": str(scene / "aerial.tif"), **series, "model": "ft", "out": str(out),
            "overlap": 2 if d.rank == 0 else 1}
    run_operation("classify", spec, JobContext(job, home, home / "jobs" / job))


if __name__ == "__main__":
    main()
