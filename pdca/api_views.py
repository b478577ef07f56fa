"""pdca's own API: the signed-in user's notifications and the decision log."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.response import Response

from .api import refusals
from .models import Decision, Notification


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "subject", "body", "url", "created_at", "read_at"]
        read_only_fields = fields


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """The signed-in user's own notifications."""

    serializer_class = NotificationSerializer
    filterset_fields = {"read_at": ["isnull"]}

    queryset = Notification.objects.none()  # for the schema; real reads are per user

    def get_queryset(self):
        return self.request.user.notifications.all()

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
