"""The PyTorch build chosen from nvidia-smi's driver version and compute capability."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from omnisat_qgis.installer import choose_build, override_build, parse_nvidia_smi, query_gpus
from omnisat_qgis.installer.cuda import detect_build, index_url


@pytest.mark.parametrize(("line", "build"), [
    ("575.51.03, 12.0, NVIDIA GeForce RTX 5090, 32607 MiB", "cu128"),        # Blackwell: cc 12 needs cu128
    ("570.86.15, 9.0, NVIDIA H100 80GB HBM3, 81559 MiB", "cu128"),           # driver 570
    ("565.57.01, 8.9, NVIDIA GeForce RTX 4090, 24564 MiB", "cu126"),
    ("560.35.03, 8.6, NVIDIA RTX A6000, 49140 MiB", "cu126"),
    ("555.42.02, 8.6, NVIDIA GeForce RTX 3060, 12288 MiB", "cu124"),
    ("550.54.15, 7.5, Tesla T4, 15360 MiB", "cu124"),
    ("535.183.01, 8.0, NVIDIA A100-SXM4-40GB, 40960 MiB", "cu121"),
    ("530.30.02, 6.1, NVIDIA GeForce GTX 1080, 8192 MiB", "cu121"),
    ("525.147.05, 7.0, Tesla V100-SXM2-16GB, 16384 MiB", "cpu"),             # too old for CUDA 12.1
    ("470.256.02, 3.7, Tesla K80, 11441 MiB", "cpu"),
    ("528.02, 12.0, NVIDIA RTX PRO 6000, 97887 MiB", "cu128"),               # capability decides first
    ("[N/A], 8.6, Weird GPU, 1000 MiB", "cpu"),                               # unparsable driver line skipped
])
def test_build_for_driver_and_capability(line: str, build: str) -> None:
    chosen = choose_build(parse_nvidia_smi(line))
    assert chosen.build == build
    assert chosen.index_url == (None if build == "cpu" else f"https://download.pytorch.org/whl/{build}")
    assert chosen.reason


def test_no_gpu_is_cpu_with_reason() -> None:
    chosen = choose_build([])
    assert chosen.build == "cpu" and "no NVIDIA GPU" in chosen.reason and not chosen.is_cuda


def test_mixed_gpus_follow_the_oldest_driver_and_parse_names_with_commas() -> None:
    gpus = parse_nvidia_smi("570.86.15, 9.0, NVIDIA H100, 81559 MiB\n"
                            "535.1, 8.0, NVIDIA A100, PCIe, 40960 MiB\n\n")
    assert [g.name for g in gpus] == ["NVIDIA H100", "NVIDIA A100, PCIe"]
    assert gpus[1].compute_cap == (8, 0) and gpus[1].memory_mib == 40960 and gpus[1].driver_major == 535
    assert choose_build(gpus).build == "cu121"


def test_override_and_unknown_build() -> None:
    assert override_build("cpu").index_url is None
    assert override_build("cu124").index_url == "https://download.pytorch.org/whl/cu124"
    with pytest.raises(ValueError, match="unknown PyTorch build 'cu999'"):
        index_url("cu999")


def _fake_smi(folder: Path, body: str) -> dict[str, str]:
    script = folder / "nvidia-smi"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}/usr/bin:/bin"}


def test_query_runs_nvidia_smi_with_the_documented_arguments(tmp_path: Path) -> None:
    env = _fake_smi(tmp_path, 'echo "$@" > "$(dirname "$0")/args"\n'
                              'echo "560.28.03, 8.9, NVIDIA L4, 23034 MiB"\n')
    build, gpus = detect_build(env=env)
    assert (tmp_path / "args").read_text().split() == [
        "--query-gpu=driver_version,compute_cap,name,memory.total", "--format=csv,noheader"]
    assert gpus[0].name == "NVIDIA L4" and build.build == "cu126"


def test_failing_or_missing_nvidia_smi_means_cpu(tmp_path: Path) -> None:
    env = _fake_smi(tmp_path, 'echo "NVIDIA-SMI has failed because it could not communicate" >&2; exit 9\n')
    assert query_gpus(env=env) == []
    empty = tmp_path / "empty"
    empty.mkdir()
    assert detect_build(env={**os.environ, "PATH": str(empty)})[0].build == "cpu"
