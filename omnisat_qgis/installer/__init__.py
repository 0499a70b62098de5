"""Install the OmniSat runner into its own venv, from inside QGIS (stdlib only; the QgsTask is in task.py).

    build, gpus = detect_build()                    # nvidia-smi → cu128/cu126/cu124/cu121/cpu, with the reason
    python = find_python(user_choice_or_None)       # a real Python 3.10+, never qgis.exe
    options = InstallOptions(home, python.executable, str(locate_runner_source(plugin_dir)), build)
    install_runner(options, progress=cb)            # steps, log at home/logs/install.log; InstallError on failure
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from .cuda import (
    BUILDS,
    TORCH_VERSION,
    GpuInfo,
    TorchBuild,
    choose_build,
    detect_build,
    index_url,
    override_build,
    parse_nvidia_smi,
    query_gpus,
)
from .environment import clean_environment, proxy_from_qgis_settings
from .plan import InstallOptions, Step, build_plan, locate_runner_source, runner_install_command, torch_install_command
from .pythons import NoPythonFound, PythonInfo, candidates, find_python, probe, venv_python
from .run import InstallCancelled, InstallError, Progress, StepResult, run_plan

__all__ = ["BUILDS", "TORCH_VERSION", "GpuInfo", "TorchBuild", "choose_build", "detect_build", "index_url",
           "override_build", "parse_nvidia_smi", "query_gpus", "clean_environment", "proxy_from_qgis_settings",
           "InstallOptions", "Step", "build_plan", "locate_runner_source", "runner_install_command",
           "torch_install_command", "NoPythonFound", "PythonInfo", "candidates", "find_python", "probe",
           "venv_python", "InstallCancelled", "InstallError", "Progress", "StepResult", "run_plan",
           "install_runner", "install_log_path"]


def install_log_path(home: Path) -> Path:
    return Path(home) / "logs" / "install.log"


def install_runner(options: InstallOptions, progress: Progress | None = None,
                   cancelled: Callable[[], bool] | None = None, env: dict[str, str] | None = None) -> dict:
    """Run the whole install; return what the final check reported ({runner, torch, cuda, cuda_available}).

    Raises InstallError (exact step, command, log tail) or InstallCancelled; calling again retries.
    """
    env = clean_environment() if env is None else env
    Path(options.home).mkdir(parents=True, exist_ok=True)
    results = run_plan(build_plan(options), install_log_path(options.home), env=env, progress=progress,
                       cancelled=cancelled, cwd=Path(options.home))
    check = results[-1].output_tail.strip().splitlines()
    info = json.loads(check[-1]) if check else {}
    info["python"] = str(options.venv_python)
    info["build"] = options.torch_build.build
    return info
