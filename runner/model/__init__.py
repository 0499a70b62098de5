"""OmniSat model (ECCV 2024) re-implemented from docs/omnisat-model.md with our corrections (§12, §13)."""

from runner.model.config import MODALITIES, OmniSatConfig
from runner.model.omnisat import EncoderOutput, OmniSat, OmniSatClassifier, OmniSatPretrainer
from runner.model.tensors import to_tensors

__all__ = ["MODALITIES", "EncoderOutput", "OmniSat", "OmniSatClassifier", "OmniSatConfig", "OmniSatPretrainer",
           "to_tensors"]
