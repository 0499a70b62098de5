"""Model store: `home/models/<name>/{weights.safetensors, card.json, checksums.json}`.

Written to a temporary folder and renamed, so a model is either complete or absent; an existing model is
replaced only by a complete new one. Loading verifies sha256 checksums and never unpickles anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from runner.errors import InputError
from runner.specs import MODEL_NAME_RE
from runner.train.checkpoint import tensors_for_save

WEIGHTS, CARD, CHECKSUMS = "weights.safetensors", "card.json", "checksums.json"
SUMMARY_KEYS = ("name", "created", "kind", "size", "modalities", "bands", "grid", "classes", "metrics", "base_model",
                "runner_version")


def check_name(name: str) -> str:
    if not isinstance(name, str) or not MODEL_NAME_RE.match(name) or name in {".", ".."}:
        raise InputError(f"model name {name!r} is not valid (letters, digits, '.', '_', '-'; starts with a letter "
                         "or digit; at most 64 characters)")
    return name


def models_dir(home: Path) -> Path:
    return Path(home) / "models"


def model_dir(home: Path, name: str) -> Path:
    return models_dir(home) / check_name(name)


def check_can_write(home: Path, name: str, overwrite: bool = False) -> None:
    """Fail before training rather than after: the name must be valid and free (unless overwriting)."""
    if model_dir(home, name).exists() and not overwrite:
        raise InputError(f"model {name} already exists in {models_dir(home)}; choose another name or overwrite it")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_model(home: Path, name: str, state_dict: dict[str, torch.Tensor], card: dict[str, Any],
               overwrite: bool = False) -> Path:
    """Write weights + card + checksums atomically; returns the model folder."""
    check_can_write(home, name, overwrite)
    root = models_dir(home)
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{name}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        card = {**card, "name": name}
        save_file(tensors_for_save(state_dict), str(tmp / WEIGHTS), metadata={"format": "pt", "model": name})
        (tmp / CARD).write_text(json.dumps(card, indent=2, allow_nan=False))
        sums = {WEIGHTS: _sha256(tmp / WEIGHTS), CARD: _sha256(tmp / CARD)}
        (tmp / CHECKSUMS).write_text(json.dumps(sums, indent=2))
        for f in (WEIGHTS, CARD, CHECKSUMS):
            with open(tmp / f, "rb") as fh:
                os.fsync(fh.fileno())
        target = model_dir(home, name)
        old = None
        if target.exists():
            if not overwrite:
                raise InputError(f"model {name} already exists in {root}; choose another name or overwrite it")
            old = root / f".old-{name}-{uuid.uuid4().hex[:8]}"
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return target
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _existing(home: Path, name: str) -> Path:
    folder = model_dir(home, name)
    if not (folder / CARD).is_file():
        raise InputError(f"model {name} not found in {models_dir(home)}")
    return folder


def _read_card(folder: Path, name: str) -> dict[str, Any]:
    try:
        card = json.loads((folder / CARD).read_text())
    except (OSError, ValueError) as err:
        raise InputError(f"model {name}: {folder / CARD} is unreadable ({err})") from err
    if isinstance(card, dict) and "parent" in card:  # cards written before the field was named base_model
        card.setdefault("base_model", card.pop("parent"))
    return card


def get_card(home: Path, name: str) -> dict[str, Any]:
    return _read_card(_existing(home, name), name)


def load_model(home: Path, name: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(state_dict, card) after checking each file against its recorded sha256."""
    folder = _existing(home, name)
    try:
        sums = json.loads((folder / CHECKSUMS).read_text())
    except (OSError, ValueError) as err:
        raise InputError(f"model {name}: {folder / CHECKSUMS} is missing or unreadable ({err})") from err
    for fname in (WEIGHTS, CARD):
        path = folder / fname
        if not path.is_file():
            raise InputError(f"model {name}: file {path} is missing")
        if _sha256(path) != sums.get(fname):
            raise InputError(f"model {name}: file {path} is corrupt or truncated (sha256 does not match)")
    try:
        state = load_file(str(folder / WEIGHTS))
    except (SafetensorError, OSError, ValueError) as err:
        raise InputError(f"model {name}: file {folder / WEIGHTS} is not valid safetensors ({err})") from err
    return state, _read_card(folder, name)


def list_models(home: Path) -> list[dict[str, Any]]:
    """Card summaries of every complete model, sorted by name; unreadable cards are listed with an error."""
    root = models_dir(home)
    out: list[dict[str, Any]] = []
    if not root.is_dir():
        return out
    for folder in sorted(root.iterdir()):
        if folder.name.startswith(".") or not (folder / CARD).is_file():
            continue
        try:
            card = _read_card(folder, folder.name)
            out.append({k: card.get(k) for k in SUMMARY_KEYS} | {"name": folder.name})
        except InputError as err:
            out.append({"name": folder.name, "error": str(err)})
    return out


def delete_model(home: Path, name: str) -> None:
    folder = _existing(home, name)
    trash = models_dir(home) / f".deleted-{name}-{uuid.uuid4().hex[:8]}"
    os.replace(folder, trash)
    shutil.rmtree(trash, ignore_errors=True)
