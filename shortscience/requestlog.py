"""The current request's id, for log lines written while it is being served."""

import contextvars
import logging

current_request_id = contextvars.ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = current_request_id.get()
        return True
