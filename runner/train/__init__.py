"""Training and inference machinery: loops, checkpoints, predictor (the model store is runner/model_store.py)."""

from runner.train.finetune import finetune
from runner.train.options import TrainOptions, TrainResult
from runner.train.predict import Predictor
from runner.train.pretrain import pretrain

__all__ = ["Predictor", "TrainOptions", "TrainResult", "finetune", "pretrain"]
