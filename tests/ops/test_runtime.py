"""The server process's garbage-collector settings (config/runtime.py)."""

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.runtime import tune_garbage_collector

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def collector_state():
    thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()
    yield
    gc.set_threshold(*thresholds)
    if not frozen:
        gc.unfreeze()


def test_tuning_freezes_what_exists_and_sets_the_thresholds(collector_state):
    gc.set_threshold(700, 10, 10)
    assert tune_garbage_collector(None) is False
    assert gc.get_threshold() == (700, 10, 10)

    survivor = [object()]  # an object alive when the application finished loading
    assert tune_garbage_collector((12345, 6, 7)) is True
    assert gc.get_threshold() == (12345, 6, 7)
    assert gc.get_freeze_count() > 0
    assert not any(obj is survivor for obj in gc.get_objects())  # out of the collector's view


def _server_module_collector(**env_overrides: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update({"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings", **env_overrides})
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    code = "import gc, config.asgi; print(gc.get_threshold(), gc.get_freeze_count() > 0)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_asgi_application_tunes_its_process_with_the_measured_thresholds():
    assert _server_module_collector() == "(50000, 20, 100) True"
