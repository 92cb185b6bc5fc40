"""Whole-page cache for anonymous readers.

Pages are stored under a site-wide content version. Every successful write request (a POST
from the site or the admin) and every command that changes content bumps that version, so a
reader never sees a page older than the last write; a TTL bounds anything else. Only
responses that carry nothing personal are stored: requests without a session or messages
cookie, responses that set no cookie and embed no CSRF token.

It needs a cache that all server processes share (Redis via REDIS_URL): with a per-process
cache, one worker could not tell the others that content changed. So it is on when REDIS_URL
is set, or when PAGE_CACHE=1 says the deployment is a single process. Signed-in readers get
rendered pages, whose summary cards keep their shared parts under the same version
(summaries.cards).

Pages are kept gzip-compressed (a cached home page shrinks from about 330 KB to a tenth) and
sent that way to every client that accepts gzip, which is every browser and feed reader; the
few that don't get them inflated. Compressing is safe here, where it would not be for pages
in general: a shared page holds no CSRF token or other secret for BREACH to recover.
"""

import gzip
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

VERSION_KEY = "pagecache:version"
SAFE_METHODS = {"GET", "HEAD"}
CACHEABLE_TYPES = (
    "text/html",
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "application/json",
    "text/x-bibtex",
)


def content_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return version


def content_changed():
    """Call after anything readers can see has changed."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 2, timeout=None)


def request_content_version(request):
    """The content version as it was when this request began, before the view read anything:
    what is cached under it was then no newer than the data. The middleware notes it."""
    version = getattr(request, "content_version", None)
    if version is None:
        version = request.content_version = content_version()
    return version


def content_changed_after_commit(sender, **kwargs):
    """Receiver for saves and deletes of what pages show: a change made outside a request (a
    shell, a script, a command) ends cached pages and card fragments too, once committed."""
    if not settings.PAGE_CACHE_SECONDS or kwargs.get("action", "post_").startswith("pre_"):
        return
    update_fields = kwargs.get("update_fields")
    if update_fields and set(update_fields) <= {"last_login"}:
        return  # logging in changes nothing a page shows
    transaction.on_commit(content_changed, using=kwargs.get("using"))


def _key(request, version):
    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    return f"pagecache:{version}:{digest}"


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


def _entry(response):
    headers = [(k, v) for k, v in response.items() if k.lower() not in _NOT_STORED]
    return (response.status_code, headers, gzip.compress(response.content, 6, mtime=0))


def _response(request, entry, state):
    status, headers, body = entry
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


def page_cache(get_response):
    def middleware(request):
        if not settings.PAGE_CACHE_SECONDS:
            return get_response(request)
        if request.method not in SAFE_METHODS:
            response = get_response(request)
            if response.status_code < 400:
                content_changed()
            return response
        version = request_content_version(request)
        if not _is_anonymous_request(request) and not request.path.startswith(SAME_FOR_EVERYONE):
            return get_response(request)
        key = _key(request, version)
        cached = cache.get(key)
        if cached is not None:
            return _response(request, cached, "hit")
        response = get_response(request)
        if _is_shareable(request, response):
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            entry = _entry(response)
            cache.set(key, entry, settings.PAGE_CACHE_SECONDS)
            return _response(request, entry, "miss")
        return response

    return middleware
