from rest_framework import serializers, viewsets

from .models import User
from .roles import reads_everything


class UserSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name", "email", "job_title", "roles"]

    def get_roles(self, user) -> list[str]:
        return sorted(group.name for group in user.groups.all())


class ColleagueSerializer(UserSerializer):
    """Staff see the names of the people they work with, not their e-mail
    addresses or roles."""

    class Meta(UserSerializer.Meta):
        fields = ["id", "username", "name", "job_title"]


class UserViewSet(viewsets.ReadOnlyModelViewSet):
    """The portal's users with their roles; administrators manage them in the
    admin site. Staff see names only (no e-mail addresses or roles)."""

    serializer_class = UserSerializer

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False) or reads_everything(self.request.user):
            return UserSerializer
        return ColleagueSerializer

    queryset = User.objects.filter(is_active=True).prefetch_related("groups")
    filterset_fields = ["groups__name"]
    search_fields = ["username", "first_name", "last_name"]
