"""The page's placeholders show store ids of the sample that `make run` loads (data/), ids a
member of its brand `demo` can look up (issue 16)."""

import csv
import re
from pathlib import Path

from django.conf import settings

DATA = Path(settings.BASE_DIR) / "data"
INDEX = Path(settings.BASE_DIR) / "reports" / "templates" / "reports" / "index.html"


def _placeholder(element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*?placeholder="([^"]*)"', INDEX.read_text(), re.S)
    assert match is not None, element_id
    return match.group(1)


def test_the_store_id_placeholders_are_demo_stores_of_the_sample_with_polls():
    with (DATA / "stores.csv").open(newline="") as text:
        brands = {row["store_id"]: row["brand"] for row in csv.DictReader(text)}
    with (DATA / "store_status.csv").open(newline="") as text:
        polled = {row["store_id"] for row in csv.DictReader(text)}

    ids = re.split(r"[,\s]+", _placeholder("store-ids").strip()) + [_placeholder("store-id")]

    assert len(ids) == 3
    for store_id in ids:
        assert brands.get(store_id) == "demo", store_id
        assert store_id in polled, store_id
    search = _placeholder("store-search")
    assert any(store_id.startswith(search.split()[1]) for store_id in ids), search
