"""The editor's preview, with its cost bounded and counted by the work it does.

A preview costs a unit per started 4 KB of text before it runs and a unit per 0.1 s its
rendering took after, against the per-user "preview" limit; a writer runs one preview at a
time, and previews share the site's few heavy-work slots (shortscience/heavywork.py), so
scripts looping on previews hold at most those and never the workers serving pages."""

import math
import time

from django.core.cache import cache

from shortscience import ratelimit
from shortscience.heavywork import Busy, heavy_work

from .models import render_summary_source

BYTES_PER_UNIT = 4096
SECONDS_PER_UNIT = 0.1
# A preview still running after this long no longer blocks the next one (a killed worker).
LOCK_SECONDS = 15


class PreviewRefused(Exception):
    def __init__(self, message, status, retry_after=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after  # seconds after which trying again should work


def size_cost(source):
    return 1 + len(source.encode("utf-8")) // BYTES_PER_UNIT


def render_preview(*, user, source):
    """The rendering of `source` for `user`'s editor, or PreviewRefused (429, or 503 busy)."""
    lock = f"preview-running:{user.pk}"
    if not cache.add(lock, 1, timeout=LOCK_SECONDS):
        raise PreviewRefused(
            "Another preview of yours is still being prepared; try again in a moment.",
            429,
            retry_after=1,
        )
    try:
        if not ratelimit.allow(user=user, action="preview", cost=size_cost(source)):
            raise PreviewRefused(ratelimit.limit_for("preview").message, 429)
        try:
            with heavy_work(wait=1.0):
                started = time.monotonic()
                rendered = render_summary_source(source)
                elapsed = time.monotonic() - started
        except Busy:
            raise PreviewRefused(Busy.message, 503, retry_after=2) from None
        ratelimit.charge(user=user, action="preview", cost=math.floor(elapsed / SECONDS_PER_UNIT))
        return rendered
    finally:
        cache.delete(lock)
