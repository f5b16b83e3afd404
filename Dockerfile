# govsignin: the provider image. Three stages: GOV.UK Frontend assets (npm), the Python venv
# (with the Welsh catalogue compiled), and a slim runtime that runs as a non-root user.
# See docs/operations.md. Build: docker build -t govsignin .

# --- 1. GOV.UK Frontend assets -------------------------------------------------------------------
FROM node:22-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
# Only the runtime dependency (govuk-frontend); openid-client and axe-core are test tools.
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

# --- 2. The Python package in its own venv -----------------------------------------------------
FROM python:3.11-slim AS python
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/govsignin
ENV PATH=/opt/govsignin/bin:$PATH
WORKDIR /build
COPY pyproject.toml README.md requirements.lock ./
COPY src ./src
# The .mo catalogue is built, not committed (as `make install` does); it ships as package data.
RUN pip install -c requirements.lock "babel>=2.14" \
 && pybabel compile -d src/govsignin/translations -D messages \
 && pip install -c requirements.lock .

# --- 3. Runtime --------------------------------------------------------------------------------
FROM python:3.11-slim
RUN groupadd --system --gid 10001 govsignin \
 && useradd --system --uid 10001 --gid govsignin --home-dir /app --shell /usr/sbin/nologin govsignin \
 && mkdir -p /app && chown govsignin:govsignin /app
COPY --from=python /opt/govsignin /opt/govsignin
COPY --from=assets /build/node_modules/govuk-frontend/dist/govuk /app/assets/govuk
ENV PATH=/opt/govsignin/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GOVSIGNIN_ENV=production \
    GOVSIGNIN_PORT=8000 \
    GOVSIGNIN_ASSETS_DIR=/app/assets/govuk \
    GOVSIGNIN_WORKERS=2 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/govsignin-metrics
WORKDIR /app
USER govsignin:govsignin
EXPOSE 8000
# /healthz: the process answers (liveness). Orchestrators should also probe /readyz (readiness).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('GOVSIGNIN_PORT', '8000'), timeout=2)"]
# Production does not migrate on start: run `govsignin db upgrade` once per release (a job with
# this image) before the new instances start. Metrics from several workers are summed through
# PROMETHEUS_MULTIPROC_DIR, which must start empty.
CMD ["sh", "-c", "rm -rf \"$PROMETHEUS_MULTIPROC_DIR\" && mkdir -p \"$PROMETHEUS_MULTIPROC_DIR\" && exec govsignin serve --host 0.0.0.0 --workers \"$GOVSIGNIN_WORKERS\""]
