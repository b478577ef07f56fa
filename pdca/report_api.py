"""Reports in the API (C7), the same as in the browser and under the same
rules (`pdca.reports.load_for`):

- `report-jobs`: POST a report and an object to get its PDF: the job is done
  at once when the document's stored copy exists (an approved document),
  otherwise it is queued and rendered in the background; GET it to poll, then
  GET its `download`. A failed job says why and can be retried.
- `audit-trails`: the history and decision records of a plan, review or
  finding as CSV (its PDF appendix is a report job of `<record>.trail`).
- `decision-export/csv`, `decision-export/xlsx`: the decision records of the
  whole SMS for a period (auditors and managers).
"""

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from . import exports, reports
from .api import ServiceViewSet, refusals
from .exceptions import NotAllowed
from .models import Decision, ReportJob
from .report_views import decisions_response, pdf_response, trail_csv_response


class FileRenderer(BaseRenderer):
    """Lets a client ask for the file's own type (Accept: application/pdf);
    the views answer with the file itself, errors as JSON."""

    charset = None
    format = "file"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data)


class PdfRenderer(FileRenderer):
    media_type = "application/pdf"
    format = "pdf"


class CsvRenderer(FileRenderer):
    media_type = "text/csv"
    format = "csv"


class XlsxRenderer(FileRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"


def _report_names():
    return sorted(reports.reports())


class ReportJobSerializer(serializers.ModelSerializer):
    download = serializers.SerializerMethodField(help_text=_("Where to get the PDF once the job is done."))
    stored_at = serializers.DateTimeField(
        source="stored.created_at",
        allow_null=True,
        read_only=True,
        help_text=_("When the PDF was stored, if it is the stored copy of an approved document."),
    )

    class Meta:
        model = ReportJob
        fields = [
            "id",
            "report",
            "object_id",
            "title",
            "status",
            "error",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
            "pages",
            "size",
            "sha256",
            "stored_at",
            "expired",
            "download",
        ]
        read_only_fields = fields

    def get_download(self, job) -> str | None:
        if job.status != ReportJob.Status.DONE or job.expired:
            return None
        return reverse("reportjob-download", args=[job.pk])


class ReportJobRequestSerializer(serializers.Serializer):
    report = serializers.CharField(
        help_text=_(
            "The report: reviews.review (review report), plans.version (a plan version as a controlled "
            "PDF), or the audit-trail appendix of a record: plans.plan.trail, reviews.review.trail, "
            "reviews.finding.trail."
        )
    )
    object_id = serializers.IntegerField(
        min_value=1, help_text=_("The id of the review, version, plan or finding.")
    )

    def validate_report(self, value):
        if value not in reports.reports():
            raise serializers.ValidationError(
                _("Unknown report; one of: %(names)s.") % {"names": ", ".join(_report_names())}
            )
        return value


class ReportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    """Your report jobs: a PDF rendered (or the stored copy served) for you."""

    serializer_class = ReportJobSerializer
    queryset = ReportJob.objects.none()  # for the schema; real reads are per user
    filterset_fields = ["status", "report"]

    def get_queryset(self):
        return ReportJob.objects.filter(requested_by=self.request.user).select_related("stored")

    @extend_schema(
        request=ReportJobRequestSerializer,
        responses={201: ReportJobSerializer, **refusals(400, 403, 404)},
        description=(
            "Ask for a report's PDF. Done at once (status `done`) when it is an approved document's stored "
            "copy; otherwise queued: poll the job until it is `done` (then GET `download`) or `failed` "
            "(`error` says why; POST `retry`)."
        ),
    )
    def create(self, request):
        data = self._valid(ReportJobRequestSerializer)
        try:
            job = reports.request_job(
                user=request.user, report_name=data["report"], object_id=data["object_id"]
            )
        except ObjectDoesNotExist:
            raise Http404 from None
        return self._respond(job, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ReportJobSerializer, **refusals(400, 403, 404)})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Queue a failed job again."""
        job = self.get_object()
        try:
            reports.retry_job(user=request.user, job=job)
        except ObjectDoesNotExist:
            raise Http404 from None
        return self._respond(job)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description=_("The PDF; header X-Content-SHA256 holds its SHA-256.")
            ),
            **refusals(400, 403, 404),
        }
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, PdfRenderer])
    def download(self, request, pk=None):
        """The PDF of a finished job (exactly the stored bytes of an approved document)."""
        job = self.get_object()
        kind = reports.get_report(job.report)
        try:
            obj = reports.load_for(request.user, kind, job.object_id)
        except ObjectDoesNotExist:
            raise Http404 from None
        return pdf_response(reports.job_bytes(job), kind.filename(obj), job.sha256)


class AuditTrailQuerySerializer(serializers.Serializer):
    record = serializers.ChoiceField(
        choices=["plans.plan", "reviews.review", "reviews.finding"],
        help_text=_("The kind of record."),
    )
    object_id = serializers.IntegerField(min_value=1, help_text=_("The id of the plan, review or finding."))


class AuditTrailViewSet(ServiceViewSet):
    """The audit trail of one record (C7)."""

    renderer_classes = [JSONRenderer, CsvRenderer]
    queryset = Decision.objects.none()  # for the schema: what the trail is made of
    filter_backends = []
    pagination_class = None

    @extend_schema(
        parameters=[AuditTrailQuerySerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description=_("One row per decision record and per change, oldest first."),
            ),
            **refusals(400, 403, 404),
        },
    )
    def list(self, request):
        """The history and decision records of a plan, review or finding, as CSV."""
        data = self._valid(AuditTrailQuerySerializer, request.query_params)
        kind = reports.get_record(data["record"])
        try:
            obj = reports.load_for(request.user, kind, data["object_id"])
        except ObjectDoesNotExist:
            raise Http404 from None
        return trail_csv_response(kind, obj)


class DecisionRangeSerializer(serializers.Serializer):
    start = serializers.DateField(help_text=_("First day of the period (organisation's time zone)."))
    end = serializers.DateField(help_text=_("Last day of the period, included."))

    def validate(self, data):
        if data["start"] > data["end"]:
            raise serializers.ValidationError({"end": [_("The end of the period is before its start.")]})
        return data


@extend_schema_serializer(many=False)  # `list` answers where the exports are, not a list
class DecisionExportSerializer(serializers.Serializer):
    start = serializers.DateField(help_text=_("The default period's first day (a year ago)."))
    end = serializers.DateField(help_text=_("The default period's last day (today)."))
    csv = serializers.CharField(help_text=_("The CSV export of the default period."))
    xlsx = serializers.CharField(help_text=_("The XLSX export of the default period."))


class DecisionExportViewSet(ServiceViewSet):
    """Every decision record of the SMS in a period, with the hash chain (auditors and managers)."""

    queryset = Decision.objects.none()  # for the schema; the exports read the records themselves
    filter_backends = []
    pagination_class = None

    @extend_schema(responses={200: DecisionExportSerializer, **refusals(403)})
    def list(self, request):
        """Where the exports are, for the last year by default."""
        refusal = reports.decision_export_refusal(request.user)
        if refusal:
            raise NotAllowed(refusal)
        start, end = exports.default_range()
        query = f"?start={start.isoformat()}&end={end.isoformat()}"
        return Response(
            DecisionExportSerializer(
                {
                    "start": start,
                    "end": end,
                    "csv": reverse("decisionexport-csv") + query,
                    "xlsx": reverse("decisionexport-xlsx") + query,
                }
            ).data
        )

    def _export(self, request, file_format):
        refusal = reports.decision_export_refusal(request.user)
        if refusal:
            raise NotAllowed(refusal)
        data = self._valid(DecisionRangeSerializer, request.query_params)
        return decisions_response(request.user, data["start"], data["end"], file_format)

    @extend_schema(
        parameters=[DecisionRangeSerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description=_("UTF-8 CSV, streamed.")),
            **refusals(400, 403),
        },
    )
    @action(detail=False, methods=["get"], renderer_classes=[JSONRenderer, CsvRenderer])
    def csv(self, request):
        return self._export(request, "csv")

    @extend_schema(
        parameters=[DecisionRangeSerializer],
        responses={
            (200, XlsxRenderer.media_type): OpenApiResponse(
                OpenApiTypes.BINARY, description=_("A workbook.")
            ),
            **refusals(400, 403),
        },
    )
    @action(detail=False, methods=["get"], renderer_classes=[JSONRenderer, XlsxRenderer])
    def xlsx(self, request):
        return self._export(request, "xlsx")


def register(router):
    router.register("report-jobs", ReportJobViewSet, basename="reportjob")
    router.register("audit-trails", AuditTrailViewSet, basename="audittrail")
    router.register("decision-export", DecisionExportViewSet, basename="decisionexport")
