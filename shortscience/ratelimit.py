"""Fixed-window counters in Django's cache, for throttling and per-user rate limits.

With REDIS_URL the counts are shared by every server process; with the local-memory cache
they are per process, which still bounds abuse by the number of processes."""

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


def _key(scope, ident, window):
    return f"ratelimit:{scope}:{ident}:{int(time.time() // window)}"


def count(scope, ident, *, window):
    return cache.get(_key(scope, ident, window), 0)


def hit(scope, ident, *, window, cost=1):
    """Count an event of `cost` units; returns the units counted in the current window."""
    key = _key(scope, ident, window)
    if cache.add(key, cost, timeout=window + 1):
        return cost
    try:
        return cache.incr(key, cost)
    except ValueError:  # expired between add() and incr()
        cache.add(key, cost, timeout=window + 1)
        return cost


def reset(scope, ident, *, window):
    cache.delete(_key(scope, ident, window))


def exceeded(scope, ident, *, limit, window):
    """Count this event and say whether it goes past `limit` in the window."""
    return hit(scope, ident, window=window) > limit


logger = logging.getLogger(__name__)
_warned_about_proxy = False


def client_address(request):
    """The client's address; behind a trusted proxy, the one it reports."""
    global _warned_about_proxy
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and settings.TRUST_X_FORWARDED_FOR:
        return forwarded.split(",")[-1].strip()
    if forwarded and not _warned_about_proxy:
        # Every visitor then shares the proxy's address in the throttles: say so, once.
        _warned_about_proxy = True
        logger.warning(
            "Requests carry X-Forwarded-For but TRUST_X_FORWARDED_FOR is off: throttles count "
            "every visitor behind the proxy as one address. Turn it on behind a proxy you run."
        )
    return request.META.get("REMOTE_ADDR", "unknown")


# Per-user limits on writes (summaries, comments, votes...), configured in RATE_LIMITS.


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int
    noun: str

    @property
    def message(self):
        minutes = max(self.seconds // 60, 1)
        period = "an hour" if minutes == 60 else f"{minutes} minutes"
        return (
            f"You have reached the limit of {self.count} {self.noun} in {period}. "
            "Please wait a little and try again."
        )


def limit_for(action):
    count, seconds, noun = settings.RATE_LIMITS[action]
    return Limit(count, seconds, noun)


def allow(*, user, action, cost=1):
    """Count an `action` of `cost` units by `user`; False once they went over the limit in this
    window (actions whose cost varies, previews and imports, are counted in units of work)."""
    limit = limit_for(action)
    hits = hit(f"user-{action}", user.pk, window=limit.seconds, cost=cost)
    return hits <= limit.count


def charge(*, user, action, cost):
    """Add `cost` units to what `user` spent on `action` (work measured after the fact)."""
    if cost > 0:
        hit(f"user-{action}", user.pk, window=limit_for(action).seconds, cost=cost)


def remaining(*, user, action):
    limit = limit_for(action)
    return max(limit.count - count(f"user-{action}", user.pk, window=limit.seconds), 0)
