"""Structured logs that never carry a personal identity number.

Redaction sits where every log record is born (the stdlib LogRecord factory), so it covers
every logger and handler: our own, uvicorn's access and error logs, SQLAlchemy, exception
tracebacks, pytest's caplog. structlog renders into the stdlib pipeline, redacting its
event dict on the way, so there is one path for everything.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from shared.ids import redact_identity_numbers

_installed = False


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_identity_numbers(value)
    if isinstance(value, bool | float) or value is None:
        return value
    if isinstance(value, int):
        return value if redact_identity_numbers(str(value)) == str(value) else "[personnummer]"
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_redact_value(v) for v in value]
    text = str(value)
    redacted = redact_identity_numbers(text)
    return value if redacted == text else redacted


def _has_number(text: str) -> bool:
    return redact_identity_numbers(text) != text


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact a record's message, arguments, traceback and stack in place."""
    if isinstance(record.msg, str):
        record.msg = redact_identity_numbers(record.msg)
    elif not isinstance(record.msg, int | float) and _has_number(str(record.msg)):
        record.msg = redact_identity_numbers(str(record.msg))
    if isinstance(record.args, tuple):
        # Keep the tuple shape: uvicorn's access formatter unpacks it.
        record.args = tuple(_redact_value(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _redact_value(v) for k, v in record.args.items()}
    try:
        message = record.getMessage()
    except Exception:  # a malformed call: fall back to the bare message
        message = str(record.msg)
        record.args = None
    if _has_number(message):  # something's str() carried one: flatten to safe text
        record.msg, record.args = redact_identity_numbers(message), None
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = redact_identity_numbers(
            "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        )
        # Handlers re-format exc_info when exc_text is empty; keep only the safe text.
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = redact_identity_numbers(record.exc_text)
    if record.stack_info:
        record.stack_info = redact_identity_numbers(record.stack_info)
    return record


def install_log_redaction() -> None:
    """Wrap the process's LogRecord factory once; safe to call from every app factory."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True


def _redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: redact every value, nested ones included."""
    for key, value in list(event.items()):
        event[key] = _redact_value(value)
    return event


class _RedactingFilter(logging.Filter):
    """Kept for handlers configured elsewhere: the record factory already did the work."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


class _ServiceHandler(logging.StreamHandler[TextIO]):
    """Marks the handler configure_logging installs, so a second call replaces only it."""


def configure_logging(level: str = "INFO") -> None:
    """Process-wide logging for a running service: one stderr handler, JSON from structlog.

    Handlers installed by someone else on the root logger (pytest's caplog, a platform agent)
    are kept, and then the root level is theirs to set too.
    """
    install_log_redaction()
    handler = _ServiceHandler(sys.stderr)
    handler.addFilter(_RedactingFilter())
    root = logging.getLogger()
    foreign = [h for h in root.handlers if not isinstance(h, _ServiceHandler)]
    root.handlers[:] = [*foreign, handler]
    if not foreign:
        root.setLevel(level)
    else:
        handler.setLevel(level)
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    # One line per call between services is noise at INFO; failures still surface as errors.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    configure_structlog()


def configure_structlog() -> None:
    """Send structlog through the stdlib pipeline (and so through the redaction)."""
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.format_exc_info,
            _redact,
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
