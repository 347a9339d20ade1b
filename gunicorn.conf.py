"""gunicorn settings for Inkwell: `gunicorn -c gunicorn.conf.py wsgi:app` (values from the env).

Sync workers suit a server-rendered app whose requests are short and CPU-bound (templates,
password hashing); put nginx in front for TLS, slow clients and static files (docs/deploy.md).
"""

import gc
import multiprocessing
import os
from typing import Any

bind = os.environ.get("GUNICORN_BIND") or "127.0.0.1:8000"
# (2 x cores) + 1 is gunicorn's own rule of thumb for sync workers.
workers = int(os.environ.get("GUNICORN_WORKERS") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = 20
keepalive = 5
# Build the app once in the master; each worker forks from it ready to serve. A worker that dies
# or is recycled is replaced in milliseconds instead of importing and building the app while
# requests queue (measured: that rebuild was a 0.5-1.2 s stall for about 10 % of requests under
# load when workers were recycled every 2,000 requests). `post_fork` gives each worker its own
# database connections.
preload_app = True
# Recycling is off unless asked for (GUNICORN_MAX_REQUESTS, with 10 % jitter): nothing here leaks,
# and a forked worker is cheap to replace when an operator wants it as a safety net.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 0)
max_requests_jitter = max_requests // 10
# Only trust X-Forwarded-* from the reverse proxy on this machine (the app's own ProxyFix,
# PROXY_FIX_X_FOR / PROXY_FIX_X_PROTO, decides what the application believes).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The reverse proxy logs every request (docs/deploy.md); gunicorn writes its own access log only
# when GUNICORN_ACCESS_LOG names a file (or "-" for stdout): a line per request costs a worker
# time it could spend answering.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'


def pre_fork(server: Any, worker: Any) -> None:
    """In the master, before each worker is forked from the preloaded app: the app's objects
    (about 160,000 once built) go to the collector's permanent generation, so a worker's full
    collections walk only what it made itself. Measured in-process: a full collection that
    walked them all took 85 ms once every ~10,000 requests, a stall that every request queued
    on that worker waited through (the signed-in post page's p99 tail, docs/performance.md);
    frozen, full collections cost under 2 ms. It also leaves those pages shared between the
    workers instead of copied when the collector touches them. Garbage is collected first, so
    no dead cycle is frozen for good (found by a review)."""
    gc.collect()
    gc.freeze()


def post_fork(server: Any, worker: Any) -> None:
    """A worker forked from the preloaded app must not share the master's pooled connections."""
    if not server.cfg.preload_app:
        return
    import wsgi
    from app.extensions import db

    with wsgi.app.app_context():
        db.engine.dispose(close=False)
