"""Predictor: per-patch class probabilities from a fine-tuned classifier, for any subset of its modalities.

On a GPU it runs in bf16 autocast with pinned host batches, sizes its batch from free device memory and halves it
on out-of-memory (see batching.py); `compile=True` opts into `torch.compile` (worth it for long jobs on a GPU, a
minute of compilation on a CPU).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch

from runner.errors import InputError
from runner.model import OmniSatClassifier, OmniSatConfig, to_tensors
from runner.model.fuse import prepare_for_inference
from runner.train.batching import (
    AdaptiveBatches,
    cpu_batch_size,
    free_memory,
    inference_bytes_per_tile,
    pick_batch_size,
)
from runner.train.device import amp_dtype, autocast, choose_device

log = logging.getLogger("runner.predict")


class Predictor:
    def __init__(self, cfg: OmniSatConfig, state_dict: dict[str, torch.Tensor], device: str = "auto",
                 amp: str = "auto", batch_size: int | None = None, dates: int = 50, compile: bool = False,
                 modalities: list[str] | None = None) -> None:
        """`modalities`: the subset the inputs will have (default: all the model knows); sizes the CPU batch."""
        key = "heads.patch.1.weight"
        if key not in state_dict:
            raise InputError("the model has no classification head; fine-tune it on labels first")
        self.cfg = cfg
        self.device = choose_device(device)
        self.dtype = amp_dtype(self.device, amp, inference=True, width=cfg.dim)
        self.classes = int(state_dict[key].shape[0])
        self.model = OmniSatClassifier(cfg, self.classes)
        self.model.load_state_dict(state_dict)
        self.model.to(self.device).eval()
        # same outputs, less memory traffic (see runner/model/fuse.py); torch.compile fuses activations itself
        prepare_for_inference(self.model, fuse_activations=not compile)
        self._forward = torch.compile(self.model, dynamic=True) if compile else self.model
        per_tile = inference_bytes_per_tile(cfg, dates)
        size = pick_batch_size(batch_size, per_tile, free_memory(self.device), device=self.device.type,
                               cpu_default=cpu_batch_size(cfg, modalities))
        self.batches = AdaptiveBatches(size, self.device, on_shrink=self._shrunk)

    @property
    def batch_size(self) -> int:
        """Tiles per forward pass now (it only goes down, on out-of-memory)."""
        return self.batches.size

    def _shrunk(self, old: int, new: int) -> None:
        log.warning("out of memory on %s with %d tiles per batch; continuing with %d", self.device, old, new)

    def predict(self, batch: dict[str, Any], modalities: list[str] | None = None) -> np.ndarray:
        """(B, P, P, K) float32 class probabilities per patch."""
        if modalities is not None:
            unknown = [m for m in modalities if m not in self.cfg.modalities]
            if unknown:
                raise InputError(f"the model was trained without {', '.join(unknown)} (it knows "
                                 f"{', '.join(self.cfg.modalities)})")
        return self.batches.run(batch, lambda b: self._predict(b, modalities))

    def _predict(self, batch: dict[str, Any], modalities: list[str] | None) -> np.ndarray:
        t = to_tensors(batch, self.device)
        try:
            with torch.inference_mode(), autocast(self.device, self.dtype):
                logits = self._forward(t, modalities)["patch_logits"]
        except ValueError as err:  # the model's shape/modality checks: the input does not fit this model
            raise InputError(f"the batch does not fit the model: {err}") from err
        probs = torch.softmax(logits.float(), dim=-1).cpu().numpy().astype(np.float32)
        p = self.cfg.tile_patches
        return probs.reshape(probs.shape[0], p, p, self.classes)
