"""papers/fixtures/venues.json: well-formed, and keyed the way papers.bibtex keys venues."""

import json
from pathlib import Path

import pytest

from papers.bibtex import venue_key_for

FIXTURE = Path(__file__).resolve().parents[2] / "papers" / "fixtures" / "venues.json"
REQUIRED_KEYS = [
    "conf/nips",
    "conf/icml",
    "conf/iclr",
    "conf/cvpr",
    "conf/iccv",
    "conf/eccv",
    "conf/aaai",
    "conf/acl",
    "conf/emnlp",
    "conf/naacl",
    "conf/ijcai",
    "conf/kdd",
    "conf/miccai",
    "conf/interspeech",
    "conf/icassp",
    "conf/uai",
    "conf/aistats",
    "conf/colt",
    "conf/corl",
    "conf/rss",
    "conf/icra",
    "conf/iros",
    "journals/corr",
    "journals/jmlr",
    "journals/tnn",
    "journals/pami",
    "journals/ijcv",
    "10.1038",
    "10.1126",
    "journals/tacl",
    "journals/cacm",
    "journals/neco",
    "journals/ml",
    "journals/tmlr",
]


@pytest.fixture(scope="module")
def venues():
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def test_fixture_rows_are_venues_with_consecutive_primary_keys(venues):
    assert [row["pk"] for row in venues] == list(range(1, len(venues) + 1))
    for row in venues:
        assert row["model"] == "papers.venue"
        assert set(row["fields"]) == {"key", "name", "short_name", "url"}
        assert row["fields"]["name"]
        assert len(row["fields"]["short_name"]) <= 50
        assert row["fields"]["url"] == "" or row["fields"]["url"].startswith("https://")


def test_fixture_has_every_required_venue_once(venues):
    keys = [row["fields"]["key"] for row in venues]

    assert len(keys) == len(set(keys))
    assert set(REQUIRED_KEYS) <= set(keys)


def test_neurips_entry():
    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))
    (neurips,) = [row["fields"] for row in rows if row["fields"]["key"] == "conf/nips"]

    assert neurips["name"] == "Neural Information Processing Systems"
    assert neurips["short_name"] == "NeurIPS"


def test_fixture_keys_are_what_papers_get_as_venue_key(venues):
    for row in venues:
        key = row["fields"]["key"]
        if key.startswith("10."):
            assert venue_key_for("somepaper2020", f"{key}/abc.123") == key
        else:
            assert venue_key_for(f"{key}/Smith20", "") == key
