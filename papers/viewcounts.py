"""Counting paper page views, per paper and day, without adding a query to any page.

`count_views` is a middleware that sits before the page cache in MIDDLEWARE, so it sees every
paper page it sends, whether rendered or cached. A view counts when it is a GET answered 200,
from a reader whose user agent is not a bot (the maintained crawler-user-agents patterns, and
no user agent at all), and not a repeat: the same address and user agent reading the same
paper within an hour counts once. Repeats are told by a keyed hash of address, user agent
and paper held in the cache for an hour; no address is stored anywhere.

Counts are added up in the process and written in one batch (an upsert per day and paper and
an update of Paper.view_count) at most every VIEW_FLUSH_SECONDS or VIEW_FLUSH_VIEWS views,
after the response that reached the limit has been sent, and when the process exits. A process
that is killed loses at most that last batch.
"""

import atexit
import datetime
import functools
import hashlib
import hmac
import logging
import threading
import time
from collections import Counter

import crawleruseragents
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.urls import Resolver404, resolve

from shortscience.ratelimit import client_address

from .models import Paper, PaperViewDay

log = logging.getLogger(__name__)

REPEAT_WINDOW = 3600
MAX_AGENT_LENGTH = 500
# Reading more distinct papers than this before a flush forces one: memory stays bounded.
MAX_PENDING_PAPERS = 5000
PAPER_PAGE = "papers:detail"
# Rows per INSERT statement (SQLite allows 999 parameters in older builds).
UPSERT_ROWS = 300


@functools.lru_cache(maxsize=4096)
def is_bot(user_agent):
    """Whether a user agent is a crawler, a link checker, a feed fetcher or a script."""
    return not user_agent.strip() or crawleruseragents.is_crawler(user_agent)


class ViewBuffer:
    """Views counted in this process and not yet written: (day, paper key) -> views."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pending = Counter()
        self._total = 0
        self._since = time.monotonic()

    def add(self, day, key):
        with self._lock:
            if not self._pending:
                self._since = time.monotonic()
            self._pending[(day, key)] += 1
            self._total += 1

    def due(self):
        with self._lock:
            if not self._pending:
                return False
            return (
                self._total >= settings.VIEW_FLUSH_VIEWS
                or len(self._pending) >= MAX_PENDING_PAPERS
                or time.monotonic() - self._since >= settings.VIEW_FLUSH_SECONDS
            )

    def take(self):
        with self._lock:
            taken, self._pending, self._total = self._pending, Counter(), 0
            return taken

    def put_back(self, counts):
        with self._lock:
            if not self._pending:
                self._since = time.monotonic()
            self._pending.update(counts)
            self._total += sum(counts.values())

    def pending(self):
        with self._lock:
            return dict(self._pending)


buffer = ViewBuffer()


def paper_key_of(path):
    """The key of the paper whose page `path` is, or None (no query: only the URL is read)."""
    if not path.startswith("/paper/"):
        return None
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.kwargs.get("key") if match.view_name == PAPER_PAGE else None


def _reader_token(request, key):
    """A keyed hash that tells repeat views apart; the secret key makes it useless for
    guessing addresses, and it lives only as a cache key for an hour."""
    reader = "\n".join(
        [client_address(request), request.META.get("HTTP_USER_AGENT", "")[:MAX_AGENT_LENGTH], key]
    )
    digest = hmac.new(settings.SECRET_KEY.encode(), reader.encode(), hashlib.sha256)
    return "views:seen:" + digest.hexdigest()[:32]


def record_view(request, key):
    """Count this request as a view of the paper `key` unless it is a bot or a repeat.
    True when it counted."""
    # Cut: is_bot() caches 4096 user agents at most, each at most this long.
    if is_bot(request.META.get("HTTP_USER_AGENT", "")[:MAX_AGENT_LENGTH]):
        return False
    if not cache.add(_reader_token(request, key), 1, timeout=REPEAT_WINDOW):
        return False
    buffer.add(datetime.datetime.now(datetime.UTC).date(), key)
    return True


def flush():
    """Write the counted views to the database; the number of views written."""
    counts = buffer.take()
    if not counts:
        return 0
    try:
        written = _write(counts)
    except DatabaseError:
        log.exception("Could not write %s page views; keeping them for the next flush", len(counts))
        buffer.put_back(counts)
        return 0
    return written


@transaction.atomic
def _write(counts):
    keys = {key for _, key in counts}
    ids = dict(Paper.objects.filter(bibtex_key__in=keys).values_list("bibtex_key", "pk"))
    rows = [(ids[key], day, views) for (day, key), views in counts.items() if key in ids]
    if not rows:
        return 0
    _upsert(rows)
    totals = Counter()
    for paper_id, _, views in rows:
        totals[paper_id] += views
    by_amount = {}
    for paper_id, views in totals.items():
        by_amount.setdefault(views, []).append(paper_id)
    for views, paper_ids in by_amount.items():
        Paper.objects.filter(pk__in=paper_ids).update(view_count=F("view_count") + views)
    return sum(views for _, _, views in rows)


def _upsert(rows):
    """Add (paper id, day, views) rows to the day counts."""
    table = connection.ops.quote_name(PaperViewDay._meta.db_table)
    with connection.cursor() as cursor:
        # New days and existing ones in one statement per chunk, on PostgreSQL and SQLite alike.
        for start in range(0, len(rows), UPSERT_ROWS):
            chunk = rows[start : start + UPSERT_ROWS]
            cursor.execute(
                f"INSERT INTO {table} (paper_id, day, views) VALUES "
                + ", ".join(["(%s, %s, %s)"] * len(chunk))
                + f" ON CONFLICT (paper_id, day) DO UPDATE SET views = {table}.views"
                " + excluded.views",
                [value for row in chunk for value in row],
            )


@transaction.atomic
def move_views(*, source, target):
    """Give `target` the views of `source` (a duplicate merged into it), day by day."""
    days = PaperViewDay.objects.filter(paper=source)
    _upsert([(target.pk, day, views) for day, views in days.values_list("day", "views")])
    days.delete()
    moved = Paper.objects.filter(pk=source.pk).values_list("view_count", flat=True).first() or 0
    Paper.objects.filter(pk=target.pk).update(view_count=F("view_count") + moved)
    Paper.objects.filter(pk=source.pk).update(view_count=0)


def count_views(get_response):
    """Middleware: count paper page views, served from the page cache or not."""

    def middleware(request):
        response = get_response(request)
        if request.method == "GET" and response.status_code == 200:
            key = paper_key_of(request.path_info)
            if key is not None and record_view(request, key) and buffer.due():
                # Run by response.close(), once the server has sent the body (and before
                # Django's request_finished closes old connections): no reader waits for it.
                response._resource_closers.append(flush)
        return response

    return middleware


@atexit.register
def _flush_at_exit():
    try:
        flush()
    except Exception:  # the database may be gone already; nothing more can be done
        log.warning("Page views not written at exit: %s", buffer.pending())
