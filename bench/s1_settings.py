"""Settings of S1, the plain Channels chat: Phare's own channel layer, nothing else.

The channel layer is taken from config.settings itself, so S1 always runs on exactly the layer
and tuning that Phare runs on (REDIS_URL set: the Redis-backed one). `S1-stock` in
bench/fanout.py (S1_LAYER=redis) runs the same chat on channels_redis's RedisChannelLayer
instead, for reference: Phare itself no longer offers that layer (docs/decisions.md).
The server process's garbage collector is tuned as Phare's (bench/s1_asgi.py).
"""

import os

from config import settings as phare

SECRET_KEY = phare.SECRET_KEY
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["channels"]
DATABASES: dict = {}
USE_TZ = True
CHANNEL_LAYERS = phare.CHANNEL_LAYERS
LOGGING = phare.LOGGING

if os.environ.get("S1_LAYER") == "redis":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 raises past its pool size instead of waiting: size it as Phare does.
                # Its default socket_timeout (5 s) equals the layer's blocking BZPOPMIN, so idle
                # consumers would crash every ~5 s (channels_redis#422): a longer one.
                "hosts": [{"address": phare.REDIS_URL, "max_connections": phare.REDIS_MAX_CONNECTIONS,
                           "socket_timeout": 15, "socket_connect_timeout": 5}],
                "capacity": 1000,
                "expiry": 60,
                "group_expiry": 86400,
                "prefix": "phare:ch",
            },
        }
    }
