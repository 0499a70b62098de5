"""A synthetic scene and a tiny pretrained + fine-tuned model, made once per session through the operations."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.jobs.context import JobContext


class RecordingContext(JobContext):
    """A context that keeps events and progress, as the API's store would."""

    def __init__(self, home: Path, name: str = "test") -> None:
        super().__init__(name, home, home / "jobs" / name)
        self.events: list[tuple[str, str, dict]] = []
        self.progress_log: list[dict] = []

    def _on_progress(self, progress: dict) -> None:
        self.progress_log.append(progress)

    def _on_event(self, kind: str, message: str, data: dict) -> None:
        self.events.append((kind, message, data))


@pytest.fixture(scope="session")
def scene(tmp_path_factory) -> Path:
    from runner.geo.scene import make_scene

    out = tmp_path_factory.mktemp("ops") / "scene"
    make_scene(out, size_km=0.4, seed=1, aerial_res=0.5)
    return out


def inputs(scene: Path, modalities=("aerial", "s1", "s2")) -> dict:
    spec: dict = {"device": "cpu"}
    if "aerial" in modalities:
        spec["aerial"] = str(scene / "aerial.tif")
    for m in ("s1", "s2"):
        if m in modalities:
            spec[m] = sorted(str(p) for p in (scene / m).glob("*.tif"))
    return spec


@pytest.fixture(scope="session")
def trained(tmp_path_factory, scene: Path) -> dict:
    """Home with `pre` (pretrained) and `clf` (classifier fine-tuned from it) and the fine-tune result."""
    from runner.ops import run_operation

    home = tmp_path_factory.mktemp("home")
    pre_ctx = RecordingContext(home, "pre")  # size left to the runner: `auto` picks tiny for 0.4 km²
    pre = run_operation("pretrain", {**inputs(scene), "out_model": "pre", "epochs": 2}, pre_ctx)
    ctx = RecordingContext(home, "ft")
    ft = run_operation("finetune", {**inputs(scene), "model": "pre", "labels": str(scene / "labels.gpkg"),
                                    "class_field": "class_name", "color_field": "color", "out_model": "clf",
                                    "epochs": 12}, ctx)
    return {"home": home, "pretrain": pre, "finetune": ft, "ft_ctx": ctx, "pre_ctx": pre_ctx}
