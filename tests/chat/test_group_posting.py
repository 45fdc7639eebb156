"""Group commit for room messages (chat.posting, the pipeline chat.services.post): posts
that arrive together share their trips, and each is judged exactly as if it were alone."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from django.utils import timezone

from accounts import throttling
from core.errors import PhareError
from accounts.models import RateLimitRule
from chat import posting
from chat import services as chat_services
from chat.models import Message
from chat.realtime import threads
from chat.representations import message_repr
from chat.services import Post, PostResult, RoomTarget
from moderation import gate
from tests.chat.loop_database import event_loop_path  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["thread", "loop"])
def post_batch(request):
    """The pipeline as the calling thread runs it (`post_messages`), and as the event loop runs it
    (`posting.post_on_loop`; without PostgreSQL, tests/chat/loop_database.py):
    the same answers either way."""
    if request.param == "thread":
        return chat_services.post_messages
    request.getfixturevalue("event_loop_path")
    return lambda posts: asyncio.run(posting.post_on_loop(posts))


async def post_through(batcher: posting.RoomPostBatcher, post: Post) -> PostResult:
    """A post through the batcher as the consumer hands it over: its result, or its refusal raised."""
    return batcher.outcome(await batcher.submit(post))


def room_post(*, author, room, body: str, language: str | None = None) -> Post:
    return Post(author=author, body=body, target=RoomTarget(room), language=language)


def gate_decides(monkeypatch, decision: str, reasons: tuple[str, ...] = ("harassment",)) -> None:
    """From now on the gate answers `decision` for every message (its other fields as usual)."""
    import dataclasses

    real_screen = gate.screen_message
    monkeypatch.setattr(gate, "screen_message", lambda **kw: dataclasses.replace(
        real_screen(**kw), decision=decision, reasons=reasons))


def set_rate(name: str, limit: int, period: int) -> None:
    RateLimitRule.objects.update_or_create(name=name, defaults={"limit": limit, "period_seconds": period})
    throttling.bump_policy_version()


def test_each_post_of_a_batch_gets_its_own_outcome_in_order(make_user, adults_room, minors_room, post_batch):
    adult, teen = make_user(), make_user("13-15")
    outcomes = post_batch([
        room_post(author=adult, room=adults_room, body="bonjour à tous"),
        room_post(author=adult, room=adults_room, body="x" * (adults_room.max_message_length + 1)),
        room_post(author=teen, room=minors_room, body="appelle moi au 06 12 34 56 78"),
        room_post(author=teen, room=minors_room, body="   "),
        room_post(author=adult, room=adults_room, body="et bonne soirée"),
    ])
    assert [type(o).__name__ for o in outcomes] == [
        "PostResult", "PhareError", "PhareError", "PhareError", "PostResult"]
    assert [o.code for o in outcomes if isinstance(o, PhareError)] == [
        "too_large", "blocked_by_policy", "bad_request"]
    first, last = outcomes[0], outcomes[4]
    assert first.status == last.status == "delivered"
    assert int(first.message["id"]) < int(last.message["id"])
    stored = list(Message.objects.order_by("pk").values_list("body", "room_id", "conversation_id", "status"))
    assert stored == [("bonjour à tous", adults_room.pk, None, "visible"),
                      ("et bonne soirée", adults_room.pk, None, "visible")]
    assert first.message["author"]["pseudonym"] == adult.pseudonym
    assert first.message["created_at"] == last.message["created_at"]  # one transaction


def test_a_room_bucket_counts_every_post_of_a_batch(make_user, adults_room, post_batch):
    set_rate("room_message_room", 2, 600)
    authors = [make_user() for _ in range(3)]
    outcomes = post_batch(
        [room_post(author=a, room=adults_room, body=f"salut {i}") for i, a in enumerate(authors)])
    assert [isinstance(o, PostResult) for o in outcomes] == [True, True, False]
    assert outcomes[2].code == "rate_limited"
    assert outcomes[2].extra["reason"] == "room_message_room"
    assert outcomes[2].retry_after >= 1
    assert Message.objects.count() == 2


def test_a_post_refused_by_its_author_bucket_takes_nothing_from_the_room(make_user, adults_room, post_batch):
    set_rate("room_message_account", 1, 600)
    set_rate("room_message_room", 2, 600)
    talker, other = make_user(), make_user()
    outcomes = post_batch([
        room_post(author=talker, room=adults_room, body="un"),
        room_post(author=talker, room=adults_room, body="deux"),  # over the author's limit
        room_post(author=other, room=adults_room, body="trois"),  # the room still has a token
    ])
    assert [getattr(o, "code", "ok") for o in outcomes] == ["ok", "rate_limited", "ok"]
    assert outcomes[1].extra["reason"] == "room_message_account"


def test_explanations_are_in_each_senders_language(make_user, minors_room, post_batch):
    teens = [make_user("16-17"), make_user("16-17")]
    outcomes = post_batch([
        room_post(author=teens[0], room=minors_room, body="mon snap c'est lea_2010", language="fr"),
        room_post(author=teens[1], room=minors_room, body="mon snap c'est lea_2010", language="en"),
    ])
    assert all(o.code == "blocked_by_policy" for o in outcomes)
    reason = outcomes[0].extra["reasons"][0]
    assert outcomes[0].message == gate.explain(reason, "fr")
    assert outcomes[1].message == gate.explain(reason, "en")
    assert outcomes[0].message != outcomes[1].message


def test_a_muted_author_is_refused_without_stopping_the_others(make_user, adults_room, post_batch):
    muted, fine = make_user(), make_user()
    muted.muted_until = timezone.now() + dt.timedelta(minutes=10)
    muted.save(update_fields=["muted_until"])
    outcomes = post_batch([
        room_post(author=muted, room=adults_room, body="je parle quand même"),
        room_post(author=fine, room=adults_room, body="moi aussi"),
    ])
    assert outcomes[0].code == "muted" and isinstance(outcomes[1], PostResult)


# --- The batcher (no database: a stand-in for the service) -------------------------------------

@pytest.mark.django_db(transaction=False)
def test_posts_that_arrive_while_a_batch_is_stored_form_the_next_batch():
    async def scenario():
        release = asyncio.Event()
        sizes: list[int] = []

        async def run(posts):
            sizes.append(len(posts))
            await release.wait()
            return [PostResult(message={"body": p.body}, status="delivered") for p in posts]

        batcher = posting.RoomPostBatcher(max_batch=3, run=run)
        first = asyncio.ensure_future(post_through(batcher, room_post(author=None, room=None, body="0")))
        await asyncio.sleep(0)
        later = [asyncio.ensure_future(post_through(batcher, room_post(author=None, room=None, body=str(i))))
                 for i in range(1, 6)]
        await asyncio.sleep(0)
        assert sizes == [1]  # the first went alone, at once
        release.set()
        results = await asyncio.gather(first, *later)
        assert [r.message["body"] for r in results] == ["0", "1", "2", "3", "4", "5"]
        assert sizes == [1, 3, 2]  # the rest in batches of at most max_batch
        assert not batcher.busy

    asyncio.run(scenario())


@pytest.mark.django_db(transaction=False)
def test_a_refusal_goes_to_its_sender_and_a_failure_to_every_sender_of_the_batch():
    async def scenario():
        calls = 0

        async def run(posts):
            nonlocal calls
            calls += 1
            if calls == 1:
                return [PhareError("rate_limited", retry_after=3) if p.body == "no" else
                        PostResult(message={}, status="delivered") for p in posts]
            raise RuntimeError("database down")

        batcher = posting.RoomPostBatcher(max_batch=10, run=run)
        ok, no = await asyncio.gather(
            post_through(batcher, room_post(author=None, room=None, body="ok")),
            post_through(batcher, room_post(author=None, room=None, body="no")), return_exceptions=True)
        assert isinstance(ok, PostResult)
        assert isinstance(no, PhareError) and no.code == "rate_limited"
        failed = await asyncio.gather(*(post_through(batcher, room_post(author=None, room=None, body=str(i)))
                                        for i in range(3)), return_exceptions=True)
        assert all(isinstance(f, RuntimeError) for f in failed)

    asyncio.run(scenario())


@pytest.fixture
def counted_pings(monkeypatch):
    """The default connection with health checks on, counting its pings (`is_usable`)."""
    from django.db import connection

    connection.ensure_connection()
    monkeypatch.setattr(connection, "health_check_enabled", True)
    monkeypatch.setattr(connection, "close_at", None)  # persistent, as in production (CONN_MAX_AGE)
    pings: list[bool] = []
    answers = iter(())

    def is_usable() -> bool:
        pings.append(True)
        return next(answers, True)

    monkeypatch.setattr(connection, "is_usable", is_usable)

    def set_answers(*values: bool) -> None:
        nonlocal answers
        answers = iter(values)

    return connection, pings, set_answers


def test_posting_threads_ping_a_connection_only_once_it_has_sat_idle(counted_pings):
    connection, pings, _ = counted_pings
    threads._mark_healthy()
    threads._recycle_connections()
    Message.objects.count()
    assert pings == []  # it answered a moment ago: no SELECT 1 before this batch

    connection.phare_used_at -= threads.HEALTH_CHECK_GRACE_SECONDS + 1
    threads._recycle_connections()
    Message.objects.count()
    assert pings == [True]  # idle past the grace: pinged first, as Django does


def test_posting_threads_replace_a_connection_that_had_errors(counted_pings):
    connection, pings, set_answers = counted_pings
    if connection.vendor != "postgresql":
        pytest.skip("Django never closes the in-memory SQLite database of `make test-fast`")
    threads._mark_healthy()
    connection.errors_occurred = True
    set_answers(False)  # the database went away
    threads._recycle_connections()
    assert pings == [True]
    assert connection.connection is None  # closed: the next query opens a new one
    assert Message.objects.count() >= 0


def test_a_batch_opens_a_transaction_only_when_it_writes_more_than_its_messages(
        make_user, adults_room, monkeypatch):
    """The usual batch is one INSERT in autocommit (one round trip); a batch with a flag
    writes the messages and the flag together, in one transaction."""
    from django.db import connection

    from moderation.models import Flag

    seen: list[bool] = []
    insert_all = Message.objects.insert_all
    monkeypatch.setattr(Message.objects, "insert_all",
                        lambda messages: (seen.append(connection.in_atomic_block), insert_all(messages)))
    adult = make_user()

    chat_services.post_messages([room_post(author=adult, room=adults_room, body="bonjour à tous")])
    gate_decides(monkeypatch, "flag")
    outcomes = chat_services.post_messages([room_post(author=adult, room=adults_room, body="un message signalé")])

    assert seen == [False, True]
    assert outcomes[0].status == "delivered"
    assert Flag.objects.filter(subject_id_snapshot=adult.pk, text="un message signalé").count() == 1
    assert Message.objects.filter(author=adult).count() == 2


def test_stored_bodies_and_times_come_back_exactly_as_posted(make_user, adults_room, post_batch):
    """The batch INSERT sends its rows as one JSON document: quotes, backslashes, JSON and
    SQL syntax, characters outside the BMP and the microseconds survive the trip, and the
    ids come back in the order of the posts."""
    adult = make_user()
    bodies = ['il a dit "non" \\ puis \'oui\'', '{"a": [1, null]} ); DROP TABLE x; --',
              "émoji 🦊 et 𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "tab\tet\nretour", "\\u0041 n'est pas A"]
    outcomes = post_batch(
        [room_post(author=adult, room=adults_room, body=body) for body in bodies])
    ids = [int(outcome.message["id"]) for outcome in outcomes]
    assert ids == sorted(ids)
    stored = {m.pk: m for m in Message.objects.filter(pk__in=ids)}
    assert [stored[i].body for i in ids] == bodies
    posted_at = dt.datetime.fromisoformat(outcomes[0].message["created_at"])
    assert all(stored[i].created_at == posted_at for i in ids)
    assert [stored[i].author_id for i in ids] == [adult.pk] * len(bodies)
    assert {(m.room_id, m.conversation_id, m.status, m.image_id) for m in stored.values()} == {
        (adults_room.pk, None, Message.Status.VISIBLE, None)}
    # Each answer is what the message looks like when read back (the event-loop path builds
    # it without a model instance).
    assert [outcome.message for outcome in outcomes] == [message_repr(stored[i]) for i in ids]


def test_a_room_row_names_every_column_of_a_message_but_its_id():
    """json_populate_recordset leaves a key that a row lacks NULL, whatever the column's
    default: a field added to Message must be added to `room_row` too."""
    columns = {f.column for f in Message._meta.concrete_fields if not f.primary_key}
    row = Message.objects.room_row(room_id=1, author_id=2, body="b", status="visible", created_at="t")
    assert set(row) == columns


def test_in_pool_runs_in_a_posting_thread_in_the_callers_language():
    """The hop to the posting pool carries the caller's language (a refusal a DM sender
    reads is explained in it)."""
    import threading

    from django.utils import translation

    def work() -> tuple[str, str | None]:
        Message.objects.exists()
        return threading.current_thread().name, translation.get_language()

    async def call(language: str) -> tuple[str, str | None]:
        translation.activate(language)
        return await posting.in_pool(work)()

    for language in ("en", "fr"):
        name, seen = asyncio.run(call(language))
        assert name.startswith("phare-post")
        assert seen == language


# --- The batch on the event loop (chat.posting.post_on_loop) ---------------------

@pytest.fixture
def on_loop(event_loop_path):
    return lambda posts: asyncio.run(posting.post_on_loop(posts))


@pytest.fixture
def counted_hops(monkeypatch):
    """The functions `post_on_loop` sends to a posting thread, by name."""
    hops: list[str] = []
    real_in_pool = posting.in_pool

    def in_pool(func):
        hops.append(getattr(func, "__name__", repr(func)))
        return real_in_pool(func)

    monkeypatch.setattr(posting, "in_pool", in_pool)
    return hops


def test_on_the_loop_the_usual_batch_needs_no_thread(make_user, adults_room, on_loop, counted_hops):
    outcomes = on_loop([room_post(author=make_user(), room=adults_room, body=f"bonjour {i}") for i in range(3)])
    assert [o.status for o in outcomes] == ["delivered"] * 3
    # At most the policies' periodic refresh (its own test below); nothing of the batch.
    assert [hop for hop in counted_hops if hop != "_refresh_policies"] == []
    assert Message.objects.filter(body__startswith="bonjour").count() == 3


def test_on_the_loop_a_flag_is_stored_with_its_message_in_a_thread(make_user, adults_room, on_loop,
                                                                   counted_hops, monkeypatch):
    from moderation.models import Flag

    gate_decides(monkeypatch, "flag")
    adult = make_user()
    outcomes = on_loop([room_post(author=adult, room=adults_room, body="un message signalé")])
    assert outcomes[0].status == "delivered"
    assert "store" in counted_hops
    flag = Flag.objects.get(subject_id_snapshot=adult.pk, text="un message signalé")
    assert flag.message_id_snapshot == int(outcomes[0].message["id"])


def test_on_the_loop_an_escalated_refusal_is_recorded(make_user, adults_room, on_loop, monkeypatch):
    from moderation.models import Flag

    gate_decides(monkeypatch, "escalate")
    adult = make_user()
    outcomes = on_loop([room_post(author=adult, room=adults_room, body="une menace")])
    assert outcomes[0].code == "blocked_by_policy"
    assert Flag.objects.filter(subject_id_snapshot=adult.pk, text="une menace", message_id_snapshot=None).count() == 1
    assert not Message.objects.filter(body="une menace").exists()


def test_on_the_loop_a_policy_due_for_its_recheck_is_refreshed_in_a_thread(make_user, adults_room, on_loop,
                                                                            counted_hops):
    throttling._policy._checked_at = -float("inf")  # due: get() would ask the cache
    outcomes = on_loop([room_post(author=make_user(), room=adults_room, body="bonjour")])
    assert outcomes[0].status == "delivered"
    assert counted_hops == ["_refresh_policies"]
    assert throttling.policy_fresh_for(posting.POLICY_MARGIN_SECONDS)


def test_on_the_loop_a_database_failure_reaches_every_sender_and_the_next_batch_reconnects(
        make_user, adults_room, on_loop, event_loop_path, monkeypatch):
    import psycopg
    from django.db import DatabaseError

    from chat import loopdb

    if event_loop_path != "postgresql":
        pytest.skip("the loop's own connection is psycopg's, to PostgreSQL (chat.loopdb)")

    real_connect = psycopg.AsyncConnection.connect
    failing = True

    async def connect(*args, **kwargs):
        if failing:
            raise psycopg.OperationalError("connection refused")
        return await real_connect(*args, **kwargs)

    monkeypatch.setattr(psycopg.AsyncConnection, "connect", connect)
    adult = make_user()
    with pytest.raises(DatabaseError):
        on_loop([room_post(author=adult, room=adults_room, body="perdu ?")])
    assert not Message.objects.filter(body="perdu ?").exists()
    failing = False
    outcomes = on_loop([room_post(author=adult, room=adults_room, body="de retour")])
    assert outcomes[0].status == "delivered"
    assert loopdb._connections  # a connection per event loop, reopened after the failure


def test_on_the_loop_a_redis_outage_applies_the_outage_rule(make_user, adults_room, on_loop, monkeypatch,
                                                            settings):
    import redis

    settings.PHARE_RATE_LIMIT_REDIS_URL = "redis://127.0.0.1:6379/15"  # never reached: the script fails

    def unreachable(url):
        async def script(**kwargs):
            raise redis.ConnectionError("Redis down")
        return script

    monkeypatch.setattr(throttling, "_loop_chains_script", unreachable)
    monkeypatch.setitem(throttling._redis_down_until, "t", 0.0)
    throttling.reset_local_state()
    author = make_user()
    outcomes = on_loop([room_post(author=author, room=adults_room, body="toujours là")])
    # Room messages are counted in this process during an outage (their rule is LOCAL).
    assert outcomes[0].status == "delivered"
    assert throttling._redis_down_until["t"] > 0  # remembered process-wide: no retry per post
    assert any(key.startswith("phare:rl:room_message_account:") and key.endswith(f":{author.pk}")
               for key in throttling._local._tat)
    throttling.reset_local_state()
