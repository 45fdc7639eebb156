"""A compiled, immutable policy: built once per policy version, reused for every message."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from moderation.policy.config import PolicyConfig
from moderation.policy.normalise import key_form, normalise_term
from moderation.policy.terms import TermEntry, TermHit, TermMatcher, compile_terms

# Names are often written without spaces ("lyceennechaude"): for names, terms at least this long
# are also searched inside words (after collapsing repeated letters).
# Shorter ones would refuse "Sussex" for "sex" or "chateau" for "chatte".
_NAME_SUBSTRING_MIN = 6


@dataclass(frozen=True, slots=True)
class PolicySnapshot:
    version: str
    config: PolicyConfig
    terms: tuple[TermEntry, ...]
    allow: tuple[str, ...]
    matcher: TermMatcher
    # Name-policy terms without word boundaries, over the name with its spaces removed.
    name_matcher: ahocorasick.Automaton | None
    name_allow: tuple[str, ...]  # allow entries in that same space-less form

    def find_name_substrings(self, compact_key: str) -> list[TermHit]:
        if self.name_matcher is None or not compact_key:
            return []
        if any(allowed in compact_key for allowed in self.name_allow):
            # An operator allowed this name fragment ("essex"): trust the explicit decision.
            return []
        return [hit for _, hit in self.name_matcher.iter(compact_key)]


def build_snapshot(
    *,
    terms: Iterable[TermEntry],
    allow: Iterable[str] = (),
    config: PolicyConfig | None = None,
    version: str = "0",
) -> PolicySnapshot:
    """Compile term lists and allow list under ``config``.

    Raises ``ValueError`` for an invalid regex entry or more regex entries than
    ``config.max_regex_terms`` (regexes do not share the automaton's flat cost).
    """
    config = config or PolicyConfig()
    terms = tuple(terms)
    allow = tuple(allow)
    regex_count = sum(1 for t in terms if t.enabled and t.kind == "regex")
    if regex_count > config.max_regex_terms:
        raise ValueError(
            f"{regex_count} regex terms; at most {config.max_regex_terms} are allowed "
            "(use exact or wildcard entries, which cost nothing per extra term)"
        )
    matcher = compile_terms(terms, allow)
    name_automaton = ahocorasick.Automaton()
    name_keys = 0
    for entry in terms:
        if not entry.enabled or entry.kind == "regex":
            continue
        if entry.category not in config.name_block_categories:
            continue
        compact = key_form(normalise_term(entry.term.strip("*"))).replace(" ", "")
        if len(compact) >= _NAME_SUBSTRING_MIN:
            name_automaton.add_word(
                compact, TermHit(entry.category, entry.term, entry.observe_only)
            )
            name_keys += 1
    if name_keys:
        name_automaton.make_automaton()
    name_allow = tuple(
        compact
        for compact in (key_form(normalise_term(a)).replace(" ", "") for a in allow)
        if compact
    )
    return PolicySnapshot(
        version=version,
        config=config,
        terms=terms,
        allow=allow,
        matcher=matcher,
        name_matcher=name_automaton if name_keys else None,
        name_allow=name_allow,
    )
