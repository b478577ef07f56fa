"""API-wide pieces: the exception handler that gives every refusal one JSON shape.

`{"detail": "<one sentence>", "errors": {"<field>": ["<message>", ...]}}`:
rule violations from the services and validation errors from serializers alike.
"""

from django.core.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import RuleViolation


def _flatten(errors, prefix=""):
    """DRF's nested error dicts and lists as {"field": [messages]}."""
    if isinstance(errors, dict):
        flat = {}
        for key, value in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors" and not prefix:
                name = "non_field_errors"
            flat.update(_flatten(value, name))
        return flat
    if isinstance(errors, list) and errors and all(isinstance(e, dict | list) for e in errors):
        flat = {}
        for index, value in enumerate(errors):
            flat.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    messages = [str(e) for e in errors] if isinstance(errors, list) else [str(errors)]
    return {prefix or "non_field_errors": messages}


def exception_handler(exc, context):
    if isinstance(exc, RuleViolation):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, ValidationError):
        errors = _flatten(exc.detail)
        first = next(iter(errors.items()))
        field, messages = first
        detail = messages[0] if field == "non_field_errors" else f"{field}: {messages[0]}"
        return Response({"detail": detail, "errors": errors}, status=exc.status_code)
    if isinstance(exc, PermissionDenied) and str(exc):
        return Response({"detail": str(exc)}, status=403)
    return drf_exception_handler(exc, context)
