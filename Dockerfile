# gradwalk service image: the same steps as `make run` (install the package with its
# server extra, Graphviz from Debian), served by `python -m gradwalk.api.serve`
# (uvicorn with the HTTP settings of docs/api.md) as a non-root user.
FROM python:3.11.13-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends graphviz \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY backend ./backend
# the page, which the package carries (backend/gradwalk/frontend is a symlink to it): the
# server serves it and the standalone export (format html) inlines it
COPY frontend ./frontend
# a regular (non-editable) install: the image runs the installed package, not the copied tree
RUN pip install --no-cache-dir ".[server]" && rm -rf backend frontend build

RUN useradd --create-home --uid 10001 gradwalk
USER gradwalk

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"

# exec form: SIGTERM reaches the server, which stops within http_shutdown_seconds
CMD ["python", "-m", "gradwalk.api.serve", "--host", "0.0.0.0", "--port", "8000"]
