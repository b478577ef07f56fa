"""API-wide pieces every app's API builds on.

- `exception_handler` gives every refusal one JSON shape,
  `{"detail": "<one sentence>", "errors": {"<field>": ["<message>", ...]}}`:
  rule violations from the services and validation errors from serializers alike.
- `ServiceViewSet` is the base of viewsets whose writes call a service: the
  input goes through a serializer (`_valid`), the answer is the object re-read
  as a reader sees it (`_respond`). No viewset reads `request.data` itself, so
  malformed input is a 400 with a message per field, never a 500.
- `RefusalSerializer` and `refusals(*codes)` document that shape in the schema.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, status, viewsets
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


# -- the documented shape of a refusal ---------------------------------------------


class RefusalSerializer(serializers.Serializer):
    """Why a request was refused: one sentence, and the messages per field at
    fault. Nothing was changed."""

    detail = serializers.CharField(help_text=_("Why the request was refused; nothing was changed."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("The messages per field at fault."),
    )


REFUSALS = {
    400: _("Bad input, or a rule refused the change; nothing was changed."),
    403: _("You may not do this to this object."),
    404: _("No such object, or you may not see it."),
    409: _("Somebody else changed it first, or the transition already happened."),
}


def refusals(*codes):
    """The schema's responses for the refusals an endpoint can give, e.g.
    `responses={200: PlanSerializer, **refusals(400, 403, 404, 409)}`."""
    return {code: OpenApiResponse(RefusalSerializer, description=REFUSALS[code]) for code in codes}


# -- the base of viewsets whose writes call a service ----------------------------------


class ServiceViewSet(viewsets.GenericViewSet):
    """A viewset whose actions validate their input with a serializer, call one
    service (which checks the rule and raises `RuleViolation`), and answer
    with the object as `get_queryset` reads it: the same representation, and
    the same query plan, as a GET of that object."""

    def _valid(self, serializer_class, data=None):
        """The validated data of `request.data` (or of `data`, e.g. the query
        parameters); a ValidationError (400, a message per field) otherwise.
        A JSON array or `null` is refused here too, before any service runs."""
        serializer = serializer_class(
            data=self.request.data if data is None else data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _respond(self, obj, status_code=status.HTTP_200_OK, serializer_class=None):
        """`obj` re-read through `get_queryset` (so with its prefetches and as
        the user may see it), serialized with `serializer_class` or the
        viewset's own serializer."""
        fresh = self.get_queryset().get(pk=obj.pk)
        if serializer_class is None:
            serializer = self.get_serializer(fresh)
        else:
            serializer = serializer_class(fresh, context=self.get_serializer_context())
        return Response(serializer.data, status=status_code)
