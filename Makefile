# Phare: the two commands of the README are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# The test suite's services (started by .ci/run when missing).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/phare
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# Only for tests and local trials: never a production key.
TEST_SECRET_KEY := phare-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz

.PHONY: setup run test test-fast migrate messages bench clean security reliability browser safety

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed

# Embedded defaults: SQLite, in-memory channel layer, local-memory cache, eager tasks; DEBUG=1
# and this checkout's own key from var/local.env, which manage.py reads too when nothing else is
# configured (docs/decisions.md, "Local trials").
LOCAL_TRIAL := set -a && . ./var/local.env && set +a &&
run: setup var/local.env
	$(LOCAL_TRIAL) $(PY) manage.py migrate --noinput
	$(LOCAL_TRIAL) $(PY) manage.py seed_demo
	$(LOCAL_TRIAL) $(VENV)/bin/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --ws websockets-sansio --ws-per-message-deflate false --no-proxy-headers --lifespan off

var/local.env:
	mkdir -p var
	$(PYTHON) -c 'import secrets; print("# make run: a local trial (DEBUG=1, never a production key); delete to renew."); print("DEBUG=1"); print("SECRET_KEY=" + secrets.token_urlsafe(50))' > $@
	chmod 600 $@

# The browser tests (tests/e2e) drive Debian's Chromium: Playwright's own browser download
# cannot work here, so it is never used. Installed when missing and when we may (CI is root).
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	  else \
	    echo "Chromium is missing: install Debian's chromium and chromium-driver to run tests/e2e"; \
	  fi; \
	fi

test: setup browser
	SECRET_KEY=$(TEST_SECRET_KEY) DATABASE_URL=$(TEST_DATABASE_URL) PHARE_TEST_REDIS_URL=$(TEST_REDIS_URL) \
		$(PY) -m pytest $(PYTEST_ARGS)

# Without PostgreSQL or Redis: SQLite, integration tests skipped (never in CI).
test-fast: setup
	SECRET_KEY=$(TEST_SECRET_KEY) $(PY) -m pytest $(PYTEST_ARGS)

# Static analysis (bandit, medium severity and above: docs/security.md) and the security tests.
security: setup
	$(VENV)/bin/bandit -q -r accounts chat moderation ops config bench manage.py --severity-level medium --confidence-level low
	SECRET_KEY=$(TEST_SECRET_KEY) DATABASE_URL=$(TEST_DATABASE_URL) PHARE_TEST_REDIS_URL=$(TEST_REDIS_URL) \
		$(PY) -m pytest -q tests/security $(PYTEST_ARGS)

# Fault injection (private Redis, PostgreSQL, workers and ASGI servers), writing its figures into
# docs/reliability.md (the only run that does: PHARE_RELIABILITY_FIGURES=1),
# including the longer runs CI leaves out.
reliability: setup
	SECRET_KEY=$(TEST_SECRET_KEY) DATABASE_URL=$(TEST_DATABASE_URL) PHARE_TEST_REDIS_URL=$(TEST_REDIS_URL) \
		PHARE_RELIABILITY_LONG=1 PHARE_RELIABILITY_FIGURES=1 $(PY) -m pytest -q tests/reliability $(PYTEST_ARGS)

messages: setup
	DEBUG=1 $(PY) manage.py makemessages -l fr -l en --ignore=.venv --ignore=.venv-runtime --ignore=tests --ignore=bench --ignore=chat/locale
	cd chat && DEBUG=1 ../$(PY) ../manage.py makemessages -d djangojs -l fr -l en
	cd moderation && DEBUG=1 ../$(PY) ../manage.py makemessages -d djangojs -l fr -l en
	DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv --ignore=.venv-runtime

# The safety scenario suite (docs/safety.md): tests/scenarios/data played through the full
# pipeline on a scratch database the command creates and drops (test_<name>_safety), no Redis;
# per-kind figures for the dev and held-out parts. SAFETY_ARGS="--split heldout --json".
safety: setup
	SECRET_KEY=$(TEST_SECRET_KEY) DATABASE_URL=$(TEST_DATABASE_URL) \
		$(PY) manage.py safety_eval --scratch $(SAFETY_ARGS)

# Fan-out benchmark: S0 raw websockets, S1 plain Channels, S2 Phare, over loopback against
# PostgreSQL (BENCH_DATABASE_URL) and Redis (db 7 and 8); rewrites the figures section of
# docs/benchmarks.md and keeps the rest of the page. BENCH_ARGS=--quick for a short trial,
# which writes nothing there; BENCH_NOTE="…" is printed next to the figures.
bench: setup
	$(PY) bench/fanout.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .venv-runtime var staticfiles
