"""Job specs as the HTTP API and the CLI take them: one name per field, older names still accepted."""

from __future__ import annotations

import pytest

from runner.errors import InputError
from runner.specs import parse_spec

FINETUNE = {"s2": ["a.tif"], "labels": "labels.gpkg", "class_field": "class_name", "out_model": "clf"}


@pytest.mark.parametrize("key", ["base_model", "model"])
def test_finetune_takes_its_base_model_under_the_new_and_the_older_name(key: str) -> None:
    assert parse_spec("finetune", {**FINETUNE, key: "pre"}).base_model == "pre"


def test_finetune_without_a_base_model_starts_from_scratch() -> None:
    assert parse_spec("finetune", FINETUNE).base_model is None


def test_a_bad_base_model_name_is_refused_naming_the_field() -> None:
    with pytest.raises(InputError, match=r"base_model '\.\./x' is not a valid model name"):
        parse_spec("finetune", {**FINETUNE, "base_model": "../x"})


def test_classify_still_names_its_model_model() -> None:
    assert parse_spec("classify", {"s2": ["a.tif"], "model": "clf", "out": "map.tif"}).model == "clf"
    with pytest.raises(InputError, match="base_model"):
        parse_spec("classify", {"s2": ["a.tif"], "base_model": "clf", "out": "map.tif"})
