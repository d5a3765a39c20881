"""Shapes of the stores API's answers (data only; the work is in stores/services.py)."""

from rest_framework import serializers


class PollPushResultSerializer(serializers.Serializer):
    """What a pushed batch of polls did: `received` rows, `inserted` new polls,
    `updated` polls turned inactive (SEMANTICS.md rule 7), `duplicates` rows that
    changed nothing, `stores_touched` distinct stores in the batch."""

    received = serializers.IntegerField(source="rows_read")
    inserted = serializers.IntegerField()
    updated = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    stores_touched = serializers.IntegerField()


class RowErrorSerializer(serializers.Serializer):
    """One bad row: `index` is the 0-based item of a JSON batch, or the line of a CSV body."""

    index = serializers.IntegerField(source="line")
    field = serializers.CharField()
    reason = serializers.CharField()
