"""Unknown keys of a JSON body are refused, for the brand administration's request bodies.

The project's own version is loopmonitor.api.KnownFieldsOnly, which every other app adopts;
brands imports no first-party package (brands/tests/test_boundary.py), so it carries this twin.
loopmonitor/tests/test_known_fields.py holds the two to the same answers, word for word.
"""

import difflib
import re
from collections.abc import Iterable, Mapping

from rest_framework import serializers

FIELD_NAME_SHOWN = 64


def unknown_fields(data: Mapping, known: Iterable[str]) -> dict[str, str]:
    """{key: why} for every key of `data` that is none of `known` (loopmonitor.api.unknown_fields)."""
    expected = list(known)
    return {str(key)[:FIELD_NAME_SHOWN]: _reason(str(key), expected) for key in data if key not in expected}


def _reason(key: str, expected: list[str]) -> str:
    shown = key[:FIELD_NAME_SHOWN]
    squeezed = _squeeze(key)
    meant = next((name for name in expected if _squeeze(name) == squeezed), None)
    if meant is None:
        matches = difflib.get_close_matches(key.lower(), expected, n=1, cutoff=0.6)
        starting = [name for name in expected if len(squeezed) >= 3 and _squeeze(name).startswith(squeezed)]
        meant = matches[0] if matches else starting[0] if len(starting) == 1 else None
    if meant:
        return f"unknown field {shown!r} (did you mean {meant!r}?)"
    return f"unknown field {shown!r} (expected {', '.join(expected) or 'none'})"


def _squeeze(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


# A request body's serializer that refuses keys it has no writable field for, listed with the other
# field errors (a comment, not a docstring: drf-spectacular would publish it for every subclass).
class KnownFieldsOnly(serializers.Serializer):
    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping) and not hasattr(data, "getlist"):
            unknown = unknown_fields(data, [name for name, field in self.fields.items() if not field.read_only])
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not unknown or not isinstance(exc.detail, dict):
                raise
            raise serializers.ValidationError({**_listed(unknown), **exc.detail}) from None
        if unknown:
            raise serializers.ValidationError(_listed(unknown))
        return value


def _listed(reasons: dict[str, str]) -> dict[str, list[str]]:
    return {key: [reason] for key, reason in reasons.items()}
