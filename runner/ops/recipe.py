"""The training recipe the runner chooses from the user's data, with the reason it gives.

A user runs `pretrain` → `finetune` → `classify` with defaults; what suits their data (how much imagery, how
many labels) is decided here, once, and each choice is written with its reason to the job's log and to the
model card (`choices`), which the dock shows. Measurements behind the thresholds: docs/benchmarks.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The paper's `base` (6 combiner layers, 256 wide, a 256-channel CNN) was trained on ~20 k TreeSatAI tiles; on a
# scene of a few hundred tiles it overfits where `tiny` does not (held-out crop scene, half labelled: tiny +6.7
# macro F1 over base). Below this many 6×6-patch tiles (~7 km² at 10 m patches) the runner picks `tiny`.
BASE_MIN_TILES = 2000


@dataclass(frozen=True)
class Choice:
    """A value the runner chose and why, in words for the job's log and the model card."""

    value: Any
    reason: str

    def as_card(self) -> dict[str, Any]:
        return {"value": self.value, "reason": self.reason}


def choose_size(requested: str, tiles: int, area_km2: float) -> Choice:
    """`tiny` or `base` for `auto` from the amount of imagery; a size the user asked for is kept."""
    if requested != "auto":
        return Choice(requested, f"{requested}: asked for in the job")
    if tiles >= BASE_MIN_TILES:
        return Choice("base", f"base: {tiles:,} tiles ({area_km2:,.2f} km²) are enough imagery for the paper's "
                              f"model (auto picks base from {BASE_MIN_TILES:,} tiles)")
    return Choice("tiny", f"tiny: {tiles:,} tiles ({area_km2:,.2f} km²) are too few for the paper's base model, "
                          f"which overfits below {BASE_MIN_TILES:,} tiles; ask for size base to override")


def dates_choice(dates: dict[str, list[Any]], available: dict[str, int], max_dates: int) -> Choice:
    """What the date selection kept, said once: a capped series loses the phenology a per-pixel classifier keeps."""
    parts = []
    for m, used in dates.items():
        total = available.get(m, len(used))
        parts.append(f"{m} {len(used)} of {total} dates" if total > len(used) else f"{m} all {len(used)} dates")
    capped = any(available.get(m, len(d)) > len(d) for m, d in dates.items())
    tail = f" (max_dates {max_dates} thinned the series evenly)" if capped else ""
    return Choice({m: len(d) for m, d in dates.items()}, "; ".join(parts) + tail)
