"""The posting pipeline screens each text with its sender's recent texts to the same room or
person (chat.services.recent, moderation/policy/window.py): a phone number, a handle or a
meeting split over several messages is refused like the whole one, on both runners."""

from __future__ import annotations

import asyncio

import pytest

from chat import posting
from chat import services as chat_services
from chat.models import Conversation, Message
from chat.services import Post, PostResult, ReplyTarget, RoomTarget
from chat.services.recent import RecentTexts, recent_texts
from core.errors import PhareError
from moderation import gate
from tests.chat.loop_database import event_loop_path  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["thread", "loop"])
def post_one(request):
    """One post at a time through the pipeline as the calling thread runs it, and as the
    event loop runs it: its result, or its refusal."""
    if request.param == "thread":
        return lambda post: chat_services.post_messages([post])[0]
    request.getfixturevalue("event_loop_path")
    return lambda post: asyncio.run(posting.post_on_loop([post]))[0]


def say(post_one, author, room, *bodies: str) -> list[PostResult | PhareError]:
    return [post_one(Post(author=author, body=body, target=RoomTarget(room))) for body in bodies]


def codes(outcomes) -> list[str]:
    return [o.code if isinstance(o, PhareError) else o.status for o in outcomes]


def test_a_phone_number_split_over_three_messages_is_refused_in_a_minors_room(make_user, minors_room, post_one):
    teen = make_user("13-15")
    outcomes = say(post_one, teen, minors_room, "06", "12 34", "56 78")
    assert codes(outcomes) == ["delivered", "delivered", "blocked_by_policy"]
    assert outcomes[2].extra["reasons"] == ["contact_phone", "split_across_messages"]
    assert outcomes[2].message == gate.explain("contact_phone", "fr")
    assert "56 78" not in Message.objects.values_list("body", flat=True)


def test_a_handle_and_a_meeting_split_over_messages_are_stopped(make_user, minors_room, post_one):
    teen = make_user("16-17")
    handle = say(post_one, teen, minors_room, "mon snap c", "lea.b", "2009")
    assert "blocked_by_policy" in codes(handle)
    meeting = say(post_one, make_user("16-17"), minors_room, "on se voit", "samedi", "a la gare")
    assert codes(meeting)[0] == "delivered"
    assert "held" in codes(meeting)  # a meeting with minors waits for a moderator


def test_ordinary_consecutive_messages_pass_untouched(make_user, minors_room, post_one):
    teen = make_user("13-15")
    outcomes = say(post_one, teen, minors_room, "gg", "3", "2", "on refait ?", "16h30", "ok merci")
    assert codes(outcomes) == ["delivered"] * 6


def test_a_split_contact_among_adults_is_flagged_like_the_whole_number(make_user, adults_room, post_one):
    adult = make_user()
    outcomes = say(post_one, adult, adults_room, "mon numéro", "06 12", "34 56 78")
    assert codes(outcomes) == ["delivered"] * 3
    assert outcomes[2].contact_warning is not None
    whole = say(post_one, make_user(), adults_room, "06 12 34 56 78")[0]
    assert outcomes[2].contact_warning["reasons"] == whole.contact_warning["reasons"]


def test_each_sender_has_their_own_window_in_each_room(make_user, minors_room, post_one):
    first, second = make_user("13-15"), make_user("13-15")
    other_room = chat_services.create_room(slug="autre", name="Autre", audience="minors")
    assert codes(say(post_one, first, minors_room, "06 12")) == ["delivered"]
    # Another sender, or the same sender elsewhere, does not complete the number.
    assert codes(say(post_one, second, minors_room, "34 56 78")) == ["delivered"]
    assert codes(say(post_one, first, other_room, "34 56 78")) == ["delivered"]
    assert codes(say(post_one, first, minors_room, "34 56 78")) == ["blocked_by_policy"]


def test_a_refused_text_stays_in_the_window(make_user, minors_room, post_one):
    teen = make_user("13-15")
    assert codes(say(post_one, teen, minors_room, "06 12 34", "56 78")) == ["delivered", "blocked_by_policy"]
    window = recent_texts.texts(teen.pk, ("room", minors_room.pk))
    assert [(t.text, t.refused) for t in window] == [("06 12 34", False), ("56 78", True)]
    # Retried with another spelling: still joined with the part that passed.
    assert codes(say(post_one, teen, minors_room, "56.78")) == ["blocked_by_policy"]


@pytest.mark.parametrize("request_body, follow_up, contact_reasons", [
    # The request and the replies after it share one window: the rest of a number is read
    # with its first half. Between adults who both write, swapping numbers is delivered with
    # the usual prompt and a moderator sees it (adult_dm_contact_decision).
    ("salut, note: 06 12", "34 56 78", ["contact_phone"]),
    # Accepting "bonsoir" is not accepting what follows: sexual content is refused as in a
    # request; between two adults who both write, it is their conversation.
    ("bonsoir", "envoie des nudes", None),
])
def test_what_follows_an_accepted_request_is_screened_as_one_until_the_reader_answers(
        make_user, request_body, follow_up, contact_reasons):
    ann, ben = make_user(), make_user()
    conversation = chat_services.open_conversation(sender=ann, to=str(ben.pk), body=request_body)
    chat_services.accept_conversation(user=ben, conversation_id=conversation["id"])
    with pytest.raises(PhareError, match="blocked_by_policy"):
        chat_services.send_direct_message(sender=ann, conversation_id=conversation["id"], body=follow_up)
    chat_services.send_direct_message(sender=ben, conversation_id=conversation["id"], body="salut, ça va ?")
    reply = chat_services.send_direct_message(sender=ann, conversation_id=conversation["id"], body=follow_up)
    assert reply.status == "delivered"
    assert (reply.contact_warning or {}).get("reasons") == contact_reasons


def test_a_split_number_in_a_teens_direct_message_is_refused(make_user):
    ann, ben = make_user("13-15"), make_user("13-15")
    low, high = sorted([ann, ben], key=lambda u: u.pk)
    conversation = Conversation.objects.create(initiator=ann, recipient=ben, user_low=low, user_high=high,
                                               state=Conversation.State.ACCEPTED)
    post = lambda body: chat_services.post_messages(  # noqa: E731
        [Post(author=ann, body=body, target=ReplyTarget(str(conversation.pk)))])[0]
    assert codes([post("mon num"), post("07 81"), post("22 45 90")]) == [
        "delivered", "delivered", "blocked_by_policy"]
    # Ben's own window is his: his reply is judged alone.
    reply = chat_services.post_messages([Post(author=ben, body="22 45 90", target=ReplyTarget(str(conversation.pk)))])[0]
    assert codes([reply]) == ["delivered"]


def test_windows_forget_old_texts_and_bound_their_number():
    now = [1000.0]
    store = RecentTexts(per_window=2, seconds=300, max_windows=2, clock=lambda: now[0])
    for text in ("un", "deux", "trois"):
        store.add(1, ("room", 1), gate.remember(text))
    assert [t.text for t in store.texts(1, ("room", 1))] == ["deux", "trois"]
    now[0] += 301
    assert store.texts(1, ("room", 1)) == ()
    for sender in (1, 2, 3):
        store.add(sender, ("room", 1), gate.remember("salut"))
    assert len(store) == 2
    assert store.texts(1, ("room", 1)) == ()  # the least recently used window went first
