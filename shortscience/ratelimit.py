"""Fixed-window counters in Django's cache, for throttling and per-user rate limits.

With REDIS_URL the counts are shared by every server process; with the local-memory cache
they are per process, which still bounds abuse by the number of processes."""

import time

from django.conf import settings
from django.core.cache import cache


def _key(scope, ident, window):
    return f"ratelimit:{scope}:{ident}:{int(time.time() // window)}"


def count(scope, ident, *, window):
    return cache.get(_key(scope, ident, window), 0)


def hit(scope, ident, *, window):
    """Count one event; returns the number counted in the current window."""
    key = _key(scope, ident, window)
    if cache.add(key, 1, timeout=window + 1):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=window + 1)
        return 1


def reset(scope, ident, *, window):
    cache.delete(_key(scope, ident, window))


def exceeded(scope, ident, *, limit, window):
    """Count this event and say whether it goes past `limit` in the window."""
    return hit(scope, ident, window=window) > limit


def client_address(request):
    """The client's address; behind a trusted proxy, the one it reports."""
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "unknown")
