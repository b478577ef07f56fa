"""API-wide pieces: the exception handler that turns rule violations into JSON."""

from django.core.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import RuleViolation


def exception_handler(exc, context):
    if isinstance(exc, RuleViolation):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, PermissionDenied) and str(exc):
        return Response({"detail": str(exc)}, status=403)
    return drf_exception_handler(exc, context)
