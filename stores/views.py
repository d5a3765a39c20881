"""HTTP adapters of the stores services."""

from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from stores.csv_rows import BadFile
from stores.serializers import PollPushResultSerializer, RowErrorSerializer
from stores.services import RowsRejected, polls_push

# A pushed batch is parsed in memory; bigger sets go through `manage.py load_data`.
POLLS_PUSH_MAX_BYTES = 16 * 1024 * 1024


class CsvTextParser(BaseParser):
    """`text/csv` bodies, handed on as text (UTF-8, a BOM allowed)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        try:
            return body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ParseError("The CSV body is not UTF-8 text.") from None


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, with a deeply nested body a 400 rather than a RecursionError (500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None


class PollPushView(APIView):
    """POST /api/polls: a batch of polls as a JSON list of
    `{"store_id", "timestamp_utc", "status"}` or as a CSV body; stored all or
    nothing, idempotently (loading the same batch twice changes nothing)."""

    parser_classes = [SafeJSONParser, CsvTextParser]

    def post(self, request):
        if int(request.META.get("CONTENT_LENGTH") or 0) > POLLS_PUSH_MAX_BYTES:
            return Response(
                {"detail": f"Batch larger than {POLLS_PUSH_MAX_BYTES} bytes; split it or use manage.py load_data."},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        body = request.data
        try:
            if isinstance(body, str):
                result = polls_push(csv_text=body)
            elif isinstance(body, list):
                result = polls_push(items=body)
            else:
                return Response(
                    {"detail": 'Expected a JSON list of {"store_id", "timestamp_utc", "status"} objects.'},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        except RowsRejected as exc:
            return Response(
                {
                    "detail": f"{exc.rejected} bad row(s); nothing was stored.",
                    "errors": RowErrorSerializer(exc.errors, many=True).data,
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        except BadFile as exc:
            return Response({"detail": exc.reason}, status=status.HTTP_400_BAD_REQUEST)
        return Response(PollPushResultSerializer(result).data, status=status.HTTP_200_OK)
