"""A model card in the words the dock shows: what the model is, how well it validated, what the runner chose.

Why: with defaults, the runner decides the model size and the dates from the user's data (runner/ops/recipe.py)
and records each choice with its reason in the card; an analyst comparing maps must see those choices beside the
validation figures, or a `tiny` model on every date looks like the same thing as a `base` one on 50.
"""

from __future__ import annotations

import html
from typing import Any


def card_lines(name: str, card: dict[str, Any]) -> list[str]:
    """Plain lines: name (size, kind); modalities; classes; validation; one line per runner choice."""
    lines = [f"{name} ({card.get('size', '?')}, {card.get('kind', '?')})",
             f"modalities: {', '.join(card.get('modalities') or [])}"]
    classes = [c.get("name", "?") for c in card.get("classes") or []]
    if classes:
        lines.append(f"classes: {', '.join(classes)}")
    metrics = card.get("metrics") or {}
    figures = [f"{label} {metrics[key]:.3f}" for key, label in
               (("overall_accuracy", "OA"), ("macro_f1", "macro F1"), ("retrieval_rank", "retrieval rank"))
               if isinstance(metrics.get(key), (int, float))]
    if figures:
        lines.append(f"validation: {', '.join(figures)}")
    return lines + choice_lines(card)


def choice_lines(card: dict[str, Any]) -> list[str]:
    """'size: tiny: 121 tiles … too few for base' — one line per choice the runner recorded, in its words."""
    return [f"{key}: {choice['reason']}" for key, choice in (card.get("choices") or {}).items()
            if isinstance(choice, dict) and choice.get("reason")]


def choices_html(card: dict[str, Any]) -> str:
    """The choice lines for a QTextBrowser, each after a line break, escaped (reasons quote file names)."""
    return "".join(f"<br>{html.escape(line)}" for line in choice_lines(card))
