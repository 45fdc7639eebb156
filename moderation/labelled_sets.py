"""The gate measured on labelled sets: `manage.py evaluate_screening` (docs/screening.md).

- Multilingual HateCheck, French dev part (``mhc-fr-dev.csv``): hateful / non-hateful, per
  functionality (obfuscated spellings, profanity that is not hate, counter-speech, …).
- MLMA French tweets (``mlma-fr.csv``): hostility labels (offensive, abusive, hateful, …).
- Phare's own labelled conversations (``bench/data/conversations.py``): grooming vs benign.

The two public sets are in ``training/data`` (sources and licences in
``training/data/NOTICE.md``; the command's ``--data`` points elsewhere). The shipped classifier was
fitted on parts of them (docs/classifier.md): these figures are of the whole gate on the whole
sets, the classifier's held-out figures are in its card.
"""

from __future__ import annotations

import csv
import importlib.util
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from moderation.policy import (
    ConversationFeatures,
    ScreeningContext,
    build_snapshot,
    score_conversation,
    screen_text,
)
from moderation.seeds import load_seed_allow, load_seed_terms

REPO = Path(settings.BASE_DIR)
SECTION = "screening-eval"

ADULTS_ROOM = ScreeningContext(audience="adults", context="room")
HOSTILE_CATEGORIES = {"hate", "harassment"}


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, *, truth: bool, predicted: bool) -> None:
        if truth and predicted:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif truth:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    def precision(self) -> str:
        return f"{self.tp / (self.tp + self.fp):.2f}" if self.tp + self.fp else "–"

    def recall(self) -> str:
        return f"{self.tp / (self.tp + self.fn):.2f}" if self.tp + self.fn else "–"

    def f1(self) -> str:
        if not self.tp:
            return "0.00" if self.tp + self.fp + self.fn else "–"
        p, r = self.tp / (self.tp + self.fp), self.tp / (self.tp + self.fn)
        return f"{2 * p * r / (p + r):.2f}"


DATA_DIR = REPO / "training" / "data"


def check_data(found: Path) -> Path:
    if not (found / "mhc-fr-dev.csv").is_file() or not (found / "mlma-fr.csv").is_file():
        raise FileNotFoundError(f"{found}: mhc-fr-dev.csv and mlma-fr.csv are needed there")
    return found


def categories_of(text: str, snapshot) -> set[str]:
    return set(screen_text(text, snapshot=snapshot, context=ADULTS_ROOM).categories)


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def hatecheck(snapshot, rows: list[dict[str, str]]) -> list[str]:
    hate_only, hostile = Counts(), Counts()
    per_functionality: dict[str, Counts] = defaultdict(Counts)
    for row in rows:
        truth = row["label_gold"] == "hateful"
        found = categories_of(row["test_case"], snapshot)
        hate_only.add(truth=truth, predicted="hate" in found)
        predicted = bool(found & HOSTILE_CATEGORIES)
        hostile.add(truth=truth, predicted=predicted)
        per_functionality[row["functionality"]].add(truth=truth, predicted=predicted)
    out = [
        "### Multilingual HateCheck, French (dev part)",
        "",
        f"{len(rows)} test cases, screened as messages in an adults' room. A case counts as "
        "detected when the verdict carries the category named.",
        "",
        "| detected as | precision | recall | F1 |",
        "|---|---:|---:|---:|",
        f"| `hate` | {hate_only.precision()} | {hate_only.recall()} | {hate_only.f1()} |",
        f"| `hate` or `harassment` | {hostile.precision()} | {hostile.recall()} | {hostile.f1()} |",
        "",
        "Per functionality (`hate` or `harassment`): for hateful functionalities (`_h`) the share "
        "caught (recall); for non-hateful ones (`_nh`) the share wrongly caught (false-positive "
        "rate).",
        "",
        "| functionality | cases | caught (`_h`: recall) / wrongly caught (`_nh`: FPR) |",
        "|---|---:|---:|",
    ]
    for name in sorted(per_functionality):
        counts = per_functionality[name]
        if name.endswith("_nh"):
            rate = counts.fp / counts.n
        else:
            rate = counts.tp / counts.n
        out.append(f"| `{name}` | {counts.n} | {rate:.2f} |")
    return out


def mlma(snapshot, rows: list[dict[str, str]]) -> list[str]:
    per_label: dict[str, Counts] = defaultdict(Counts)
    hostile_vs_normal = Counts()
    hateful = Counts()
    for row in rows:
        labels = set(row["sentiment"].split("_"))
        found = categories_of(row["tweet"], snapshot)
        predicted = bool(found & (HOSTILE_CATEGORIES | {"profanity"}))
        hostile_truth = labels != {"normal"}
        hostile_vs_normal.add(truth=hostile_truth, predicted=predicted)
        hateful.add(truth="hateful" in labels, predicted="hate" in found)
        for label in labels:
            per_label[label].add(truth=True, predicted=predicted)
    out = [
        "### MLMA, French tweets",
        "",
        f'{len(rows)} tweets. "Hostile" = any label other than `normal` alone; detected = '
        "the verdict carries `hate`, `harassment` or `profanity`. MLMA has no non-hostile "
        "counterpart for most tweets (81% carry a hostile label), so precision here mostly "
        "measures agreement with annotators on what is hostile.",
        "",
        "| task | precision | recall | F1 |",
        "|---|---:|---:|---:|",
        f"| hostile vs normal | {hostile_vs_normal.precision()} | {hostile_vs_normal.recall()} | "
        f"{hostile_vs_normal.f1()} |",
        f"| `hateful` label vs `hate` category | {hateful.precision()} | {hateful.recall()} | "
        f"{hateful.f1()} |",
        "",
        "| sentiment label (a tweet may carry several) | tweets | share detected |",
        "|---|---:|---:|",
    ]
    for label in sorted(per_label, key=lambda name: -per_label[name].n):
        counts = per_label[label]
        out.append(f"| `{label}` | {counts.n} | {counts.tp / counts.n:.2f} |")
    return out


def conversations(snapshot, items: list[dict], title: str) -> list[str]:
    at_hold, at_flag = Counts(), Counts()
    per_lang: dict[str, Counts] = defaultdict(Counts)
    misses: list[str] = []
    false_alarms: list[str] = []
    for item in items:
        context = ScreeningContext(audience=item.get("audience", "minors"), context="dm")
        verdict = score_conversation(
            item["messages"],
            snapshot=snapshot,
            context=context,
            features=ConversationFeatures(**item["features"]),
        )
        truth = item["label"] == "grooming"
        held = verdict.decision in ("hold", "escalate")
        at_hold.add(truth=truth, predicted=held)
        at_flag.add(truth=truth, predicted=verdict.decision != "allow")
        per_lang[item["lang"]].add(truth=truth, predicted=held)
        if truth and not held:
            misses.append(f"`{item['id']}` (risk {verdict.risk:.2f})")
        if not truth and verdict.decision != "allow":
            false_alarms.append(f"`{item['id']}` ({verdict.decision}, risk {verdict.risk:.2f})")
    grooming = sum(1 for c in items if c["label"] == "grooming")
    out = [
        f"### {title}",
        "",
        f"{len(items)} conversations ({grooming} grooming, "
        f"{len(items) - grooming} benign that look risky), French and English, in "
        "`bench/data/conversations.py`, scored with `score_conversation` and their features.",
        "",
        "| decision counted as positive | precision | recall | F1 |",
        "|---|---:|---:|---:|",
        f"| hold or escalate (risk ≥ `grooming_threshold`) | {at_hold.precision()} | "
        f"{at_hold.recall()} | {at_hold.f1()} |",
        f"| flag, hold or escalate (risk ≥ `grooming_flag_threshold`) | {at_flag.precision()} | "
        f"{at_flag.recall()} | {at_flag.f1()} |",
    ]
    for lang in sorted(per_lang):
        counts = per_lang[lang]
        out.append(
            f"| hold or escalate, `{lang}` only | {counts.precision()} | {counts.recall()} | "
            f"{counts.f1()} |"
        )
    out += [
        "",
        f"Grooming conversations not held: {', '.join(misses) or 'none'}. "
        f"Benign conversations flagged or held: {', '.join(false_alarms) or 'none'}.",
    ]
    return out


def labelled_conversations() -> tuple[list[dict], list[dict]]:
    """Sets A and B of bench/data/conversations.py (kept there: the benchmarks read them too)."""
    spec = importlib.util.spec_from_file_location("phare_conversations", REPO / "bench" / "data" / "conversations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CONVERSATIONS, module.CONVERSATIONS_B


def timing(snapshot, texts: list[str]) -> list[str]:
    """Time per message of the whole gate (`screen_text`) over the labelled texts."""
    spent = []
    for text in texts:
        started = time.perf_counter()
        screen_text(text, snapshot=snapshot, context=ADULTS_ROOM)
        spent.append(time.perf_counter() - started)
    spent.sort()
    return [
        "### Time per message",
        "",
        f"`screen_text` over the {len(texts)} labelled texts above, in this process: median "
        f"{statistics.median(spent) * 1e6:.0f} µs, p99 {spent[int(len(spent) * 0.99)] * 1e6:.0f} µs "
        "(docs/benchmarks.md times it on chat lines, with 10 and 10,000 terms).",
    ]


def report(data: Path = DATA_DIR) -> str:
    """The section of docs/screening.md, as markdown, from the sets in `data`."""
    data = check_data(data)
    snapshot = build_snapshot(terms=load_seed_terms(), allow=load_seed_allow(), version="seed")
    set_a, set_b = labelled_conversations()
    hatecheck_rows, mlma_rows = read_rows(data / "mhc-fr-dev.csv"), read_rows(data / "mlma-fr.csv")
    texts = [row["test_case"] for row in hatecheck_rows] + [row["tweet"] for row in mlma_rows]
    sections = [
        f"Measured by `manage.py evaluate_screening` with the seed lists and default `PolicyConfig` "
        f"on {time.strftime('%Y-%m-%d', time.gmtime())}. The shipped classifier is part of the gate "
        f"measured here and was fitted on parts of these two sets, which flatters these figures: "
        f"its own figures on the parts it never saw are in docs/classifier.md, and the "
        f"group-hostility detector's on the HateCheck templates it was not written on are under "
        f"Known limits. The scenario suite's figures are in docs/safety.md (`manage.py safety_eval`).",
        "",
        *hatecheck(snapshot, hatecheck_rows),
        "",
        *mlma(snapshot, mlma_rows),
        "",
        *conversations(snapshot, set_a, "Phare's labelled conversations, set A (written with the detectors)"),
        "",
        *conversations(snapshot, set_b, "Phare's labelled conversations, set B (written after the first "
                                        "measurement; nothing changed after scoring it)"),
        "",
        *timing(snapshot, texts),
    ]
    return "\n".join(sections)
