# One image for all three services; docker-compose.yml and the ECS task
# definitions pick the service with the command.
FROM python:3.11-slim

# Pango/HarfBuzz/cairo are WeasyPrint's native libraries (PDF exports in the
# processor); fonts so rendered text has glyphs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libpangocairo-1.0-0 libharfbuzz0b \
        libcairo2 libgdk-pixbuf-2.0-0 libffi8 shared-mime-info fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN pip install --no-cache-dir uv

ENV UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PYTHONUNBUFFERED=1 \
    PATH=/app/.venv/bin:$PATH

WORKDIR /app

# Third-party dependencies first, from the lock file only, so this layer is
# reused until uv.lock or a pyproject.toml changes.
COPY pyproject.toml uv.lock ./
COPY libs/common/pyproject.toml libs/common/
COPY libs/aws_clients/pyproject.toml libs/aws_clients/
COPY services/producer/pyproject.toml services/producer/
COPY services/processor/pyproject.toml services/processor/
COPY services/notifier/pyproject.toml services/notifier/
COPY tools/devstack/pyproject.toml tools/devstack/
COPY tools/cli/pyproject.toml tools/cli/
RUN uv sync --frozen --no-dev --no-install-workspace

COPY libs libs
COPY services services
COPY tools tools
RUN uv sync --frozen --no-dev

RUN useradd --system --uid 10001 --home-dir /app conveyor
USER conveyor

ENV PORT=8000
EXPOSE 8000
CMD ["python", "-m", "conveyor_producer"]
