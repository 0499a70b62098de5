"""Plugin tests on real QGIS (pytest-qgis): a synthetic scene as project layers and one real runner per session."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
QGIS_PLUGINS = "/usr/share/qgis/python/plugins"
SESSION: dict = {}  # what session fixtures set up, restored after tests that load and unload the plugin


@pytest.fixture(autouse=True)
def _restore_session_state():
    """Plugin load/unload tests stop the global runner and remove the provider: put the session's back."""
    yield
    from omnisat_qgis import runner_manager

    if "home" in SESSION:
        current = runner_manager._MANAGER
        if current is None or current.home != SESSION["home"]:
            runner_manager.configure(python=sys.executable, home=SESSION["home"])
    if SESSION.get("processing"):
        from qgis.core import QgsApplication

        from omnisat_qgis.processing.provider import OmniSatProvider

        registry = QgsApplication.processingRegistry()
        if registry.providerById("omnisat") is None:
            SESSION["provider"] = OmniSatProvider()
            registry.addProvider(SESSION["provider"])


@pytest.fixture(scope="session")
def plugin_scene(tmp_path_factory) -> Path:
    from runner.geo.scene import make_scene

    out = tmp_path_factory.mktemp("plugin") / "scene"
    make_scene(out, size_km=0.3, seed=4, aerial_res=0.5)
    return out


@pytest.fixture(scope="session")
def runner_session(tmp_path_factory):
    """The plugin's runner manager, pointed at this checkout's venv and a temporary home; stopped at the end."""
    from omnisat_qgis import runner_manager

    home = tmp_path_factory.mktemp("plugin-runner-home")
    SESSION["home"] = home
    manager = runner_manager.configure(python=sys.executable, home=home)
    manager.client()
    yield manager
    runner_manager.shutdown()
    manager.stop()  # tests that reconfigure replace the global manager; this one may have started another runner
    leftovers = runners_under(tmp_path_factory.getbasetemp())
    for pid in leftovers:
        os.kill(pid, signal.SIGKILL)
    assert not leftovers, f"runner processes outlived the plugin tests (killed now): {leftovers}"


def runners_under(root: Path) -> dict[int, str]:
    """`python -m runner serve` processes whose home lies under `root` (Linux /proc): pid → command line."""
    found = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in args and b"runner" in args and any(a.startswith(str(root).encode()) for a in args):
            found[int(proc.name)] = b" ".join(args).decode(errors="replace")
    return found


@pytest.fixture(scope="session")
def processing_ready(qgis_app):
    if QGIS_PLUGINS not in sys.path:
        sys.path.append(QGIS_PLUGINS)
    from processing.core.Processing import Processing
    from qgis.core import QgsApplication

    from omnisat_qgis.processing.provider import OmniSatProvider

    Processing.initialize()
    registry = QgsApplication.processingRegistry()
    if registry.providerById("omnisat") is None:
        SESSION["provider"] = OmniSatProvider()
        registry.addProvider(SESSION["provider"])
    SESSION["processing"] = True
    return registry


def layer_params(scene: Path) -> dict:
    return {"AERIAL": str(scene / "aerial.tif"), "S1": sorted(str(p) for p in (scene / "s1").glob("*.tif")),
            "S2": sorted(str(p) for p in (scene / "s2").glob("*.tif")), "DEVICE": 1}


@pytest.fixture(scope="session")
def trained_models(processing_ready, runner_session, plugin_scene) -> dict:
    """A tiny pretrained model and a classifier fine-tuned from it, both through the Processing algorithms."""
    import processing

    pre = processing.run("omnisat:pretrain", {**layer_params(plugin_scene), "MODEL_NAME": "plugin-pre",
                                              "EPOCHS": 1, "SIZE": 1})
    ft = processing.run("omnisat:finetune", {**layer_params(plugin_scene), "LABELS": str(plugin_scene / "labels.gpkg"),
                                             "CLASS_FIELD": "class_name", "COLOR_FIELD": "color",
                                             "BASE_MODEL": "plugin-pre", "MODEL_NAME": "plugin-clf", "EPOCHS": 4,
                                             "SIZE": 1})
    return {"pretrained": pre["MODEL"], "classifier": ft["MODEL"]}


def wait_for(predicate, timeout: float = 300, app=None) -> None:
    from qgis.core import QgsApplication

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        QgsApplication.processEvents()
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")
