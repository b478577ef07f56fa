"""API-wide pieces every app's API builds on.

- `exception_handler` gives every refusal one JSON shape,
  `{"detail": "<one sentence>", "errors": {"<field>": ["<message>", ...]}}`:
  rule violations from the services and validation errors from serializers alike.
- `ServiceViewSet` is the base of viewsets whose writes call a service: the
  input goes through a serializer (`_valid`), the answer is the object re-read
  as a reader sees it (`_respond`). No viewset reads `request.data` itself, so
  malformed input is a 400 with a message per field, never a 500.
- `RefusalSerializer` and `refusals(*codes)` document that shape in the schema;
  `AutoSchema` (the project's schema class) adds the refusals every operation
  of a kind can give (403; 400 with input or on writes; 404 with an id or
  pages; 409 on writes), so the schema documents every status code the API
  answers; `FilterExtension` documents a filter's `null` choice.
- `not_found` answers a URL under /api/ that names no operation with JSON too.

The filter backend of every list is in `pdca.api_filters` (the settings name
it, and DRF imports it while importing its generic views, which this module uses).
"""

from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django_filters.filters import ModelChoiceFilter
from drf_spectacular import openapi
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
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


def not_found(request, exception=None):
    """The project's 404 handler (`handler404`): a URL under /api/ that names no
    operation, or an id of the wrong form, answers in the refusal shape, as JSON,
    like any other refusal of the API; pages keep Django's own 404 page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)


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


UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class AutoSchema(openapi.AutoSchema):
    """The schema class of every view (`DEFAULT_SCHEMA_CLASS`): each operation
    documents, besides what its view declares, the refusals any operation of
    its kind can give, in the refusal shape:

    - 403 always: every operation needs a user who may do it (an anonymous
      request is refused with 403 too, as session authentication comes first);
    - 400 when it reads input (a request body, or query parameters: filters,
      ordering, paging, whose invalid values are refused) or writes (a rule
      of the product refuses the change);
    - 404 when it names an object (a path parameter: missing or unreadable
      alike), pages a list (a page past the end) or takes a `format`;
    - 409 when it writes: somebody else's change or transition came first.

    A view's own `responses` for these codes (a more specific description) win.

    Fields read from the model are documented as the model can give them: a
    declared read-only relation (`StringRelatedField`) of a nullable foreign key
    as nullable, a read-only choice of a field that may be blank with "" among
    its values (DRF drops both from read-only fields, so the answer has them
    where the schema said it would not).
    """

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if (
            isinstance(field, serializers.ChoiceField)
            and field.read_only
            and not field.allow_blank
            and getattr(_model_field(field), "blank", False)
        ):
            field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if isinstance(field, serializers.RelatedField) and field.read_only and _nullable_source(field):
            meta["nullable"] = True
        return meta

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        parameters = operation.get("parameters", [])
        query = {p["name"] for p in parameters if p.get("in") == "query"}
        codes = [403]
        if "requestBody" in operation or query or method in UNSAFE_METHODS:
            codes.append(400)
        # DRF answers 404 for a page past the end and for an unknown `format`.
        if any(p.get("in") == "path" for p in parameters) or {"page", "format"} & query:
            codes.append(404)
        if method in UNSAFE_METHODS:
            codes.append(409)
        ref = self.resolve_serializer(RefusalSerializer, "response").ref
        responses = operation.setdefault("responses", {})
        for code in sorted(codes):
            responses.setdefault(
                str(code),
                {"content": {"application/json": {"schema": ref}}, "description": str(REFUSALS[code])},
            )
        operation["responses"] = dict(sorted(responses.items()))
        return operation


class FilterExtension(DjangoFilterExtension):
    """The list filters in the schema, as drf-spectacular documents them, and a
    model choice that can also be `null` (its `null_label`, e.g. findings of no
    single process) documented with that value too."""

    priority = 1  # over drf-spectacular's own extension for the same backend

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        if isinstance(filter_field, ModelChoiceFilter) and filter_field.extra.get("null_label") is not None:
            null = {"type": "string", "enum": [filter_field.null_value]}
            for parameter in parameters:
                parameter["schema"] = {"oneOf": [parameter["schema"], null]}
        return parameters


def _source_fields(field):
    """The model fields along a serializer field's `source`, or [] where it
    reads no model field (a method, a property, a serializer without a model)."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    found = []
    for name in getattr(field, "source", "").split("."):
        if model is None or not name or name == "*":
            return []
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return []
        found.append(model_field)
        model = model_field.related_model
    return found


def _model_field(field):
    found = _source_fields(field)
    return found[-1] if found else None


def _nullable_source(field):
    return any(getattr(model_field, "null", False) for model_field in _source_fields(field))


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
