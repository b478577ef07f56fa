"""A bare API over the test document: it saves through the model like every
app's API does, so the tests show what the controlled-document base refuses."""

from django.urls import include, path
from rest_framework import serializers, viewsets
from rest_framework.routers import DefaultRouter

from .models import Memo


class MemoSerializer(serializers.ModelSerializer):
    class Meta:
        model = Memo
        fields = ["id", "title", "body", "status"]


class MemoViewSet(viewsets.ModelViewSet):
    serializer_class = MemoSerializer
    queryset = Memo.objects.all()


router = DefaultRouter()
router.register("memos", MemoViewSet, basename="memo")

urlpatterns = [path("api/", include(router.urls))]
