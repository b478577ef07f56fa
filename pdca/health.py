"""Health of what the portal depends on: the database and the Celery broker."""

from pathlib import Path

from django.conf import settings
from django.db import connection
from kombu import Connection


def database_status():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        return {"status": "down", "error": str(exc)[:200]}
    return {"status": "up", "vendor": connection.vendor}


def broker_status():
    url = settings.CELERY_BROKER_URL
    transport = url.split("://", 1)[0]
    if transport == "filesystem":
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_in", ""))
        probe = folder / ".healthz"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            return {"status": "down", "transport": transport, "error": str(exc)[:200]}
        return {"status": "up", "transport": transport}
    try:
        with Connection(url, connect_timeout=2, transport_options={"max_retries": 0}) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except Exception as exc:  # refused, timed out, bad credentials: all "down"
        return {"status": "down", "transport": transport, "error": str(exc)[:200]}
    return {"status": "up", "transport": transport}
