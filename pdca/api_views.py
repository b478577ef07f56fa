"""pdca's own API: the signed-in user's notifications and the decision log."""

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from drf_spectacular.views import SpectacularAPIView
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.response import Response

from . import feeds
from .api import refusals
from .models import CalendarToken, Decision, Notification


class NotificationAboutSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="app_label.model of the object, e.g. plans.planversion")
    id = serializers.IntegerField()


class NotificationSerializer(serializers.ModelSerializer):
    about = serializers.SerializerMethodField(help_text="The object the notification is about, if any.")
    resolved_by = serializers.StringRelatedField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "subject",
            "body",
            "url",
            "created_at",
            "read_at",
            "about",
            "task",
            "resolved_at",
            "resolution",
            "resolved_by",
        ]
        read_only_fields = fields

    @extend_schema_field(NotificationAboutSerializer(allow_null=True))
    def get_about(self, notification):
        if notification.content_type_id is None:
            return None
        content_type = notification.content_type
        return {"type": f"{content_type.app_label}.{content_type.model}", "id": notification.object_id}


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """The signed-in user's own notifications; `?kind=reminder` gives his or her
    reminders (C5), `?read_at__isnull=true&resolved_at__isnull=true` the unread
    ones (a notification whose task is done is resolved: `resolved_at`, by
    whom, and whether it was done or is no longer needed)."""

    serializer_class = NotificationSerializer
    filterset_fields = {
        "read_at": ["isnull"],
        "resolved_at": ["isnull"],
        "kind": ["exact"],
        "task": ["exact"],
    }

    queryset = Notification.objects.none()  # for the schema; real reads are per user

    def get_queryset(self):
        return self.request.user.notifications.select_related("content_type", "resolved_by")

    @extend_schema(
        request=None,
        responses={200: NotificationSerializer, **refusals(404)},
        description="Mark one of your notifications as read; reading it again changes nothing.",
    )
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        return Response(self.get_serializer(notification).data)


class DecisionSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField()
    subject_type = serializers.CharField(source="content_type.model", read_only=True)

    class Meta:
        model = Decision
        fields = [
            "id",
            "subject_type",
            "object_id",
            "action",
            "actor",
            "at",
            "comment",
            "from_state",
            "to_state",
        ]
        read_only_fields = fields


class DecisionPermissions(DjangoModelPermissions):
    perms_map = {**DjangoModelPermissions.perms_map, "GET": ["%(app_label)s.view_%(model_name)s"]}


class DecisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The decision log (auditors and managers)."""

    serializer_class = DecisionSerializer
    permission_classes = [DecisionPermissions]
    queryset = Decision.objects.select_related("actor", "content_type")
    filterset_fields = ["action", "object_id", "content_type__model"]


@extend_schema_serializer(many=False)  # `list` answers your one feed, not a list
class CalendarFeedSerializer(serializers.Serializer):
    exists = serializers.BooleanField(help_text="Whether you have a feed address.")
    created_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(
        allow_blank=True,
        help_text="The feed's address: only in the answer that makes it (only its hash is kept).",
    )


class CalendarFeedViewSet(viewsets.ViewSet):
    """Your calendar feed (iCalendar, C5): whether you have one, and a new
    address (the old one stops working)."""

    @extend_schema(responses={200: CalendarFeedSerializer})
    def list(self, request):
        token = CalendarToken.objects.filter(user=request.user).first()
        return Response(
            CalendarFeedSerializer(
                {"exists": token is not None, "created_at": token.created_at if token else None, "url": ""}
            ).data
        )

    @extend_schema(request=None, responses={200: CalendarFeedSerializer})
    @action(detail=False, methods=["post"])
    def regenerate(self, request):
        token = feeds.new_token(request.user)
        url = request.build_absolute_uri(reverse("calendar_feed", args=[token]))
        stored = CalendarToken.objects.get(user=request.user)
        return Response(
            CalendarFeedSerializer({"exists": True, "created_at": stored.created_at, "url": url}).data
        )


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema, generated and written out (YAML or JSON) once per
    process for each language, API version and format: it changes only with
    the code, and generating and writing it take a hundred milliseconds and
    more. It is the same for everybody (public)."""

    _written = {}

    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        renderer, media_type = request.accepted_renderer, request.accepted_media_type
        key = (translation.get_language(), version, media_type)
        content = self._written.get(key)
        if content is None:
            generator = self.generator_class(
                urlconf=self.urlconf, api_version=version, patterns=self.patterns
            )
            schema = generator.get_schema(request=request, public=self.serve_public)
            content = renderer.render(schema, media_type, self.get_renderer_context())
            self._written[key] = content
        charset = f"; charset={renderer.charset}" if renderer.charset else ""
        response = HttpResponse(content, content_type=f"{media_type}{charset}")
        response["Content-Disposition"] = f'inline; filename="{self._get_filename(request, version)}"'
        return response
