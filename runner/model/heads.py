"""Classification heads: per-patch classes from f*_p (maps) and tile-level multi-label from the tile token."""

from __future__ import annotations

from torch import Tensor, nn


class Head(nn.Sequential):
    """LayerNorm → Linear: the combiner has no final norm, so each head normalises its input."""

    def __init__(self, dim: int, classes: int) -> None:
        super().__init__(nn.LayerNorm(dim), nn.Linear(dim, classes))


class ClassHeads(nn.Module):
    def __init__(self, dim: int, classes: int) -> None:
        super().__init__()
        self.patch = Head(dim, classes)
        self.tile = Head(dim, classes)

    def forward(self, tile_token: Tensor, patch_tokens: Tensor) -> dict[str, Tensor]:
        return {"patch_logits": self.patch(patch_tokens), "tile_logits": self.tile(tile_token)}
