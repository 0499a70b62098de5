"""How a finished runner job ran, in one line for the message bar and the Processing log.

Why: the runner picks the device, the batch size and (with `amp=auto`) the precision itself, so the analyst
should see what it chose: a map made in bf16 on one machine and in fp32 on another can differ in a patch in a
thousand, and the timings say where an hour went.
"""

from __future__ import annotations

from typing import Any


def run_summary(result: dict[str, Any]) -> str:
    """' (bf16 on cpu, 8 tiles per batch, 14.7 s)' from a classify result; '' when the runner did not say."""
    parts = []
    if result.get("precision"):
        parts.append(f"{result['precision']} on {result.get('device', '?')}")
    if result.get("batch_size"):
        parts.append(f"{result['batch_size']} tiles per batch")
    total = (result.get("timings") or {}).get("total")
    if isinstance(total, (int, float)):
        parts.append(f"{total:.1f} s")
    return f" ({', '.join(parts)})" if parts else ""
