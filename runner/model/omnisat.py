"""OmniSat: modality encoders + combiner (`OmniSat`), its pretraining wrapper and its classifier."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from runner.model.combiner import Combiner
from runner.model.config import OmniSatConfig
from runner.model.decoders import SeriesDecoder, select_dates
from runner.model.heads import ClassHeads
from runner.model.losses import (
    classification_loss,
    contrastive_loss,
    retrieval_metrics,
    series_reconstruction_loss,
    vhr_reconstruction_loss,
)
from runner.model.ltae import LTAE, date_positions, ts_validity
from runner.model.vhr_encoder import PoolTrace, VHRDecoder, VHREncoder


@dataclass
class EncoderOutput:
    tile_token: Tensor                      # (B, D)
    patch_tokens: Tensor                    # (B, P², D) fused f*_p
    modalities: list[str]
    tokens: dict[str, Tensor] = field(default_factory=dict)     # raw encoder tokens (B, P², D)
    has_token: dict[str, Tensor] = field(default_factory=dict)  # (B, P²) bool
    date_attn: dict[str, Tensor] = field(default_factory=dict)  # (B, T) per-date LTAE attention
    trace: PoolTrace | None = None


def modality_keep(b: int, m: int, p: float, device: torch.device) -> Tensor:
    """(B, M) bool: each modality kept with probability 1 − p, at least one per sample."""
    keep = torch.rand(b, m, device=device) >= p
    none = ~keep.any(1)
    if bool(none.any()):
        pick = torch.randint(0, m, (b,), device=device)
        keep[none, pick[none]] = True
    return keep


class OmniSat(nn.Module):
    """Encoder: per-modality tokens → combiner → tile token and fused per-patch tokens."""

    def __init__(self, cfg: OmniSatConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoders = nn.ModuleDict()
        for m, ch in cfg.modalities.items():
            if m == "aerial":
                self.encoders[m] = VHREncoder(ch, cfg.aerial_px, cfg.cnn_channels, cfg.dim, cfg.cnn_groups,
                                              cfg.shared_resblock_norm)
            else:
                self.encoders[m] = LTAE(ch, cfg.ts_px, cfg.dim, cfg.ltae_heads, cfg.ltae_dk, cfg.ltae_in_mlp,
                                        cfg.ltae_out_mlp, cfg.ltae_dropout, cfg.ltae_attn_dropout, cfg.period,
                                        in_norm=(m == "s2"), norm_scope=cfg.ltae_norm)
        self.combiner = Combiner(cfg)

    def present(self, batch: dict[str, Tensor], modalities: list[str] | None = None) -> list[str]:
        if modalities is not None:
            missing = [m for m in modalities if m in self.cfg.modalities and m not in batch]
            if missing:
                raise ValueError(f"modalities {missing} requested but absent from the batch")
        mods = [m for m in self.cfg.ordered_modalities(modalities) if m in batch]
        if not mods:
            asked = modalities if modalities is not None else list(self.cfg.modalities)
            raise ValueError(f"the batch holds none of the requested modalities {asked} "
                             f"(model modalities: {list(self.cfg.modalities)})")
        return mods

    def forward(self, batch: dict[str, Tensor], modalities: list[str] | None = None, mask: Tensor | None = None,
                modality_dropout: float = 0.0, pool_trace: bool = True) -> EncoderOutput:
        """`pool_trace=False` when nothing will decode the aerial tokens (classifying): no pooling indices."""
        mods = self.present(batch, modalities)
        out = EncoderOutput(tile_token=None, patch_tokens=None, modalities=mods)  # type: ignore[arg-type]
        for m in mods:
            if m == "aerial":
                tok, out.trace = self.encoders[m](batch["aerial"], self.cfg.tile_patches, trace=pool_trace)
                has = torch.ones(tok.shape[:2], dtype=torch.bool, device=tok.device)
            else:
                dates = date_positions(batch, m, self.cfg.date_encoding)
                tok, has, att = self.encoders[m](batch[m], dates, ts_validity(batch, m))
                out.date_attn[m] = att
            out.tokens[m], out.has_token[m] = tok, has
        excluded = torch.cat([~out.has_token[m] for m in mods], dim=1)
        if self.training and modality_dropout > 0 and len(mods) > 1:
            b, p2 = excluded.shape[0], self.cfg.n_patches
            keep = modality_keep(b, len(mods), modality_dropout, excluded.device)
            excluded = excluded | (~keep).repeat_interleave(p2, dim=1)
        tokens = torch.cat([out.tokens[m] for m in mods], dim=1)
        out.tile_token, out.patch_tokens = self.combiner(tokens, excluded, mask)
        return out


class OmniSatPretrainer(nn.Module):
    """Self-supervised wrapper: contrastive on raw tokens + masked reconstruction from f*_p (§8)."""

    def __init__(self, cfg: OmniSatConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoder = OmniSat(cfg)
        self.decoders = nn.ModuleDict()
        for m, ch in cfg.modalities.items():
            if m == "aerial":
                self.decoders[m] = VHRDecoder(ch, cfg.aerial_px, cfg.cnn_channels, cfg.dim)
            else:
                self.decoders[m] = SeriesDecoder(cfg.dim, ch * cfg.ts_px * cfg.ts_px, cfg.period)

    def random_mask(self, b: int, n: int, device: torch.device) -> Tensor:
        """(B, N) bool, exactly round(ratio·N) tokens masked per sample, jointly over modalities."""
        n_mask = int(round(self.cfg.mask_ratio * n))
        order = torch.rand(b, n, device=device).argsort(dim=1)
        mask = torch.zeros(b, n, dtype=torch.bool, device=device)
        mask.scatter_(1, order[:, :n_mask], True)
        return mask

    def forward(self, batch: dict[str, Tensor], modalities: list[str] | None = None,
                modality_dropout: float = 0.0) -> dict[str, Tensor]:
        mods = self.encoder.present(batch, modalities)
        p2 = self.cfg.n_patches
        any_input = batch[mods[0]]
        mask = self.random_mask(any_input.shape[0], len(mods) * p2, any_input.device)
        enc = self.encoder(batch, mods, mask=mask, modality_dropout=modality_dropout)
        tokens = torch.stack([enc.tokens[m] for m in mods], dim=1)
        exists = torch.stack([enc.has_token[m] for m in mods], dim=1)
        losses = {"contrastive": contrastive_loss(tokens, exists, self.cfg.temperature,
                                                  self.cfg.contrastive_max_tokens)}
        f = enc.patch_tokens
        for i, m in enumerate(mods):
            if m == "aerial":
                pred = self.decoders[m](f.reshape(-1, f.shape[-1]), enc.trace)
                losses[f"rec_{m}"] = vhr_reconstruction_loss(pred, batch["aerial"], self.cfg.tile_patches)
            else:
                valid = ts_validity(batch, m)
                selected = select_dates(enc.date_attn[m].detach(), valid.flatten(2).any(2), self.cfg.date_quantile)
                pred = self.decoders[m](f, date_positions(batch, m, self.cfg.date_encoding))
                losses[f"rec_{m}"] = series_reconstruction_loss(
                    pred, batch[m], valid, selected, mask[:, i * p2:(i + 1) * p2], self.cfg.band_groups(m),
                    self.cfg.ts_px)
        losses["loss"] = sum(losses.values())  # type: ignore[assignment]
        if not self.training and len(mods) > 1:
            for name, value in retrieval_metrics(tokens, exists, self.cfg.contrastive_max_tokens).items():
                losses[name] = torch.tensor(value)
        return losses


class OmniSatClassifier(nn.Module):
    """Encoder + per-patch and tile-level heads; any subset of the model's modalities at inference."""

    def __init__(self, cfg: OmniSatConfig, classes: int) -> None:
        super().__init__()
        self.cfg = cfg
        self.classes = classes
        self.encoder = OmniSat(cfg)
        self.heads = ClassHeads(cfg.dim, classes)

    def forward(self, batch: dict[str, Tensor], modalities: list[str] | None = None,
                modality_dropout: float = 0.0) -> dict[str, Tensor]:
        enc = self.encoder(batch, modalities, modality_dropout=modality_dropout, pool_trace=False)
        return self.heads(enc.tile_token, enc.patch_tokens)

    def loss(self, out: dict[str, Tensor], batch: dict[str, Tensor], class_weights: Tensor | None = None) -> Tensor:
        return classification_loss(out, batch, class_weights)

    def load_encoder(self, state: dict[str, Tensor]) -> list[str]:
        """Copy the `encoder.*` weights of a pretrained or classifier state; returns the keys loaded.

        Encoders of modalities this model lacks are skipped (§9: a single-modality model loads the combiner and
        its own modality's encoder from a multimodal checkpoint).
        """
        enc = {k[len("encoder."):]: v for k, v in state.items() if k.startswith("encoder.")}
        if not enc:
            raise ValueError("the initial state has no encoder.* weights")
        enc = {k: v for k, v in enc.items()
               if not (k.startswith("encoders.") and k.split(".")[1] not in self.cfg.modalities)}
        own = self.encoder.state_dict()
        wrong = [f"{k} {tuple(v.shape)} vs {tuple(own[k].shape)}" for k, v in enc.items()
                 if k in own and own[k].shape != v.shape]
        unexpected = [k for k in enc if k not in own]
        if wrong or unexpected:
            raise ValueError(f"the initial weights do not fit this model: {(wrong + unexpected)[:3]} (different "
                             "size, band count or tile size)")
        self.encoder.load_state_dict(enc, strict=False)
        return list(enc)
