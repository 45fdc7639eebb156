"""Production settings with one change for the browser tests' server: its own STATIC_ROOT.

The live server runs with DEBUG off, so WhiteNoise serves only collected files; collecting
them into a temporary folder keeps parallel runs (and other engineers' trees) apart.
"""

import os
from pathlib import Path

from config.settings import *  # noqa: F403

STATIC_ROOT = Path(os.environ["PHARE_E2E_STATIC_ROOT"])
