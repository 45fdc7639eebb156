"""Try the gate under the current policies: JSON lines in, one verdict per line out.

    echo '{"text": "ajoute-moi sur snap"}' | manage.py screen --audience minors
    echo '{"messages": ["t'as quel âge ?", "ne dis rien à tes parents"]}' | manage.py screen --context dm
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand

from moderation import gate
from moderation.policy import ScreeningContext, Verdict, score_conversation


def verdict_line(verdict: Verdict) -> dict:
    line = {
        "decision": verdict.decision,
        "reasons": list(verdict.reasons),
        "categories": list(verdict.categories),
        "risk": round(float(verdict.risk), 4),
    }
    if verdict.observed:
        line["observed"] = list(verdict.observed)
    return line


class Command(BaseCommand):
    help = "Screen JSON lines from standard input with the gate and print one verdict per line."

    def add_arguments(self, parser):
        parser.add_argument("--audience", choices=["minors", "adults"], default="adults")
        parser.add_argument("--context", choices=["room", "dm_request", "dm", "pseudonym", "room_name"],
                            default="room")

    def handle(self, *args, audience: str, context: str, **options):
        accepted = context not in ("dm_request",)
        screening = ScreeningContext(audience=audience, context=context, conversation_accepted=accepted)
        for number, raw in enumerate(sys.stdin, start=1):
            if not raw.strip():
                continue
            self.stdout.write(json.dumps(self.screen_line(raw, screening, number), ensure_ascii=False))

    def screen_line(self, raw: str, screening: ScreeningContext, number: int) -> dict:
        try:
            item = json.loads(raw)
        except ValueError:
            return {"error": {"code": "bad_request", "message": f"line {number}: not JSON"}}
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            return verdict_line(gate.screen_message(
                text=item["text"], audience=screening.audience, context=screening.context,
                conversation_accepted=screening.conversation_accepted,
            ))
        messages = item.get("messages") if isinstance(item, dict) else None
        if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
            return verdict_line(score_conversation(messages, snapshot=gate.current_snapshot(), context=screening))
        return {"error": {"code": "bad_request",
                          "message": f'line {number}: expected {{"text": …}} or {{"messages": […]}}'}}
