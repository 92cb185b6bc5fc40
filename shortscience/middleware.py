from django.db import connection
from django.http import JsonResponse


def healthcheck(get_response):
    """Answer /healthz before host validation, so a load balancer or Docker's HEALTHCHECK can
    probe any container by its internal address. It still proves the database answers."""

    def middleware(request):
        if request.path == "/healthz":
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return JsonResponse({"status": "ok"})
        return get_response(request)

    return middleware
