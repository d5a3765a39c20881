"""Unknown keys of a JSON body are refused with the field they most likely meant, listed with every
other field error: loopmonitor.api's mechanism, and brands' twin of it (brands imports no
first-party package) held to the same answers, word for word."""

import pytest
from rest_framework import serializers

from brands import known_fields as brands_known_fields
from loopmonitor import api

IMPLEMENTATIONS = [
    pytest.param(api.unknown_fields, api.KnownFieldsOnly, id="loopmonitor.api"),
    pytest.param(brands_known_fields.unknown_fields, brands_known_fields.KnownFieldsOnly, id="brands.known_fields"),
]
KNOWN = ["as_of", "received_before", "store_ids", "brand"]


@pytest.mark.parametrize("unknown_fields, _", IMPLEMENTATIONS)
@pytest.mark.parametrize(
    "key, reason",
    [
        ("asof", "unknown field 'asof' (did you mean 'as_of'?)"),
        ("asOf", "unknown field 'asOf' (did you mean 'as_of'?)"),
        ("as-of", "unknown field 'as-of' (did you mean 'as_of'?)"),
        ("store_id", "unknown field 'store_id' (did you mean 'store_ids'?)"),
        ("recieved_before", "unknown field 'recieved_before' (did you mean 'received_before'?)"),
        ("received", "unknown field 'received' (did you mean 'received_before'?)"),
        ("colour", "unknown field 'colour' (expected as_of, received_before, store_ids, brand)"),
    ],
)
def test_an_unknown_key_is_named_with_the_field_it_most_likely_meant(unknown_fields, _, key, reason):
    assert unknown_fields({key: 1, "as_of": None}, KNOWN) == {key: reason}


@pytest.mark.parametrize("unknown_fields, _", IMPLEMENTATIONS)
def test_a_huge_key_is_named_by_its_first_64_characters(unknown_fields, _):
    key = "x" * 10_000

    [(named, reason)] = unknown_fields({key: 1}, KNOWN).items()

    assert named == "x" * 64
    assert len(reason) < 200


@pytest.mark.parametrize("unknown_fields, _", IMPLEMENTATIONS)
def test_known_keys_are_not_named(unknown_fields, _):
    assert unknown_fields(dict.fromkeys(KNOWN), KNOWN) == {}


def _serializer(mixin: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """A body of two fields (and a read-only one) checked by `mixin`."""
    return type(
        "Body",
        (mixin,),
        {
            "as_of": serializers.DateTimeField(),
            "brand": serializers.CharField(required=False),
            "made": serializers.CharField(read_only=True),
        },
    )


@pytest.mark.parametrize("_, mixin", IMPLEMENTATIONS)
def test_unknown_keys_are_listed_with_every_field_error_at_once(_, mixin):
    body = _serializer(mixin)(data={"asof": "2023-01-25T18:00:00Z", "brnd": "acme", "made": "x"})

    assert not body.is_valid()
    assert body.errors == {
        "asof": ["unknown field 'asof' (did you mean 'as_of'?)"],
        "brnd": ["unknown field 'brnd' (did you mean 'brand'?)"],
        # a read-only field is no field of a request either
        "made": ["unknown field 'made' (expected as_of, brand)"],
        "as_of": ["This field is required."],
    }


@pytest.mark.parametrize("_, mixin", IMPLEMENTATIONS)
def test_an_unknown_key_alone_is_refused_too(_, mixin):
    body = _serializer(mixin)(data={"as_of": "2023-01-25T18:00:00Z", "brand ": "acme"})

    assert not body.is_valid()
    assert body.errors == {"brand ": ["unknown field 'brand ' (did you mean 'brand'?)"]}


@pytest.mark.parametrize("_, mixin", IMPLEMENTATIONS)
def test_a_body_of_known_keys_is_valid(_, mixin):
    body = _serializer(mixin)(data={"as_of": "2023-01-25T18:00:00Z"})

    assert body.is_valid(), body.errors


def test_the_error_answer_names_each_unknown_key_in_detail():
    from rest_framework.exceptions import ValidationError

    answer = api.exception_handler(ValidationError({"asof": ["unknown field 'asof' (did you mean 'as_of'?)"]}), {})

    assert answer is not None
    assert answer.data["detail"] == "asof: unknown field 'asof' (did you mean 'as_of'?)"
