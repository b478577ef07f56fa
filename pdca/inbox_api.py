"""The task inbox in the API (/api/v1/tasks/): the same items, order and counts
as the page (`pdca.inbox`), paginated like the other lists."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets

from .api import refusals
from .api_filters import Pagination
from .exceptions import RuleViolation
from .inbox import inbox, kind_choices


class TaskSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="The kind of task (see `kinds` in the response).")
    kind_label = serializers.CharField()
    title = serializers.CharField(help_text="What to do.")
    reason = serializers.CharField(help_text="Why: the comment or note that caused the task.")
    actor_name = serializers.CharField(help_text="Who caused it, if anybody.")
    since = serializers.DateTimeField(source="since_moment", help_text="Since when it waits.")
    due_on = serializers.DateField(allow_null=True)
    overdue = serializers.SerializerMethodField()
    object_label = serializers.CharField(help_text="The record concerned.")
    url = serializers.CharField(help_text="The page where the task is done.")

    def get_overdue(self, task) -> bool:
        return task.is_overdue()


class TaskKindSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class TaskPagination(Pagination):
    """The API's paging (`page` once, never empty) with the inbox's counts: `total` (all the user's
    tasks) and `kinds` (each kind with tasks and its count), as on the page."""

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        found = self.inbox
        response.data["total"] = found.total
        response.data["kinds"] = [{k: kind[k] for k in ("kind", "label", "count")} for kind in found.kinds]
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["total"] = {"type": "integer", "example": 12}
        schema["properties"]["kinds"] = {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string"},
                    "label": {"type": "string"},
                    "count": {"type": "integer"},
                },
            },
        }
        return schema


class TaskViewSet(viewsets.GenericViewSet):
    """What waits for the signed-in user, from every app: the most urgent first."""

    serializer_class = TaskSerializer
    pagination_class = TaskPagination
    filter_backends = []

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "kind",
                str,
                description="Only tasks of this kind (the counts stay those of every kind).",
                enum=[kind for kind, _label in kind_choices()] or None,
            )
        ],
        responses={200: TaskSerializer(many=True), **refusals(400, 404)},
    )
    def list(self, request):
        kind = request.query_params.get("kind", "")
        if kind and kind not in dict(kind_choices()):
            raise RuleViolation(
                _("There is no kind of task “%(kind)s”; choose one of: %(kinds)s.")
                % {"kind": kind, "kinds": ", ".join(k for k, _label in kind_choices())},
                field="kind",
            )
        found = inbox(request.user, kind)
        self.paginator.inbox = found
        page = self.paginate_queryset(found.tasks)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
