"""The install as a list of named steps, each a command plus a check that tells whether it is already done.

Steps are idempotent: a retry after a failure (a dropped proxy connection, a full disk) skips what is done
and re-runs the rest; pip itself skips packages already installed at the right version.
"""

from __future__ import annotations

import os
import subprocess  # nosec B404: fixed argument lists, no shell
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .cuda import TORCH_VERSION, TorchBuild
from .pythons import venv_python

RUNNER_CHECK = ("import json, runner, torch; print(json.dumps({'runner': runner.__version__, "
                "'torch': torch.__version__, 'cuda': torch.version.cuda, "
                "'cuda_available': torch.cuda.is_available()}))")


@dataclass(frozen=True)
class Step:
    """One install step: its user-facing name, the exact command, and an optional 'already done' check."""

    name: str
    command: list[str]
    done: Callable[[], bool] | None = None

    def command_text(self) -> str:
        return " ".join(_quote(part) for part in self.command)


@dataclass
class InstallOptions:
    """Everything the install needs; the plugin fills it from its settings, tests from a tmp dir."""

    home: Path                          # runner home: the venv goes to home/venv
    python: str                         # base interpreter (probed by pythons.find_python)
    runner_source: str                  # repository checkout (folder with pyproject.toml) or a wheel/sdist path
    torch_build: TorchBuild
    torch_version: str = TORCH_VERSION
    pip_args: list[str] = field(default_factory=list)   # e.g. ["--proxy", ...] or ["--find-links", DIR]
    editable: bool = False              # developer install of a checkout (pip install -e)

    @property
    def venv_dir(self) -> Path:
        return Path(self.home) / "venv"

    @property
    def venv_python(self) -> Path:
        return venv_python(self.venv_dir)


def torch_install_command(python: str, build: TorchBuild, version: str = TORCH_VERSION,
                          pip_args: list[str] | None = None) -> list[str]:
    """`pip install torch==V` with the build's wheel index (PyTorch's own index for CUDA builds).

    `--index-url` (not extra-index-url) for CUDA builds: otherwise pip may prefer PyPI's wheel of the same
    version, which is a different CUDA build on Linux and CPU-only on Windows.
    """
    cmd = [python, "-m", "pip", "install", f"torch=={version}"]
    if build.index_url:
        cmd += ["--index-url", build.index_url]
    return cmd + list(pip_args or [])


def runner_install_command(python: str, source: str, editable: bool = False,
                           pip_args: list[str] | None = None) -> list[str]:
    target = ["-e", source] if editable else [source]
    return [python, "-m", "pip", "install", *target, *(pip_args or [])]


def build_plan(options: InstallOptions) -> list[Step]:
    """create venv → PyTorch (matched build first, so the runner's `torch==` pin is already met) → runner → check."""
    py = str(options.venv_python)
    source = str(options.runner_source)
    return [
        Step("create virtual environment", [options.python, "-m", "venv", str(options.venv_dir)],
             done=lambda: _venv_works(options.venv_python)),
        Step(f"install PyTorch {options.torch_version} ({options.torch_build.build})",
             torch_install_command(py, options.torch_build, options.torch_version, options.pip_args)),
        Step("install the OmniSat runner", runner_install_command(py, source, options.editable, options.pip_args)),
        Step("check the runner", [py, "-c", RUNNER_CHECK]),
    ]


def _venv_works(python: Path) -> bool:
    """A venv from an interrupted earlier attempt may lack pip; only a venv whose pip runs counts as done."""
    if not python.is_file():
        return False
    try:
        done = subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True,  # nosec B603
                              timeout=60, check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def locate_runner_source(start: Path) -> Path | None:
    """The runner to install: a wheel bundled with the plugin (`wheels/omnisat_runner-*.whl`) or the checkout.

    Walks up from `start` (the plugin folder) looking for `pyproject.toml` naming the `omnisat-runner` project.
    """
    start = Path(start).resolve()
    wheels = sorted((start / "wheels").glob("omnisat_runner-*.whl")) if (start / "wheels").is_dir() else []
    if wheels:
        return wheels[-1]
    for folder in (start, *start.parents):
        pyproject = folder / "pyproject.toml"
        try:
            if pyproject.is_file() and 'name = "omnisat-runner"' in pyproject.read_text(encoding="utf-8"):
                return folder
        except OSError:
            continue
    return None


def _quote(part: str) -> str:
    if part and all(ch.isalnum() or ch in "-_./:=+@,%" for ch in part):
        return part
    return '"' + part.replace('"', '\\"') + '"' if os.name == "nt" else "'" + part.replace("'", "'\\''") + "'"
