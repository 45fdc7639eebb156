"""ASGI entry point: HTTP goes to Django, /ws/ to the chat consumer."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Django must be set up before the consumer (and its models) is imported.
django_http_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from chat.realtime.consumers import ChatConsumer  # noqa: E402
from core.edge import OriginValidator, ProxyHeadersMiddleware  # noqa: E402
from core.outages import WebSocketOutageGuard  # noqa: E402
from config.runtime import tune_garbage_collector  # noqa: E402


class KeepServerSend:
    """Outermost on WebSockets: puts the server's own `send` in the scope.

    Events fanned out to a socket (chat.realtime.fanout.DirectWriter) and the consumer's answers are
    written with it, past the session middleware's wrapper, which only acts on
    `websocket.accept` (a cookie to save) and costs its checks on every frame
    (docs/benchmarks.md). It is passed on untouched: on uvicorn it is a bound method of the
    connection, which is how the writer finds where to write frames (the one reliance on
    uvicorn's internals, in chat.realtime.internals).
    """

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        return await self.application(dict(scope, phare_server_send=send), receive, send)


# Outermost: the client's address (and scheme) is decided once, for HTTP and WebSocket alike,
# from the TCP peer and a trusted proxy's headers (core/edge.py); the Origin check compares
# scheme, host and port. The session and account are read before the consumer runs: during a
# PostgreSQL outage the guard closes the socket (1013) instead of the server's HTTP 500.
application = ProxyHeadersMiddleware(ProtocolTypeRouter(
    {
        "http": django_http_application,
        "websocket": KeepServerSend(OriginValidator(WebSocketOutageGuard(
            AuthMiddlewareStack(URLRouter([path("ws/", ChatConsumer.as_asgi())]))
        ))),
    }
))

# Last: everything start-up builds exists by now (config/runtime.py).
tune_garbage_collector()
