"""A release keeps an empty answer: an empty string in the responses table (Parquet, JSON Lines, CSV), not a
missing value, and not dropped."""

import csv
import json

import pandas as pd
import pytest

from annotation.models import Response
from exports.models import Release
from exports.services import release_build, release_create, release_folder
from tests.exports.release_factories import few_bootstrap_replicates, rated_campaign  # noqa: F401 (autouse fixture)


@pytest.fixture
def built(db, settings, tmp_path):
    settings.RELEASES_ROOT = tmp_path / "releases"
    campaign = rated_campaign()
    empty = Response.objects.get(prompt__external_id="q1", model__name="model-b")  # rated, so in every table
    Response.objects.filter(pk=empty.pk).update(turns=["", "二つ目1"])
    release = release_build(release_id=release_create(campaigns=[campaign], version="1.0.0", queue=False).pk)
    assert release.build_status == Release.BuildStatus.SUCCEEDED, release.build_error
    return release_folder(release), str(empty.public_id), Response.objects.filter(items__campaign=campaign).count()


def test_the_responses_table_keeps_an_empty_answer_as_an_empty_string(built):
    folder, empty_id, responses = built

    parquet = pd.read_parquet(folder / "data/responses.parquet").set_index("response_id")
    assert len(parquet) == responses
    assert parquet.loc[empty_id, "response"] == "" and list(parquet.loc[empty_id, "turns"]) == ["", "二つ目1"]

    lines = [json.loads(line) for line in (folder / "data/responses.jsonl").read_text().splitlines()]
    row = next(line for line in lines if line["response_id"] == empty_id)
    assert len(lines) == responses and row["response"] == "" and row["turns"] == ["", "二つ目1"]

    with open(folder / "data/responses.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    row = next(row for row in rows if row["response_id"] == empty_id)
    assert len(rows) == responses and row["response"] == "" and json.loads(row["turns"]) == ["", "二つ目1"]
    raw = (folder / "data/responses.csv").read_text(encoding="utf-8")
    assert '"model-b","",' in next(line for line in raw.splitlines() if empty_id in line)  # quoted: not a null
