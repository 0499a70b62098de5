"""The four operations a job can be: pretrain, finetune, classify, and selftest (a small synthetic finetune +
classify that checks an installation end to end).

Each is `run_<kind>(spec, ctx) -> result dict`, glue between the geodata pipeline (runner.geo), the model and its
training (runner.model, runner.train) and the model store (runner.model_store). The API worker and the CLI both
call `run_operation`.
"""

from __future__ import annotations

from typing import Any

from runner.jobs.context import JobContext
from runner.specs import parse_spec


def run_operation(kind: str, spec: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    parsed = parse_spec(kind, spec)
    if kind == "pretrain":
        from runner.ops.pretrain import run_pretrain

        return run_pretrain(parsed, ctx)  # type: ignore[arg-type]
    if kind == "finetune":
        from runner.ops.finetune import run_finetune

        return run_finetune(parsed, ctx)  # type: ignore[arg-type]
    if kind == "selftest":
        from runner.ops.selftest import run_selftest

        return run_selftest(ctx)
    from runner.ops.classify import run_classify

    return run_classify(parsed, ctx)  # type: ignore[arg-type]
