"""The `base` model on one real TreeSatAI-TS tile (aerial 0.2 m, S2 with cloud masks, S1 ascending).

Read with rasterio straight from ../shared/eodata beside the repository (the geo layer is tested on its own);
skipped, saying where it looked, when the samples are absent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from runner.model import OmniSatClassifier, OmniSatConfig, OmniSatPretrainer, to_tensors

REPO = Path(__file__).resolve().parents[2]
TILE = REPO.parent / "shared" / "eodata" / "treesatai_tile"
DATES = 50

pytestmark = pytest.mark.skipif(
    not TILE.is_dir(), reason=f"real samples not found at {TILE} (../shared/eodata is absent on this machine)")


def _read(path: Path) -> tuple[np.ndarray, tuple[str, ...]]:
    import rasterio

    with rasterio.open(path) as src:
        return src.read().astype(np.float32), src.descriptions


def _scale(x: np.ndarray, axis: tuple[int, ...]) -> np.ndarray:
    lo, hi = np.percentile(x, 2, axis=axis, keepdims=True), np.percentile(x, 98, axis=axis, keepdims=True)
    return ((x - lo) / np.maximum(hi - lo, 1e-6)).astype(np.float32)


def _series(folder: str, prefix: str, masks: str | None = None) -> dict[str, np.ndarray]:
    files = sorted((TILE / folder).glob("*.tif"))
    files = [files[i] for i in np.linspace(0, len(files) - 1, min(DATES, len(files))).round().astype(int)]
    stack = np.stack([_read(f)[0] for f in files])                       # (T, C, 6, 6)
    doy = np.array([_doy(f.stem[-8:]) for f in files], dtype=np.int64)
    if masks:
        mk = np.stack([_read(TILE / masks / f.name.replace(prefix, "MSK"))[0] for f in files])
        valid = (mk.max(axis=1) <= 0)
    else:
        valid = np.isfinite(stack).all(axis=1)
    return {"x": stack, "doy": doy, "mask": valid, "bands": _read(files[0])[1]}


def _doy(yyyymmdd: str) -> int:
    import datetime as dt

    return dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:])).timetuple().tm_yday


@pytest.fixture(scope="module")
def real_batch() -> tuple[dict[str, np.ndarray], list[str]]:
    aerial, _ = _read(TILE / "aerial.tif")
    aerial = _scale(aerial[:, 2:302, 2:302], axis=(1, 2))[None]             # the 60 m OmniSat crop
    s2 = _series("s2", "S2", masks="s2_masks")
    s1 = _series("s1_asc", "S1")
    s1["x"] = 10 * np.log10(np.maximum(s1["x"], 1e-6))                     # dB, as the geo layer does
    batch = {"aerial": aerial}
    for m, s in (("s2", s2), ("s1", s1)):
        batch[m] = _scale(s["x"], axis=(0, 2, 3))[None]
        batch[f"{m}_doy"] = s["doy"][None]
        batch[f"{m}_mask"] = s["mask"][None]
    return batch, list(s2["bands"])


def test_base_encodes_the_real_tile_with_any_subset(real_batch):
    batch, s2_bands = real_batch
    assert batch["aerial"].shape == (1, 4, 300, 300) and batch["s2"].shape[1:] == (DATES, 10, 6, 6)
    assert 0 < batch["s2_mask"].mean() < 1  # the masks hide some cloudy/snowy observations
    torch.manual_seed(0)
    cfg = OmniSatConfig.for_size("base", {"aerial": 4, "s1": 2, "s2": 10}, band_names={"s2": s2_bands})
    model = OmniSatClassifier(cfg, 15).eval()
    t = to_tensors(batch)
    with torch.no_grad():
        outs = {tuple(m): model(t, m)["patch_logits"] for m in (["aerial", "s1", "s2"], ["s2"], ["s1", "s2"])}
    for logits in outs.values():
        assert logits.shape == (1, 36, 15) and torch.isfinite(logits).all()
    assert not torch.allclose(outs[("aerial", "s1", "s2")], outs[("s2",)])


def test_base_pretraining_step_on_the_real_tile_uses_three_s2_band_groups(real_batch):
    batch, s2_bands = real_batch
    cfg = OmniSatConfig.for_size("base", {"aerial": 4, "s1": 2, "s2": 10}, band_names={"s2": s2_bands})
    assert cfg.band_groups("s2") == [[0, 1, 2, 6], [3, 4, 5, 7], [8, 9]]
    torch.manual_seed(0)
    model = OmniSatPretrainer(cfg).train()
    losses = model(to_tensors(batch))
    losses["loss"].backward()
    assert all(torch.isfinite(v) for v in losses.values())
    assert float(losses["contrastive"].detach()) > 0 and float(losses["rec_s2"].detach()) > 0
    grads = [p.grad for p in model.encoder.encoders["aerial"].parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
