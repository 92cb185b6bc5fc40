"""Whole pages for anonymous readers, kept under the data they show.

A view that may be cached says what it shows before it reads it: `depends_on(request,
"paper:12", "user:7")`. Each such tag has a version in a cache every process shares; a write
function calls `changed("paper:12", ...)` for what it changed, and once its transaction
commits the tags get fresh versions. A page is stored with the versions it was rendered under
and served while they all still hold. So a vote on one summary ends the pages that show that
summary (its paper, its writer's profile, its venue and year, the home tabs) and nothing else;
previews, log-ins, reports and CSP reports change no data and end nothing. Because versions
are read before the view reads its data, a write that commits during a render leaves that
page stale-marked rather than stored as current.

Where they live: with REDIS_URL, versions and pages are in Redis; without it, in two database
cache tables (settings.CACHE_VERSIONS_ALIAS and CACHE_PAGES_ALIAS), which every process on
one database shares. Summary-card fragments live in the default cache (Redis, or each
process's memory): they are keyed by the rows they show, so a per-process copy is never stale.

Only responses that carry nothing personal are stored: requests without a session or
messages cookie, responses that set no cookie and embed no CSRF token. Pages are kept
gzip-compressed and sent that way to clients that accept gzip; a shared page holds no secret
for BREACH to recover.

`page_viewed` is sent for every page that declared its tags, whether it was rendered or came
from the cache: the place for a view counter.
"""

import gzip
import hashlib
import time
import uuid

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.dispatch import Signal
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

SAFE_METHODS = {"GET", "HEAD"}
CACHEABLE_TYPES = (
    "text/html",
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "application/json",
    "text/x-bibtex",
)
# Tags of pages that list summaries from all over the site (home tabs, latest and top feeds,
# keyword and author pages, the users and venues lists, the sitemap).
SITE_LISTINGS = "listings"
# Tag of search results, which any change to what papers are found by may alter.
SEARCH = "search"

# Sent with sender=None, request, tags and cached (True when served from the cache).
page_viewed = Signal()


def tag(kind, key):
    """The tag of one row or group of rows: tag("paper", 12) == "paper:12"."""
    return f"{kind}:{key}"


def _versions_cache():
    return caches[settings.CACHE_VERSIONS_ALIAS]


def _version_key(name):
    return f"v:{name}"


def current_versions(tags):
    """The version of each tag; a tag never seen (or evicted) gets a fresh one, so no page
    stored under an older version of it can match."""
    store = _versions_cache()
    keys = {name: _version_key(name) for name in tags}
    found = store.get_many(list(keys.values())) if keys else {}
    versions = {}
    for name, key in keys.items():
        if key not in found:
            fresh = uuid.uuid4().hex[:16]
            if not store.add(key, fresh, timeout=None):
                fresh = store.get(key, fresh)
            found[key] = fresh
        versions[name] = found[key]
    return versions


def _bump(tags):
    _versions_cache().set_many(
        {_version_key(name): uuid.uuid4().hex[:16] for name in tags}, timeout=None
    )


def enabled():
    return bool(settings.PAGE_CACHE_SECONDS)


def changed(*tags, using=None):
    """Call from a write function: pages showing `tags` end once the transaction commits
    (at once outside a transaction)."""
    tags = {name for name in tags if name}
    if tags and settings.PAGE_CACHE_SECONDS:
        transaction.on_commit(lambda: _bump(tags), using=using)


def depends_on(request, *tags):
    """Say, before reading it, what this response shows; it may then be cached, and it is
    served while none of it changes. A page that will not be stored (a signed-in reader's)
    reads the versions only if a shared fragment needs them (declared_digest)."""
    if not settings.PAGE_CACHE_SECONDS:
        return
    declared = getattr(request, "_page_tags", None)
    if declared is None:
        declared = request._page_tags = {}
    for name in tags:
        declared.setdefault(name, None)
    if getattr(request, "_page_shared", True):
        _read_versions(declared)


def _read_versions(declared):
    unread = [name for name, version in declared.items() if version is None]
    if unread:
        declared.update(current_versions(unread))


def declared_digest(request):
    """A short digest of the versions of what this request declared, for the keys of shared
    fragments; read now at the latest, before the fragment's own data is."""
    declared = getattr(request, "_page_tags", None) or {}
    _read_versions(declared)
    text = "|".join(f"{name}={version}" for name, version in sorted(declared.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _key(request):
    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    return f"page:{digest}"


def _is_anonymous_request(request):
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


def _is_shareable(request, response):
    return (
        response.status_code == 200
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not getattr(response, "streaming", False)
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
        and response.get("Content-Type", "").startswith(CACHEABLE_TYPES)
    )


# Paths whose responses never depend on who asks (feeds read no session or user): they are
# shared with signed-in readers too. Everything else is shared only among anonymous ones.
SAME_FOR_EVERYONE = ("/feeds/",)


# Headers that describe the body as sent, or this one response, rather than the page.
_NOT_STORED = {"content-length", "content-encoding", "x-cache"}


def accepts_gzip(request):
    """Whether Accept-Encoding admits gzip: named (or matched by *) without q=0."""
    qualities = {}
    for coding in request.META.get("HTTP_ACCEPT_ENCODING", "").split(","):
        name, _, params = coding.partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        qualities[name.strip().lower()] = quality
    for name in ("gzip", "x-gzip", "*"):
        if name in qualities:
            return qualities[name] > 0
    return False


def _entry(response, versions):
    headers = [(k, v) for k, v in response.items() if k.lower() not in _NOT_STORED]
    body = gzip.compress(response.content, 6, mtime=0)
    return (response.status_code, headers, body, tuple(sorted(versions.items())))


def _still_current(entry):
    stored = dict(entry[3])
    return current_versions(stored) == stored


def _response(request, entry, state):
    status, headers, body, _ = entry
    compressed = accepts_gzip(request)
    response = HttpResponse(body if compressed else gzip.decompress(body), status=status)
    for name, value in headers:
        response[name] = value
    if compressed:
        response["Content-Encoding"] = "gzip"
    response["Content-Length"] = str(len(response.content))
    patch_vary_headers(response, ["Accept-Encoding"])
    response["X-Cache"] = state
    return response


# While one process renders a page again after a write, the others wait this long for its
# copy rather than render the same page at once.
RENDERING_SECONDS = 10
WAIT_SECONDS = 2.0
_POLL_SECONDS = 0.02


def _pages():
    return caches[settings.CACHE_PAGES_ALIAS]


def _wait_for_copy(key, stale):
    """The fresh copy another process is rendering, or None once it gave up or timed out."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
        entry = _pages().get(key)
        if entry is not None and (stale is None or entry[3] != stale[3]):
            return entry if _still_current(entry) else None
        if _pages().get(key + ":rendering") is None:
            return None
    return None


def page_cache(get_response):
    def middleware(request):
        if not settings.PAGE_CACHE_SECONDS or request.method not in SAFE_METHODS:
            return get_response(request)
        shared = _is_anonymous_request(request) or request.path.startswith(SAME_FOR_EVERYONE)
        request._page_shared = shared
        key = _key(request) if shared else None
        rendering = None
        if shared:
            cached = _pages().get(key)
            if cached is not None and _still_current(cached):
                page_viewed.send(None, request=request, tags=dict(cached[3]), cached=True)
                return _response(request, cached, "hit")
            if cached is not None:  # a stale copy: other readers may want this page too
                if _pages().add(key + ":rendering", 1, RENDERING_SECONDS):
                    rendering = key + ":rendering"
                else:
                    fresh = _wait_for_copy(key, cached)
                    if fresh is not None:
                        page_viewed.send(None, request=request, tags=dict(fresh[3]), cached=True)
                        return _response(request, fresh, "hit")
        try:
            return _render_and_store(request, get_response, key if shared else None)
        finally:
            if rendering:
                _pages().delete(rendering)

    return middleware


def _render_and_store(request, get_response, key):
    response = get_response(request)
    declared = getattr(request, "_page_tags", None)
    if declared is None:
        return response  # a page that did not say what it shows is never stored
    page_viewed.send(None, request=request, tags=declared, cached=False)
    if key and _is_shareable(request, response):
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        entry = _entry(response, declared)
        _pages().set(key, entry, settings.PAGE_CACHE_SECONDS)
        return _response(request, entry, "miss")
    return response
