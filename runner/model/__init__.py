"""OmniSat model (ECCV 2024) as described in docs/model.md, with our corrections (§12, §13 there).

"quirk N" and "§N" in this package's comments refer to docs/model.md. One file per part: config (sizes),
vhr_encoder (CNN + index-bypass decoder), ltae (masked temporal attention) and ltae_inference (its inference
formulation), relpos (patch-coordinate buckets), combiner (self + cross attention), decoders, losses, heads, fuse
(inference-only folding and fusion of layers), omnisat (the encoder, the pretrainer, the classifier), tensors
(numpy Batch → tensors).

Where we depart from the reference, on purpose:
- relative positions from each token's patch (row, col), same across modalities (quirk 1);
- pad/cloud masks in the LTAE; a patch with no valid date has no token and is no key (quirk 2);
- date selection considers the last valid date (quirk 3); explicit reshapes, B = 1 works (quirk 4);
- cross-attention drop-path is a config value (quirk 7); contrastive loss from block masks with a token
  budget (quirk 9); modality dropout by key masks; S2 targets normalised per patch and band group (§13);
- per-patch head on f*_p, and `cross_residual`: each query adds its patch's own tokens around the
  cross-attention (off = reference behaviour), without which per-patch maps learn far more slowly;
- date encoding day of year (default) or days since the first date (`date_encoding`).
"""

from runner.model.config import MODALITIES, OmniSatConfig
from runner.model.omnisat import EncoderOutput, OmniSat, OmniSatClassifier, OmniSatPretrainer
from runner.model.tensors import to_tensors

__all__ = ["MODALITIES", "EncoderOutput", "OmniSat", "OmniSatClassifier", "OmniSatConfig", "OmniSatPretrainer",
           "to_tensors"]
