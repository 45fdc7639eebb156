"""Settings of S1, the plain Channels chat: Phare's own channel layer, nothing else.

The channel layer is taken from config.settings itself, so S1 always runs on exactly the layer
flavour and tuning that Phare is configured with (REDIS_URL set: the Redis-backed one).
"""

from config import settings as phare

SECRET_KEY = phare.SECRET_KEY
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["channels"]
DATABASES: dict = {}
USE_TZ = True
CHANNEL_LAYERS = phare.CHANNEL_LAYERS
LOGGING = phare.LOGGING
# The server process's collector settings too (config/runtime.py): a process setting, like
# uvicorn's flags, shared by S1 and S2.
PHARE_GC_THRESHOLDS = phare.PHARE_GC_THRESHOLDS
