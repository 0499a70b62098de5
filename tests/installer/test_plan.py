"""The commands the installer would run on a user's machine (CUDA indexes are never contacted in tests)."""

from __future__ import annotations

from pathlib import Path

from omnisat_qgis.installer import (
    InstallOptions,
    build_plan,
    choose_build,
    locate_runner_source,
    override_build,
    parse_nvidia_smi,
)

REPO = Path(__file__).resolve().parents[2]


def test_cuda_plan_uses_pytorch_index_for_torch_only(tmp_path: Path) -> None:
    build = choose_build(parse_nvidia_smi("572.16, 8.9, NVIDIA GeForce RTX 4070, 12282 MiB"))
    options = InstallOptions(tmp_path / "home", "/usr/bin/python3", str(REPO), build, pip_args=["--proxy", "p:1"])
    steps = build_plan(options)
    assert [s.name for s in steps] == ["create virtual environment", "install PyTorch 2.13.0 (cu128)",
                                       "install the OmniSat runner", "check the runner"]
    venv_py = str(tmp_path / "home" / "venv" / "bin" / "python")
    assert steps[0].command == ["/usr/bin/python3", "-m", "venv", str(tmp_path / "home" / "venv")]
    assert steps[1].command == [venv_py, "-m", "pip", "install", "torch==2.13.0", "--index-url",
                                "https://download.pytorch.org/whl/cu128", "--proxy", "p:1"]
    assert steps[2].command == [venv_py, "-m", "pip", "install", str(REPO), "--proxy", "p:1"]
    assert "download.pytorch.org" not in " ".join(steps[2].command)
    assert steps[0].done is not None and steps[0].done() is False          # no venv yet


def test_cpu_plan_uses_pips_own_index(tmp_path: Path) -> None:
    steps = build_plan(InstallOptions(tmp_path, "/usr/bin/python3", "/w/omnisat_runner-0.1.0-py3-none-any.whl",
                                      override_build("cpu"), torch_version="2.13.0"))
    assert steps[1].command[-1] == "torch==2.13.0" and "--index-url" not in steps[1].command
    assert steps[2].command[-1].endswith(".whl")
    assert "'" not in steps[1].command_text()


def test_locate_runner_source(tmp_path: Path) -> None:
    assert locate_runner_source(REPO / "omnisat_qgis" / "installer") == REPO
    plugin = tmp_path / "omnisat_qgis"
    (plugin / "wheels").mkdir(parents=True)
    assert locate_runner_source(plugin) is None
    wheel = plugin / "wheels" / "omnisat_runner-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK")
    assert locate_runner_source(plugin) == wheel
