"""S2 without its posting work: a diagnostic for the fan-out benchmark, not a system to run.

Phare's own server (`config.asgi`: sessions, admission, frame parsing and limits, membership,
the room-post batcher, the layer, direct delivery, acks) with one thing taken out: what a
batch of room posts does once the batcher hands it over (`chat.posting`) — the rate-limit
buckets in Redis, the safety gate, the INSERT, flags and metrics. Here a batch only builds
each post's event and answer, on the event loop, and hands the events to the layer as
the posting pipeline does after its INSERT. Nothing is screened or stored, so nothing is
refused: the generator runs it without a policy (`bench/fanout.py`, `--systems S2-nopost`).

Measured beside S1 and S2 in one run, it splits S2's cost in two: what Phare's connection
handling and delivery cost (S2-nopost against S1), and what the posting work costs (S2
against S2-nopost). docs/benchmarks.md gives the figures.
"""

from __future__ import annotations

import itertools
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.utils import timezone

from accounts.representations import iso, public_user
from chat import posting, services
from chat.realtime import events
from config.asgi import application  # noqa: F401  (what uvicorn serves)

_ids = itertools.count(1)


async def _events_only(posts: list[services.Post]) -> list[services.PostResult]:
    now = iso(timezone.now())
    results, deliveries = [], []
    for post in posts:
        payload = {"id": str(next(_ids)), "author": public_user(post.author), "body": post.body, "created_at": now}
        room = post.target.room
        deliveries.append((room.pk, {"type": "room.message", "room": room.slug, "message": payload},
                           post.author.pk))
        results.append(services.PostResult(message=payload, status="delivered"))
    events.send_many_to_rooms_now(deliveries)  # as the event-loop path does after its INSERT
    return results


def _room_posts_without_posting_work() -> posting.RoomPostBatcher:
    import asyncio

    loop = asyncio.get_running_loop()
    found = posting._batchers.get(loop)
    if found is None:
        found = posting._batchers[loop] = posting.RoomPostBatcher(
            max_batch=posting.MAX_BATCH, run=_events_only)
    return found


posting.room_posts = _room_posts_without_posting_work
