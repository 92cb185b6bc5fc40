"""HEAD wherever GET is, and CORS preflights of the API, answered before the page cache.

Uptime and link checkers and link-preview bots ask with HEAD. Django's function views that
take GET refuse it (require_GET), so HEAD is served as the GET it stands for, and its body
dropped: the headers, Content-Length included, are those the GET would have sent (RFC 9110
section 9.3.2). Views that want to tell them apart can read `request.is_head`.

A preflight (OPTIONS) of /api/ is answered here, not by a view: the page cache treats every
method other than GET and HEAD as a write that ends all cached pages.
"""

from django.http import HttpResponse

API_PREFIX = "/api/"
API_METHODS = "GET, HEAD, OPTIONS"


def api_preflight():
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = API_METHODS
    response["Access-Control-Allow-Headers"] = "Accept, Content-Type, If-None-Match"
    response["Access-Control-Max-Age"] = "86400"
    response["Allow"] = API_METHODS
    return response


def answer_head_and_preflight(get_response):
    def middleware(request):
        if request.method == "OPTIONS" and request.path_info.startswith(API_PREFIX):
            return api_preflight()
        if request.method != "HEAD":
            request.is_head = False
            return get_response(request)
        request.is_head = True
        request.method = "GET"
        try:
            response = get_response(request)
        finally:
            request.method = "HEAD"
        if response.streaming:
            response.streaming_content = []
        else:
            length = len(response.content)
            response.content = b""
            response["Content-Length"] = str(length)
        return response

    return middleware
