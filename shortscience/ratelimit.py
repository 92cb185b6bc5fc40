"""Per-user rate limits on writes, counted in Django's cache (shared across hosts with Redis)."""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


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
    return Limit(count=count, seconds=seconds, noun=noun)


def allow(*, user, action):
    """Count one `action` by `user`; False once they went over the limit in the current window."""
    limit = limit_for(action)
    key = f"ratelimit:{action}:{user.pk}"
    # add() starts a window only when none is running, so the window is fixed, not sliding.
    cache.add(key, 0, timeout=limit.seconds)
    try:
        used = cache.incr(key)
    except ValueError:  # the window expired between add() and incr()
        cache.set(key, 1, timeout=limit.seconds)
        used = 1
    return used <= limit.count
