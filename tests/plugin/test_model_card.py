"""The dock's model card text: validation figures and the runner's choices with their reasons."""

from __future__ import annotations

from omnisat_qgis.model_card import card_lines, choices_html

CARD = {"size": "tiny", "kind": "classifier", "modalities": ["s1", "s2"],
        "classes": [{"name": "Maize"}, {"name": "Potatoes <early>"}],
        "metrics": {"overall_accuracy": 0.8123, "macro_f1": 0.61, "patches": 300},
        "choices": {"size": {"value": "tiny", "reason": "tiny: 121 tiles (0.41 km²) are too few for base"},
                    "dates": {"value": {"s2": 118}, "reason": "s2 all 118 dates"}}}


def test_card_lines_show_validation_and_every_choice() -> None:
    lines = card_lines("crops", CARD)
    assert lines[0] == "crops (tiny, classifier)"
    assert "validation: OA 0.812, macro F1 0.610" in lines
    assert "size: tiny: 121 tiles (0.41 km²) are too few for base" in lines
    assert "dates: s2 all 118 dates" in lines


def test_card_without_metrics_or_choices_says_only_what_it_knows() -> None:
    lines = card_lines("pre", {"size": "base", "kind": "pretrained", "modalities": ["s2"]})
    assert lines == ["pre (base, pretrained)", "modalities: s2"]


def test_choices_html_breaks_lines_and_escapes() -> None:
    card = {"choices": {"dates": {"reason": "s2 all 3 dates <from S2_<x>.tif>"}, "note": "not a choice"}}
    assert choices_html(card) == "<br>dates: s2 all 3 dates &lt;from S2_&lt;x&gt;.tif&gt;"
