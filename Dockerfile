# The image the migrations, the worker, the watcher, the API and Flower run from
# (docker-compose.yml builds it).
FROM python:3.11-slim-bookworm

# Tesseract with Simplified Chinese for scanned reports, as scripts/setup installs them.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-chi-sim poppler-utils \
 && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OMP_THREAD_LIMIT=1 \
    GONGKAI_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY extract ./extract
COPY schemas ./schemas
COPY worker ./worker
RUN pip install --no-cache-dir '.[all]' \
 && useradd --create-home --uid 1000 gongkai \
 && mkdir -p /data /inbox \
 && chown gongkai:gongkai /data /inbox

# Never root: the worker reads untrusted files.
USER gongkai
CMD ["celery", "-A", "worker", "worker", "--loglevel", "INFO", "--without-gossip", "--without-mingle"]
