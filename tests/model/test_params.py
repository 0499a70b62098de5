"""`base` is the paper's configuration: TreeSatAI-TS encoder parameter count within 5 % of 9,839,040."""

from __future__ import annotations

import pytest

from runner.model import OmniSat, OmniSatConfig

SPEC_TOTAL = 9_839_040


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_base_treesat_encoder_parameter_count():
    cfg = OmniSatConfig.for_size("base", {"aerial": 4, "s2": 10, "s1": 2}, aerial_px=50)
    model = OmniSat(cfg)
    total = count(model)
    assert abs(total - SPEC_TOTAL) / SPEC_TOTAL < 0.05, total
    # the per-part figures of the spec's table (§7) match exactly
    assert count(model.encoders["aerial"]) == 3_550_464
    assert count(model.encoders["s2"]) == 403_232
    assert count(model.encoders["s1"]) == 402_464  # 2 input channels (VV, VH); 3 would give 402,496


@pytest.mark.parametrize("s1_bands", [3])
def test_base_with_three_s1_channels_is_also_within_tolerance(s1_bands):
    cfg = OmniSatConfig.for_size("base", {"aerial": 4, "s2": 10, "s1": s1_bands})
    assert abs(count(OmniSat(cfg)) - SPEC_TOTAL) / SPEC_TOTAL < 0.05


def test_tiny_is_small():
    cfg = OmniSatConfig.for_size("tiny", {"aerial": 4, "s2": 10, "s1": 2})
    assert count(OmniSat(cfg)) < 400_000
    assert OmniSatConfig.from_dict(cfg.to_dict()) == cfg
