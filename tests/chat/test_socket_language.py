"""Refusals on the socket speak the user's language, as the HTTP API does."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from tests.conftest import Ws, session_cookie_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def open_socket(user, extra_headers):
    from config.asgi import application

    cookie = await sync_to_async(session_cookie_for)(user)
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", f"sessionid={cookie}".encode())]
    headers = [h for h in headers if h[0] != b"cookie"] + [(b"cookie", f"sessionid={cookie}; {extra_headers.pop('cookie', '')}".encode())]
    headers += [(name.encode(), value.encode()) for name, value in extra_headers.items()]
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return Ws(communicator)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"accept-language": "en-GB,en;q=0.9"}, "Join the room first."),
        ({"accept-language": "fr-FR,fr;q=0.9"}, "Rejoins d'abord le salon."),
        ({"accept-language": "fr-FR", "cookie": "django_language=en"}, "Join the room first."),
    ],
)
async def test_error_messages_follow_the_language_cookie_or_the_browser(adult, headers, expected):
    client = await open_socket(adult, dict(headers))
    answer = await client.request("room.send", room="nowhere", body="hello")
    assert answer["error"]["code"] == "not_member"
    assert answer["error"]["message"] == expected
    await client.close()
