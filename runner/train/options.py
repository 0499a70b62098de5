"""TrainOptions: the knobs of a pretraining or fine-tuning run, and TrainResult, what a run hands back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TrainOptions:
    """Defaults follow the paper where it has one (lr 1e-4 pretrain / 2e-4 finetune for `base`)."""

    epochs: int = 20
    batch_size: int = 8
    lr: float | None = None            # None: per stage and size (see `learning_rate`)
    weight_decay: float = 0.01
    warmup: int = 0                    # linear warm-up steps before the cosine decay
    patience: int = 10                 # epochs without validation improvement before stopping
    device: str = "auto"               # auto | cpu | cuda
    amp: str = "auto"                  # auto (bf16 on CUDA, fp32 training on CPU) | bf16 | off
    seed: int = 0
    modality_dropout: float = 0.25     # per sample, per modality; at least one modality kept (§13)
    class_weights: bool | list[float] = False   # True: inverse label frequency from the training batches
    max_steps_per_epoch: int | None = None
    time_budget_s: float | None = None  # stop when spent: the running epoch ends early, is validated, best kept
    grad_clip: float | None = 1.0

    def learning_rate(self, stage: str, size: str) -> float:
        if self.lr is not None:
            return self.lr
        if size == "tiny":
            return 2e-3
        return 1e-4 if stage == "pretrain" else 2e-4


@dataclass
class TrainResult:
    state_dict: dict[str, Any]                      # best weights, on CPU
    history: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    best_epoch: int = 0                              # 1-based epoch whose weights are returned
