# Kyoso: one image for web, worker and beat (docker-compose.yml builds it once and runs all
# three from it). Only the runtime set of the lock is installed, every file checked against
# its hash; tests and development tools (the development lock of ./kyoso) stay out.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    KYOSO_DATA_DIR=/tmp/kyoso MEDIA_ROOT=/media
# Pango and HarfBuzz-Subset for WeasyPrint (PDF statements and certificates), a Japanese font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 kyoso
WORKDIR /app
COPY requirements/runtime.lock requirements/runtime.lock
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements/runtime.lock
COPY . .
# Static files are collected at build time; /media (uploads) and the data folder belong to the
# container's user, so uploads work on a fresh named volume too.
RUN DATABASE_URL=postgresql://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput --verbosity 0 --settings=prm.settings.base \
    && mkdir -p /media /tmp/kyoso && chown kyoso:kyoso /media /tmp/kyoso
USER kyoso
EXPOSE 8000
CMD ["gunicorn", "--config", "python:prm.gunicorn_conf", "--access-logfile", "-"]
