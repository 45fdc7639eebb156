"""The hostility classifier that ships with Phare: a linear model over hashed features.

Rules decide what is refused; this model only notices what the rules did not: a message it
scores at or above the policy's `model_threshold` gets the reason `likely_hostile`, which holds
it in minors' spaces and flags it elsewhere (screening.py). It is trained by
`training/train_classifier.py` (scikit-learn, fixed seed, data card in docs/classifier.md) on
French and English sets whose licences allow it; running it needs nothing but this module and
the weights file: no numpy, no network, one pass over the message's features.

Features, computed here for training and for screening alike (the two must never differ):
the words of the normalised text (`NormalisedText.words`: lower case, accents folded, leet
undone), their bigrams, and the character 3- to 5-grams of the padded text, each hashed with
CRC-32 into 2**18 buckets, present or not, scaled by 1/sqrt(count) (L2 norm of a binary vector).
"""

from __future__ import annotations

import json
import math
import zlib
from array import array
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from moderation.policy.normalise import NormalisedText

DIMENSION_BITS = 18
DIMENSION = 1 << DIMENSION_BITS
_MASK = DIMENSION - 1
CHAR_NGRAMS = (3, 4, 5)
MODEL_DIR = Path(__file__).resolve().parent / "models"
MODEL_NAME = "hostility"


# CRC-32 continues from a prefix's CRC (crc32(b"c:" + x) == crc32(x, crc32(b"c:"))), so the
# n-grams are hashed as slices of one buffer, never copied into strings of their own.
_WORD = zlib.crc32(b"w:")
_BIGRAM = zlib.crc32(b"b:")
_CHARS = zlib.crc32(b"c:")


def feature_ids(text: NormalisedText) -> list[int]:
    """The hashed features of a text (over its UTF-8 bytes), sorted, without repeats."""
    crc32 = zlib.crc32
    encoded = text.words.encode("utf-8")
    data = memoryview(encoded)
    tokens = encoded.split()
    ids = {crc32(token, _WORD) & _MASK for token in tokens}
    ids.update(crc32(b" " + second, crc32(first, _BIGRAM)) & _MASK for first, second in zip(tokens, tokens[1:]))
    length = len(data)
    for size in CHAR_NGRAMS:
        ids.update(crc32(data[i:i + size], _CHARS) & _MASK for i in range(length - size + 1))
    return sorted(ids)


@dataclass(frozen=True)
class HostilityModel:
    weights: array  # float32, DIMENSION of them
    bias: float
    version: str
    # The calibrated score from which a message is flagged (the card's `threshold`).
    threshold: float

    def score(self, text: NormalisedText) -> float:
        """Probability-like score in [0, 1] that the text is hostile (insult, threat, hate)."""
        ids = feature_ids(text)
        if not ids:
            return 0.0
        total = sum(map(self.weights.__getitem__, ids)) / math.sqrt(len(ids))
        return 1.0 / (1.0 + math.exp(-(self.bias + total)))


def load_model(directory: Path = MODEL_DIR, name: str = MODEL_NAME) -> HostilityModel:
    """The weights (`name.bin`, little-endian float32) and their card (`name.json`)."""
    card = json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))
    if card["dimension_bits"] != DIMENSION_BITS or card["char_ngrams"] != list(CHAR_NGRAMS):
        raise ValueError(f"{name}: trained with other features than this module computes")
    weights = array("f")
    weights.frombytes((directory / f"{name}.bin").read_bytes())
    if len(weights) != DIMENSION:
        raise ValueError(f"{name}: {len(weights)} weights, expected {DIMENSION}")
    return HostilityModel(weights=weights, bias=float(card["bias"]), version=str(card["version"]),
                          threshold=float(card["threshold"]))


@lru_cache(maxsize=1)
def shipped_model() -> HostilityModel:
    return load_model()
