"""Entry point: set up the import path (an offline wheel folder, see tools/gpu_wheels.py), then run the sections.

Only the standard library is imported before the path is set, so a server with nothing but PyTorch can point
the check at the folder of wheels it installed offline (`--site DIR`, also handed to every subprocess).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "bench" / "out" / "gpu-check"
SECTIONS = ("parity", "memory", "speed", "classify", "dist")


def _use_site(site: Path | None) -> None:
    """Put the offline-installed packages and the repository on sys.path and on every child's PYTHONPATH."""
    paths = [str(REPO)] + ([str(site.resolve())] if site is not None else [])
    for p in reversed(paths):
        if p not in sys.path:
            sys.path.insert(0, p)
    old = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(paths + ([old] if old else []))


def environment(device: object) -> dict[str, object]:
    import torch

    env: dict[str, object] = {"python": platform.python_version(), "torch": torch.__version__,
                              "cuda": torch.version.cuda, "cpu_threads": torch.get_num_threads(),
                              "platform": platform.platform()}
    if getattr(device, "type", "") == "cuda":
        props = torch.cuda.get_device_properties(device)
        env.update(device_name=props.name, capability=f"{props.major}.{props.minor}",
                   memory_gb=round(props.total_memory / 2**30, 1), cudnn=torch.backends.cudnn.version(),
                   cudnn_tf32=torch.backends.cudnn.allow_tf32, matmul_tf32=torch.backends.cuda.matmul.allow_tf32,
                   device_count=torch.cuda.device_count())
    else:
        env.update(device_name=f"CPU ({platform.processor() or platform.machine()})",
                   cpu_capability=torch.backends.cpu.get_cpu_capability())
    return env


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.gpu_check", description=__doc__)
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"report folder (default {DEFAULT_OUT})")
    ap.add_argument("--site", type=Path, help="folder of packages installed offline (tools/gpu_wheels.py install)")
    ap.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these section groups")
    ap.add_argument("--compile", action="store_true", help="also torch.compile on a CPU (slow; always on CUDA)")
    args = ap.parse_args(argv)
    _use_site(args.site)

    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda: this PyTorch sees no CUDA GPU (torch "
              f"{torch.__version__}, built for CUDA {torch.version.cuda}); use --device cpu", file=sys.stderr)
        return 2
    from bench.gpu_check.classify_e2e import run_classify
    from bench.gpu_check.common import sizes_for
    from bench.gpu_check.distributed import run_dist
    from bench.gpu_check.memory import run_memory
    from bench.gpu_check.parity import run_parity
    from bench.gpu_check.report import Report
    from bench.gpu_check.speed import run_speed
    from runner.train.device import choose_device

    device = choose_device(args.device)
    if device.type == "cuda":
        device = torch.device("cuda", torch.cuda.current_device())
    sizes = sizes_for(device)
    report = Report(str(device), environment(device))
    report.environment["sizes"] = sizes.__dict__
    only = set(args.only or SECTIONS)
    with tempfile.TemporaryDirectory(prefix="omnisat-gpu-check-") as tmp:
        root = Path(tmp)
        for name, run in (("parity", lambda: run_parity(report, device, sizes)),
                          ("memory", lambda: run_memory(report, device, sizes)),
                          ("speed", lambda: run_speed(report, device, sizes, args.compile)),
                          ("classify", lambda: report.run("classify end to end", lambda sec: run_classify(
                              device.type, sizes, root / "classify", sec))),
                          ("dist", lambda: report.run("torchrun, one process", lambda sec: run_dist(
                              device.type, root, sec)))):
            if name in only:
                print(f"gpu-check: {name} ...", file=sys.stderr, flush=True)
                run()
    js, txt = report.write(args.out)
    print(report.summary(), end="")
    print(f"report: {js}\nsummary: {txt}")
    return 0 if report.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
