"""Classification metrics from a confusion matrix (patch maps) and multi-label F1 (tiles), in numpy."""

from __future__ import annotations

from typing import Any

import numpy as np


def confusion(labels: np.ndarray, preds: np.ndarray, k: int) -> np.ndarray:
    """(K, K) counts, rows = truth, columns = prediction; labels < 0 are ignored."""
    keep = labels >= 0
    return np.bincount(labels[keep] * k + preds[keep], minlength=k * k).reshape(k, k)


def f1_per_class(cm: np.ndarray) -> np.ndarray:
    tp = np.diag(cm).astype(float)
    denom = cm.sum(0) + cm.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, 2 * tp / np.maximum(denom, 1), np.nan)


def patch_metrics(cm: np.ndarray) -> dict[str, Any]:
    """Overall accuracy, macro F1 over classes present in truth or prediction, per-class F1, confusion."""
    f1 = f1_per_class(cm)
    total = cm.sum()
    return {
        "overall_accuracy": float(np.trace(cm) / total) if total else float("nan"),
        "macro_f1": float(np.nanmean(f1)) if np.isfinite(f1).any() else float("nan"),
        "per_class_f1": [None if not np.isfinite(v) else float(v) for v in f1],
        "confusion": cm.astype(int).tolist(),
        "patches": int(total),
    }


def multilabel_f1(truth: np.ndarray, scores: np.ndarray, threshold: float = 0.5) -> float:
    """Macro F1 over classes present in truth or prediction, tile level (TreeSatAI-style multi-label)."""
    if truth.size == 0:
        return float("nan")
    pred = scores >= threshold
    t = truth >= 0.5
    tp = (pred & t).sum(0)
    denom = pred.sum(0) + t.sum(0)
    f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), np.nan)
    return float(np.nanmean(f1)) if np.isfinite(f1).any() else float("nan")


def inverse_frequency_weights(counts: np.ndarray, clip: float = 10.0) -> np.ndarray:
    """Class weights ∝ 1/frequency, mean 1 over seen classes, clipped; unseen classes get weight 1."""
    counts = counts.astype(float)
    seen = counts > 0
    w = np.ones_like(counts)
    if seen.any():
        w[seen] = counts[seen].sum() / (seen.sum() * counts[seen])
        w[seen] = np.clip(w[seen] / w[seen].mean(), 1.0 / clip, clip)
    return w
