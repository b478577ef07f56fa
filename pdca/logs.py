"""One log format for web, worker and beat: an ISO timestamp in the
organisation's time zone, the level, the logger and the message; one JSON
object per line when LOG_FORMAT=json. Read by Django's LOGGING, by Celery
(which leaves the root logger alone) and by gunicorn (gunicorn.conf.py), so
every line of `scripts/run` reads alike.

The time zone comes from the TIME_ZONE environment variable (the settings'
own default), not from Django's settings, because gunicorn configures its
logging before Django starts.
"""

import json
import logging
import os
from datetime import datetime
from zoneinfo import ZoneInfo

TIME_ZONE = ZoneInfo(os.environ.get("TIME_ZONE", "Europe/Berlin"))
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class PortalFormatter(logging.Formatter):
    def __init__(self, fmt=FORMAT, datefmt=None, style="%", **kwargs):
        super().__init__(fmt=fmt, datefmt=datefmt, style=style, **kwargs)

    def formatTime(self, record, datefmt=None):  # noqa: N802 - logging's name
        return datetime.fromtimestamp(record.created, tz=TIME_ZONE).isoformat(timespec="seconds")


class JsonFormatter(PortalFormatter):
    def format(self, record):
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def formatter_name():
    return "json" if os.environ.get("LOG_FORMAT", "").lower() == "json" else "portal"


def logging_config(level="INFO"):
    """The dictConfig of every process (Django's LOGGING, gunicorn's logconfig_dict)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "portal": {"()": "pdca.logs.PortalFormatter"},
            "json": {"()": "pdca.logs.JsonFormatter"},
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": formatter_name()}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            # The access log records every request once; Django adds only server errors.
            "django.request": {"level": "ERROR"},
            "django.server": {"level": "INFO"},
            "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }
