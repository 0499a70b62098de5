"""Predictor: per-patch class probabilities from a fine-tuned classifier, for any subset of its modalities."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from runner.errors import InputError
from runner.model import OmniSatClassifier, OmniSatConfig, to_tensors
from runner.train.device import amp_dtype, autocast, choose_device


class Predictor:
    def __init__(self, cfg: OmniSatConfig, state_dict: dict[str, torch.Tensor], device: str = "auto",
                 amp: str = "auto") -> None:
        key = "heads.patch.1.weight"
        if key not in state_dict:
            raise InputError("the model has no classification head; fine-tune it on labels first")
        self.cfg = cfg
        self.device = choose_device(device)
        self.dtype = amp_dtype(self.device, amp)
        self.classes = int(state_dict[key].shape[0])
        self.model = OmniSatClassifier(cfg, self.classes)
        self.model.load_state_dict(state_dict)
        self.model.to(self.device).eval()

    def predict(self, batch: dict[str, Any], modalities: list[str] | None = None) -> np.ndarray:
        """(B, P, P, K) float32 class probabilities per patch."""
        if modalities is not None:
            unknown = [m for m in modalities if m not in self.cfg.modalities]
            if unknown:
                raise InputError(f"the model was trained without {', '.join(unknown)} (it knows "
                                 f"{', '.join(self.cfg.modalities)})")
        t = to_tensors(batch, self.device)
        try:
            with torch.inference_mode(), autocast(self.device, self.dtype):
                logits = self.model(t, modalities)["patch_logits"]
        except ValueError as err:  # the model's shape/modality checks: the input does not fit this model
            raise InputError(f"the batch does not fit the model: {err}") from err
        probs = torch.softmax(logits.float(), dim=-1).cpu().numpy().astype(np.float32)
        p = self.cfg.tile_patches
        return probs.reshape(probs.shape[0], p, p, self.classes)
