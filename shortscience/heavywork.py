"""A site-wide bound on requests doing heavy work (rendering a preview, diffing revisions,
reading pasted BibTeX): at most HEAVY_WORK_SLOTS of them at once, so that however many
people (or scripts) ask for them, the other workers keep serving everyone else's pages.

The slots are cache keys: shared by every process with REDIS_URL, per process otherwise
(which still bounds each process). A slot expires by itself if its worker dies."""

import time
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

# A slot is released when the work ends; this only matters for a killed worker.
SLOT_SECONDS = 30
POLL_SECONDS = 0.05


class Busy(Exception):
    """Every slot stayed taken for as long as the caller could wait."""

    message = "The site is busy with other heavy requests; please try again in a moment."


@contextmanager
def heavy_work(*, wait=0.0):
    """Hold one of the slots while the block runs; Busy if none frees up within `wait` s."""
    deadline = time.monotonic() + wait
    while True:
        for slot in range(settings.HEAVY_WORK_SLOTS):
            key = f"heavy-work-slot:{slot}"
            if cache.add(key, 1, timeout=SLOT_SECONDS):
                try:
                    yield
                finally:
                    cache.delete(key)
                return
        if time.monotonic() >= deadline:
            raise Busy()
        time.sleep(POLL_SECONDS)
