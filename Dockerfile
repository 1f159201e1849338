# renewals-bot: `renewals-bot serve` over HTTP on port 3000 (see the README's "Run in production").
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The app runs as this user, never root; its home is the working folder (a .env there is read).
RUN useradd --create-home --home-dir /home/app --uid 10001 --user-group app

# Only what the package is built from (see .dockerignore), so a test or doc change reuses the layer.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY blocks ./blocks
COPY bot ./bot
COPY handlers ./handlers
COPY store ./store
RUN pip install .

USER app
WORKDIR /home/app
EXPOSE 3000

# 200 while the database answers; python, not curl, which the slim image does not have.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4).status != 200)"]

CMD ["renewals-bot", "serve", "--host", "0.0.0.0", "--port", "3000"]
