"""Inference-only graph simplification: fold each BatchNorm into the Linear or Conv2d just before it, and run
each Linear → ReLU and Conv2d → GELU pair as one oneDNN call with the activation as its epilogue on the CPU
(in fp32, and in bf16 under autocast).

Why: in eval mode a BatchNorm is a fixed per-channel affine map, so `BN(W x + b)` is one Linear with scaled
weights. In the LTAE the input and output MLPs run on every (patch, date) row: the separate BatchNorm passes
over those large activations are pure memory traffic, and so are the ReLU passes and the bias copies of `addmm`;
the exact GELU over the aerial stem's 25×25×256 output per patch costs more than the convolution itself unless
oneDNN applies it while the output is still in cache. What each step saved is in docs/performance.md (*What the
runner does by default*).
The prepared model gives the same outputs to float rounding. Never use it for training (statistics are frozen).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval

# oneDNN's fused linear and convolution (PyTorch's own CPU fusion ops, the ones torch.compile emits)
_MKLDNN = torch.ops.mkldnn if torch.backends.mkldnn.is_available() else None
_FUSED_LINEAR = getattr(_MKLDNN, "_linear_pointwise", None)
_FUSED_CONV = getattr(_MKLDNN, "_convolution_pointwise", None)
# oneDNN's bf16 kernels need AVX-512 at least; elsewhere the fused ops refuse bf16 and the two ops run
_BF16_FUSABLE = bool(_MKLDNN is not None and hasattr(_MKLDNN, "_is_mkldnn_bf16_supported")
                     and _MKLDNN._is_mkldnn_bf16_supported())


def prepare_for_inference(model: nn.Module, fuse_activations: bool = True) -> nn.Module:
    """Fold BatchNorms, then (unless `torch.compile` will fuse them itself) activation pairs; returns model."""
    fold_batchnorms(model)
    if fuse_activations:
        fuse_activation_pairs(model)
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


def _zero_padded(conv: nn.Conv2d) -> bool:
    """oneDNN's fused convolution takes numeric zero padding only."""
    return conv.padding_mode == "zeros" and not isinstance(conv.padding, str)


def _fused_dtype(x: Tensor, weight: Tensor, dims: int, op: object) -> torch.dtype | None:
    """The dtype the fused oneDNN call runs in for this input, or None to run the two ops.

    fp32 outside autocast; bf16 under CPU bf16 autocast, the weights cast as autocast itself would cast them
    (autocast's Linear then a separate ReLU pass costs about twice the fused call: docs/performance.md)."""
    if op is None or x.device.type != "cpu" or x.dim() != dims:
        return None
    if torch.is_autocast_enabled("cpu"):
        return torch.bfloat16 if _BF16_FUSABLE and torch.get_autocast_dtype("cpu") == torch.bfloat16 else None
    return x.dtype if x.dtype == weight.dtype == torch.float32 else None


def _cast(t: Tensor | None, dtype: torch.dtype) -> Tensor | None:
    return t if t is None or t.dtype == dtype else t.to(dtype)


class LinearReLU(nn.Module):
    """`relu(linear(x))` as one oneDNN call for 2-D CPU input in fp32 or under bf16 autocast; two ops elsewhere.

    (The combiner's Linear → GELU pairs fused the same way ran no faster, so they stay two ops.)"""

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        self.linear = linear

    def forward(self, x: Tensor) -> Tensor:
        w, b = self.linear.weight, self.linear.bias
        dtype = _fused_dtype(x, w, 2, _FUSED_LINEAR)
        if dtype is not None:
            return _FUSED_LINEAR(_cast(x, dtype), _cast(w, dtype), _cast(b, dtype), "relu", [], "")
        return F.relu(F.linear(x, w, b))


class ConvGELU(nn.Module):
    """`gelu(conv(x))` (exact GELU) as one oneDNN call for 4-D CPU input in fp32 or under bf16 autocast; two ops
    elsewhere."""

    def __init__(self, conv: nn.Conv2d) -> None:
        super().__init__()
        if not _zero_padded(conv):
            raise ValueError("ConvGELU needs numeric zero padding")
        self.conv = conv

    def forward(self, x: Tensor) -> Tensor:
        c = self.conv
        dtype = _fused_dtype(x, c.weight, 4, _FUSED_CONV)
        if dtype is not None:
            return _FUSED_CONV(_cast(x, dtype), _cast(c.weight, dtype), _cast(c.bias, dtype), list(c.padding),
                               list(c.stride), list(c.dilation), c.groups, "gelu", [], "none")
        return F.gelu(c(x))


def fuse_activation_pairs(model: nn.Module) -> int:
    """Inside every nn.Sequential, Linear (Identity…) ReLU → LinearReLU and Conv2d (Identity…) GELU (exact) →
    ConvGELU, the activation becoming an Identity; returns the number of pairs fused."""
    if model.training:
        raise ValueError("fuse_activation_pairs is for eval-mode models only (call model.eval() first)")
    fused = 0
    for seq in [m for m in model.modules() if isinstance(m, nn.Sequential)]:
        names = list(seq._modules)
        for i, name in enumerate(names):
            layer = seq._modules[name]
            j = i + 1
            while j < len(names) and isinstance(seq._modules[names[j]], nn.Identity):
                j += 1
            act = seq._modules[names[j]] if j < len(names) else None
            if isinstance(layer, nn.Linear) and isinstance(act, nn.ReLU):
                seq._modules[name] = LinearReLU(layer)
            elif (isinstance(layer, nn.Conv2d) and isinstance(act, nn.GELU) and act.approximate == "none"
                  and _zero_padded(layer)):
                seq._modules[name] = ConvGELU(layer)
            else:
                continue
            seq._modules[names[j]] = nn.Identity()
            fused += 1
    return fused
