# gradwalk service image: the same steps as `make run` (install the package with its
# server extra, Graphviz from Debian), served by uvicorn as a non-root user.
FROM python:3.11-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends graphviz \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY backend ./backend
COPY frontend ./frontend
RUN pip install --no-cache-dir -e ".[server]"

RUN useradd --create-home --uid 10001 gradwalk
USER gradwalk

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"

CMD ["uvicorn", "gradwalk.api.main:app", "--host", "0.0.0.0", "--port", "8000"]
