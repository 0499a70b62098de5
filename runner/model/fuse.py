"""Inference-only graph simplification: fold each BatchNorm into the Linear or Conv2d just before it, and run
each Linear → ReLU pair as one oneDNN matmul with a ReLU epilogue on the CPU.

Why: in eval mode a BatchNorm is a fixed per-channel affine map, so `BN(W x + b)` is one Linear with scaled
weights. In the LTAE the input and output MLPs run on every (patch, date) row: the separate BatchNorm passes
over those large activations are pure memory traffic (about 7 % of S2-only inference time on a CPU), and so are
the ReLU passes and the bias copies of `addmm` (another ~12 % of S2-only inference on a Sapphire Rapids CPU).
The prepared model gives the same outputs to float rounding. Never use it for training (statistics are frozen).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval

# oneDNN's fused linear (PyTorch's own CPU fusion op, the one torch.compile emits); absent from some builds
_FUSED_LINEAR = getattr(torch.ops.mkldnn, "_linear_pointwise", None) if torch.backends.mkldnn.is_available() else None


def prepare_for_inference(model: nn.Module, fuse_activations: bool = True) -> nn.Module:
    """Fold BatchNorms, then (unless `torch.compile` will fuse them itself) Linear → ReLU pairs; returns model."""
    fold_batchnorms(model)
    if fuse_activations:
        fuse_linear_relu(model)
    return model


def fold_batchnorms(model: nn.Module) -> int:
    """Fold BatchNorm1d after Linear and BatchNorm2d after Conv2d inside every nn.Sequential; returns the count."""
    if model.training:
        raise ValueError("fold_batchnorms is for eval-mode models only (call model.eval() first)")
    folded = 0
    for seq in [m for m in model.modules() if isinstance(m, nn.Sequential)]:
        names = list(seq._modules)
        for first, second in zip(names[:-1], names[1:], strict=True):
            a, b = seq._modules[first], seq._modules[second]
            if isinstance(a, nn.Linear) and isinstance(b, nn.BatchNorm1d) and b.track_running_stats:
                seq._modules[first] = fuse_linear_bn_eval(a, b)
            elif isinstance(a, nn.Conv2d) and isinstance(b, nn.BatchNorm2d) and b.track_running_stats:
                seq._modules[first] = fuse_conv_bn_eval(a, b)
            else:
                continue
            seq._modules[second] = nn.Identity()
            folded += 1
    return folded


class LinearReLU(nn.Module):
    """`relu(linear(x))` as one oneDNN call for 2-D fp32 CPU input outside autocast; the two ops elsewhere."""

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        self.linear = linear

    def forward(self, x: Tensor) -> Tensor:
        w, b = self.linear.weight, self.linear.bias
        if (_FUSED_LINEAR is not None and x.device.type == "cpu" and x.dim() == 2 and x.dtype == w.dtype
                and not torch.is_autocast_enabled("cpu")):
            return _FUSED_LINEAR(x, w, b, "relu", [], "")
        return F.relu(F.linear(x, w, b))


def fuse_linear_relu(model: nn.Module) -> int:
    """Replace Linear (Identity…) ReLU inside every nn.Sequential by LinearReLU (Identity…) Identity; the count."""
    if model.training:
        raise ValueError("fuse_linear_relu is for eval-mode models only (call model.eval() first)")
    fused = 0
    for seq in [m for m in model.modules() if isinstance(m, nn.Sequential)]:
        names = list(seq._modules)
        for i, name in enumerate(names):
            if not isinstance(seq._modules[name], nn.Linear):
                continue
            j = i + 1
            while j < len(names) and isinstance(seq._modules[names[j]], nn.Identity):
                j += 1
            if j < len(names) and isinstance(seq._modules[names[j]], nn.ReLU):
                seq._modules[name] = LinearReLU(seq._modules[name])
                seq._modules[names[j]] = nn.Identity()
                fused += 1
    return fused
