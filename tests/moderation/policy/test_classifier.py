"""The hostility classifier shipped with Phare (moderation/policy/classifier.py): its file and
card agree, its features are the ones it was trained on, and it only ever adds flags to what
the rules let through (docs/classifier.md)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zlib

from moderation.policy import PolicyConfig, screen_text
from moderation.policy.classifier import MODEL_DIR, MODEL_NAME, feature_ids, shipped_model
from moderation.policy.normalise import normalise
from moderation.policy.screening import MODEL_REASON

from .conftest import ADULTS_ROOM, MINORS_ROOM


def test_the_weights_are_the_ones_the_card_describes():
    card = json.loads((MODEL_DIR / f"{MODEL_NAME}.json").read_text())
    weights = (MODEL_DIR / f"{MODEL_NAME}.bin").read_bytes()
    assert card["version"] == f"{MODEL_NAME}-{hashlib.sha256(weights).hexdigest()[:12]}"
    assert shipped_model().version == card["version"] and shipped_model().threshold == card["threshold"]
    assert len(weights) <= 20 * 1024 * 1024
    # Every figure of the card was measured on a part no weight was fitted on.
    assert set(card["figures_on_held_out_parts"]) == {
        "hatecheck_fr_odd_templates", "mlma_fr_held_out", "davidson_en_held_out", "phare_scenarios_held_out"}


def test_features_are_crc32_buckets_of_words_bigrams_and_character_ngrams():
    # Training (training/train_classifier.py) imports this same function; pinning one text's
    # features catches a change that would make the weights mean something else.
    expected = set()
    for name in ("w:salut", "c: sa", "c:sal", "c:alu", "c:lut", "c:ut ", "c: sal", "c:salu", "c:alut",
                 "c:lut ", "c: salu", "c:salut", "c:alut "):
        expected.add(zlib.crc32(name.encode()) & ((1 << 18) - 1))
    assert feature_ids(normalise("salut")) == sorted(expected)


def test_what_the_rules_let_through_and_the_model_scores_high_is_flagged_not_refused():
    for context in (ADULTS_ROOM, MINORS_ROOM):
        verdict = screen_text("shut up hoe", snapshot=_seed(), context=context)
        assert verdict.decision == "flag" and MODEL_REASON in verdict.reasons


def test_the_model_never_changes_what_the_rules_refuse():
    assert screen_text("ta bite", snapshot=_seed(), context=MINORS_ROOM).decision == "block"


def test_ordinary_chat_is_left_alone():
    for text in ("salut ça va ?", "qui a fini l'exo 3 ?", "see you at practice", "bonne nuit les gars"):
        assert screen_text(text, snapshot=_seed(), context=MINORS_ROOM).decision == "allow", text


def test_operators_can_turn_it_off_or_move_its_threshold():
    off = dataclasses.replace(_seed(), config=PolicyConfig(model_enabled=False))
    assert MODEL_REASON not in screen_text("shut up hoe", snapshot=off, context=ADULTS_ROOM).reasons
    stricter = dataclasses.replace(_seed(), config=PolicyConfig(model_flag_threshold=0.9999))
    assert MODEL_REASON not in screen_text("that hoe is trash", snapshot=stricter, context=ADULTS_ROOM).reasons


def _seed():
    from moderation.policy import build_snapshot
    from moderation.seeds import load_seed_allow, load_seed_terms

    return build_snapshot(terms=load_seed_terms(), allow=load_seed_allow(), version="seed")
