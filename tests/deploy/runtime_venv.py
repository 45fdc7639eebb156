"""A virtualenv with Phare's runtime dependencies only, installed as the Dockerfile does.

The test extras bring packages of their own (pytest brings `packaging`, for one): a runtime
dependency that only they provide would pass every test and fail in production. This
virtualenv is built from pyproject.toml and README.md alone, like the image's first layer
(`COPY pyproject.toml README.md ./` then `pip install`), with no extra, through the machine's
own pip configuration (its package index or mirror). It is cached under `.venv-runtime/`
(ignored by git and docker) by the hash of pyproject.toml and the Python version, so only a
change of dependencies rebuilds it (about 25 s); a lock keeps two test runs of the same
checkout from building it at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".venv-runtime"
# What the image copies before it installs (Dockerfile).
INSTALLED_FROM = ("pyproject.toml", "README.md")


def clean_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """`env` (default: this process's) without the test virtualenv's traces, so that nothing
    of it leaks into the runtime virtualenv's processes."""
    env = dict(os.environ) if env is None else env
    return {k: v for k, v in env.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}}


def _digest() -> str:
    content = (ROOT / "pyproject.toml").read_bytes() + sys.version.encode()
    return hashlib.sha256(content).hexdigest()[:16]


def runtime_python() -> Path:
    """The interpreter of the runtime-only virtualenv, built if the cache has none for
    today's pyproject.toml."""
    venv = CACHE / _digest()
    done = venv / ".complete"
    if done.exists():
        return venv / "bin" / "python"
    CACHE.mkdir(exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            # Older builds go: a cache entry is only ever good for one pyproject.toml.
            for old in CACHE.iterdir():
                if old.is_dir():
                    shutil.rmtree(old)
            _build(venv)
            done.touch()
    return venv / "bin" / "python"


def _build(venv: Path) -> None:
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True, env=clean_env(), timeout=120)
    with tempfile.TemporaryDirectory() as source:
        for name in INSTALLED_FROM:
            shutil.copy2(ROOT / name, Path(source) / name)
        result = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", source],
            env=clean_env(), capture_output=True, text=True, timeout=900,
        )
    if result.returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        raise AssertionError("pip install of the runtime dependencies failed:\n" + result.stderr[-4000:])
