"""Resumable training checkpoints without pickle: safetensors for tensors, JSON for everything else.

Layout: `<ckpt_dir>/epoch-<n>/{model,optim,best}.safetensors + state.json` and `<ckpt_dir>/latest` naming the
folder. A checkpoint folder is written under a temporary name and renamed, then `latest` is replaced
atomically, so an interruption at any moment leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from runner.errors import InputError


def tensors_for_save(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """CPU, contiguous, unshared copies (safetensors refuses shared storage, e.g. a shared GroupNorm)."""
    return {k: v.detach().to("cpu").contiguous().clone() for k, v in state.items()}


def flatten_optimizer(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    sd = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for idx, st in sd["state"].items():
        for key, val in st.items():
            if isinstance(val, torch.Tensor):
                tensors[f"{idx}.{key}"] = val
            else:
                scalars.setdefault(str(idx), {})[key] = val
    return tensors_for_save(tensors), {"param_groups": sd["param_groups"], "scalars": scalars}


def unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for name, val in tensors.items():
        idx, key = name.split(".", 1)
        state.setdefault(int(idx), {})[key] = val
    for idx, extra in meta.get("scalars", {}).items():
        state.setdefault(int(idx), {}).update(extra)
    # JSON turned tuples (betas) into lists; restore them so the optimizer state is identical
    groups = [{k: tuple(v) if isinstance(v, list) and k != "params" else v for k, v in g.items()}
              for g in meta["param_groups"]]
    return {"state": state, "param_groups": groups}


def rng_state() -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"cuda{i}"] = s
    name, keys, pos, has_gauss, cached = np.random.get_state()
    py = random.getstate()
    meta = {"numpy": [name, keys.tolist(), int(pos), int(has_gauss), float(cached)],
            "python": [py[0], list(py[1]), py[2]]}
    return tensors, meta


def set_rng_state(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    torch.set_rng_state(tensors["torch"])
    cuda = [tensors[k] for k in sorted(k for k in tensors if k.startswith("cuda"))]
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)
    name, keys, pos, has_gauss, cached = meta["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    version, internal, gauss = meta["python"]
    random.setstate((version, tuple(internal), gauss))


def save_checkpoint(ckpt_dir: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    state: dict[str, Any], best_state: dict[str, torch.Tensor] | None) -> Path:
    """Write one complete checkpoint, point `latest` at it, then remove older ones."""
    ckpt_dir = Path(ckpt_dir)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    final = ckpt_dir / f"epoch-{state['epoch']}"
    tmp = ckpt_dir / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    save_file(tensors_for_save(model.state_dict()), str(tmp / "model.safetensors"))
    opt_tensors, opt_meta = flatten_optimizer(optimizer)
    save_file(opt_tensors, str(tmp / "optim.safetensors"))
    if best_state is not None:
        save_file(tensors_for_save(best_state), str(tmp / "best.safetensors"))
    rng_tensors, rng_meta = rng_state()
    save_file(tensors_for_save(rng_tensors), str(tmp / "rng.safetensors"))
    (tmp / "state.json").write_text(json.dumps({"state": state, "optimizer": opt_meta, "rng": rng_meta}))
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    pointer = ckpt_dir / f".latest-{uuid.uuid4().hex}"
    pointer.write_text(final.name)
    os.replace(pointer, ckpt_dir / "latest")
    for old in ckpt_dir.iterdir():
        if old.is_dir() and old.name != final.name:
            shutil.rmtree(old, ignore_errors=True)
    return final


def load_checkpoint(ckpt_dir: Path) -> dict[str, Any] | None:
    """The latest complete checkpoint as {model, optimizer, state, best, rng_tensors, rng_meta}, or None."""
    ckpt_dir = Path(ckpt_dir)
    latest = ckpt_dir / "latest"
    if not latest.is_file():
        return None
    folder = ckpt_dir / latest.read_text().strip()
    try:
        meta = json.loads((folder / "state.json").read_text())
        best = load_file(str(folder / "best.safetensors")) if (folder / "best.safetensors").exists() else None
        return {"model": load_file(str(folder / "model.safetensors")),
                "optimizer": unflatten_optimizer(load_file(str(folder / "optim.safetensors")), meta["optimizer"]),
                "state": meta["state"], "best": best, "rng_tensors": load_file(str(folder / "rng.safetensors")),
                "rng_meta": meta["rng"]}
    except (OSError, ValueError, KeyError) as err:
        raise InputError(f"training checkpoint {folder} is unreadable ({err}); delete it to start over") from err
