import logging
import time
import uuid
from urllib.parse import unquote

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponseBadRequest, JsonResponse

from shortscience import requestlog

log = logging.getLogger("shortscience.request")


def healthcheck(get_response):
    """Answer /healthz before host validation, so a load balancer or Docker's HEALTHCHECK can
    probe any container by its internal address. It still proves the database answers."""

    def middleware(request):
        if request.path == "/healthz":
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
            except (OperationalError, InterfaceError):
                return JsonResponse({"status": "database unavailable"}, status=503)
            return JsonResponse({"status": "ok"})
        return get_response(request)

    return middleware


def request_log(get_response):
    """One line per request on stdout, with an id that errors logged meanwhile share and
    that the response carries in X-Request-ID (a proxy's id is reused when it sends one)."""

    def middleware(request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if 8 <= len(incoming) <= 64 and incoming.isascii() else ""
        request_id = request_id or uuid.uuid4().hex[:16]
        token = requestlog.current_request_id.set(request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = get_response(request)
            status = response.status_code
            response["X-Request-ID"] = request_id
            return response
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            log.info(
                "%s %s %s %.1fms", request.method, request.get_full_path()[:300], status, elapsed_ms
            )
            requestlog.current_request_id.reset(token)

    return middleware


CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # KaTeX positions glyphs with style attributes; attributes cannot carry script.
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' https: data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "report-uri /csp-report/",
    ]
)
# Django's technical 404 and 500 pages (DEBUG only) carry their styles in a <style> element.
DEBUG_ERROR_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'", 1)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()"
)


def security_headers(get_response):
    """Content Security Policy and the headers Django's SecurityMiddleware does not set."""

    def middleware(request):
        response = get_response(request)
        debug_error = settings.DEBUG and response.status_code in (404, 500)
        response.setdefault("Content-Security-Policy", DEBUG_ERROR_CSP if debug_error else CSP)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response

    return middleware


def refuse_nul_bytes(get_response):
    """400 for a NUL byte in the path or query string (`/paper/%00/`): no page has a use for
    one, and PostgreSQL refuses it in any query, which would otherwise be a 500."""

    def middleware(request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or ("%00" in query and "\x00" in unquote(query)):
            return HttpResponseBadRequest(
                "This address contains a NUL character.", content_type="text/plain; charset=utf-8"
            )
        return get_response(request)

    return middleware
