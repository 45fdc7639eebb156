FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# g++: pdqhash (image hashing) is a source distribution that compiles C++ (docs/images.md).
RUN apt-get update && apt-get install -y --no-install-recommends gettext g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir -e .
COPY . .
# collectstatic only needs a key to import settings; the real one comes from the environment.
RUN SECRET_KEY=build-only-key-not-used-at-runtime-0123456789abcdef python manage.py collectstatic --noinput \
    && SECRET_KEY=build-only-key-not-used-at-runtime-0123456789abcdef python manage.py compilemessages
# /app/var (PHARE_DATA_DIR) exists in the image, owned by phare, so that the compose volume
# mounted there starts writable by the app.
RUN useradd --system --uid 1000 phare && mkdir -p /app/var && chown -R phare /app
USER phare
EXPOSE 8000
# --no-proxy-headers: Phare itself decides the client address, trusting only PHARE_TRUSTED_PROXIES
# (core/edge.py); uvicorn's own handling would trust 127.0.0.1 by default.
CMD ["uvicorn", "config.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--ws", "websockets-sansio", "--ws-max-size", "1048576", "--ws-per-message-deflate", "false", "--no-proxy-headers", "--lifespan", "off"]
