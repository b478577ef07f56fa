from rest_framework import serializers, viewsets

from .models import User


class UserSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name", "email", "job_title", "roles"]

    def get_roles(self, user) -> list[str]:
        return sorted(group.name for group in user.groups.all())


class UserViewSet(viewsets.ReadOnlyModelViewSet):
    """The portal's users with their roles; administrators manage them in the admin site."""

    serializer_class = UserSerializer
    queryset = User.objects.filter(is_active=True).prefetch_related("groups")
    filterset_fields = ["groups__name"]
    search_fields = ["username", "first_name", "last_name"]
