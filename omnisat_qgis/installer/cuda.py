"""Which PyTorch build suits this machine: read `nvidia-smi`, pick a CUDA wheel index the driver can run.

A CUDA build newer than the driver fails at run time with "driver too old"; a build older than the GPU's
architecture (Blackwell, compute capability 12) fails with "no kernel image". So the choice follows the
driver's minimum version per CUDA release and the GPU's compute capability, and the user can override it.
"""

from __future__ import annotations

import subprocess  # nosec B404: fixed argument list, no shell
from collections.abc import Callable, Sequence
from dataclasses import dataclass

TORCH_VERSION = "2.13.0"
TORCH_INDEX = "https://download.pytorch.org/whl/{build}"
BUILDS = ("cu128", "cu126", "cu124", "cu121", "cpu")
NVIDIA_SMI_QUERY = ["nvidia-smi", "--query-gpu=driver_version,compute_cap,name,memory.total",
                    "--format=csv,noheader"]

# (build, minimum driver major version) in preference order; cu128 also for compute capability >= 12.
_DRIVER_TABLE: tuple[tuple[str, int], ...] = (("cu128", 570), ("cu126", 560), ("cu124", 550), ("cu121", 530))


@dataclass(frozen=True)
class GpuInfo:
    """One line of nvidia-smi: the numbers the build choice needs, plus what the user sees."""

    driver_version: str
    compute_cap: tuple[int, int] | None
    name: str
    memory_mib: int | None

    @property
    def driver_major(self) -> int | None:
        head = self.driver_version.split(".")[0]
        return int(head) if head.isdigit() else None


@dataclass(frozen=True)
class TorchBuild:
    """A PyTorch build: `cpu` or `cuXYZ`, the index it comes from (None = pip's configured index) and why."""

    build: str
    reason: str
    index_url: str | None = None

    @property
    def is_cuda(self) -> bool:
        return self.build.startswith("cu")


def parse_nvidia_smi(text: str) -> list[GpuInfo]:
    """Parse `driver_version, compute_cap, name, memory.total` CSV lines; lines that do not parse are skipped."""
    gpus: list[GpuInfo] = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 4 or not parts[0] or not parts[0][0].isdigit():
            continue
        driver, cap_text, memory_text = parts[0], parts[1], parts[-1]
        name = ", ".join(parts[2:-1]).strip()
        cap: tuple[int, int] | None = None
        major, _, minor = cap_text.partition(".")
        if major.isdigit() and minor.isdigit():
            cap = (int(major), int(minor))
        mem_digits = memory_text.split()[0] if memory_text.split() else ""
        memory = int(mem_digits) if mem_digits.isdigit() else None
        gpus.append(GpuInfo(driver, cap, name, memory))
    return gpus


def query_gpus(run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
               env: dict[str, str] | None = None) -> list[GpuInfo]:
    """Ask nvidia-smi for the GPUs; no NVIDIA driver (or no nvidia-smi) means an empty list, not an error."""
    try:
        done = run(NVIDIA_SMI_QUERY, capture_output=True, text=True, timeout=20, env=env,  # nosec B603
                   check=False)
    except (OSError, subprocess.SubprocessError):
        return []
    if done.returncode != 0:
        return []
    return parse_nvidia_smi(done.stdout or "")


def index_url(build: str) -> str | None:
    """The wheel index for a build; None for `cpu` (pip's own index, which on this machine is local wheels)."""
    if build not in BUILDS:
        raise ValueError(f"unknown PyTorch build {build!r}: choose one of {', '.join(BUILDS)}")
    return None if build == "cpu" else TORCH_INDEX.format(build=build)


def choose_build(gpus: Sequence[GpuInfo]) -> TorchBuild:
    """Pick the newest CUDA build the weakest driver supports, or CPU; the reason is shown to the user."""
    if not gpus:
        return TorchBuild("cpu", "no NVIDIA GPU found (nvidia-smi absent or reported none): CPU build")
    gpu = min(gpus, key=lambda g: (g.driver_major or 0))
    driver = gpu.driver_major
    label = f"{gpu.name} (driver {gpu.driver_version}, compute capability " \
            f"{'.'.join(map(str, gpu.compute_cap)) if gpu.compute_cap else 'unknown'})"
    if gpu.compute_cap is not None and gpu.compute_cap[0] >= 12:
        return TorchBuild("cu128", f"{label}: compute capability 12+ needs CUDA 12.8", index_url("cu128"))
    if driver is None:
        return TorchBuild("cpu", f"{label}: driver version not understood: CPU build")
    for build, minimum in _DRIVER_TABLE:
        if driver >= minimum:
            return TorchBuild(build, f"{label}: driver {driver} >= {minimum} runs {build}", index_url(build))
    return TorchBuild("cpu", f"{label}: driver {driver} is older than 530 (CUDA 12.1): CPU build; "
                             "update the NVIDIA driver to use the GPU")


def override_build(build: str, reason: str = "chosen by the user") -> TorchBuild:
    """The user's own choice (e.g. CPU on a machine with a GPU too small to help)."""
    return TorchBuild(build, reason, index_url(build))


def detect_build(run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
                 env: dict[str, str] | None = None) -> tuple[TorchBuild, list[GpuInfo]]:
    gpus = query_gpus(run, env)
    return choose_build(gpus), gpus
