"""Log records of the HTTP libraries pass through the redactors of the runs in progress.

httpx logs every request line at INFO (``HTTP Request: GET http://…?apiKey=… "HTTP/1.1 200 OK"``):
a secret in a query string or a server URL's userinfo would reach the application's logs. While a
run is in progress its redactor masks those records (the library itself logs no secrets).
"""

from __future__ import annotations

import logging
import threading
from contextlib import AbstractContextManager

from .redact import Redactor, without_userinfo

__all__ = ["masking_logs"]

_LOGGERS = ("httpx", "httpcore", "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy")
_lock = threading.Lock()
_active: dict[int, Redactor] = {}
_FILTER_INSTALLED: list[bool] = []  # set once the filter is on the loggers


class _MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        with _lock:
            redactors = list(_active.values())
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        masked = message
        for redactor in redactors:
            masked = redactor.mask(masked)
        if "@" in masked:
            masked = " ".join(without_userinfo(word) if "://" in word else word for word in masked.split(" "))
        if masked != message:
            record.msg, record.args = masked, None
        return True


class _Masking:
    __slots__ = ("_redactor",)

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor

    def __enter__(self) -> None:
        with _lock:
            if not _FILTER_INSTALLED:
                masking = _MaskingFilter()
                for name in _LOGGERS:
                    logging.getLogger(name).addFilter(masking)
                _FILTER_INSTALLED.append(True)
            _active[id(self._redactor)] = self._redactor

    def __exit__(self, *exc_info: object) -> None:
        with _lock:
            _active.pop(id(self._redactor), None)


def masking_logs(redactor: Redactor) -> AbstractContextManager[None]:
    """Mask ``redactor``'s secrets in the HTTP libraries' log records while the block runs."""
    return _Masking(redactor)
