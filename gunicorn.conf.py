"""gunicorn settings for Inkwell: `gunicorn -c gunicorn.conf.py wsgi:app` (values from the env).

Sync workers suit a server-rendered app whose requests are short and CPU-bound (templates,
password hashing); put nginx in front for TLS, slow clients and static files (docs/deploy.md).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# (2 x cores) + 1 is gunicorn's own rule of thumb for sync workers.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = 2000
max_requests_jitter = 200
# Only trust X-Forwarded-* from the reverse proxy on this machine (the app's own ProxyFix,
# PROXY_FIX_X_FOR / PROXY_FIX_X_PROTO, decides what the application believes).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
