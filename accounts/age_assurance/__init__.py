"""Age assurance: pluggable providers that establish a user's age band and how sure we are.

Only the result (band, level, method, provider, date) is ever stored. See docs/age-assurance.md.
The providers read no settings at import time; `registry` reads them at call time.
"""

# The package's names are those of `base` (its __all__): one list, kept there.
from .base import *  # noqa: F403
from .base import __all__  # noqa: F401
