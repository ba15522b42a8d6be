"""No user name, e-mail address or comment text in any file of a release (inside the zip and the Parquet
files too) unless the lead opted in to that field; annotators are per-release pseudonyms."""

import io
import zipfile

import pyarrow.parquet as pq
import pytest

from exports.privacy import pseudonyms
from exports.services import release_build, release_create, release_folder
from tests.exports.release_factories import (  # noqa: F401 (an autouse fixture)
    COMMENT_MARK, SECRET_USERS, VENDOR_HANDLE, few_bootstrap_replicates, rated_campaign,
)

USERNAMES = [name for name, _ in SECRET_USERS] + [VENDOR_HANDLE]
EMAILS = [email for _, email in SECRET_USERS]


def readable_text(name, data):
    """The text a reader could find in a file: Parquet decoded to its values, a zip's members recursively."""
    if name.endswith(".parquet"):
        return str(pq.read_table(io.BytesIO(data)).to_pylist())
    if name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as zipped:
            return "\n".join(readable_text(member, zipped.read(member)) for member in zipped.namelist())
    return data.decode("utf-8")


def everything_published(release):
    folder = release_folder(release)
    return {str(path.relative_to(folder)): readable_text(path.name, path.read_bytes())
            for path in folder.rglob("*") if path.is_file()}


def build(campaign, version, **opt_ins):
    release = release_create(campaigns=[campaign], version=version, queue=False, **opt_ins)
    return release_build(release_id=release.pk)


@pytest.mark.django_db
def test_nothing_personal_is_published_by_default():
    release = build(rated_campaign(), "1.0.0")
    published = everything_published(release)
    assert any("ann-" in text for text in published.values())
    for path, text in published.items():
        for secret in USERNAMES + EMAILS + [COMMENT_MARK, "@private.example"]:
            assert secret not in text, f"{secret} in {path}"


@pytest.mark.django_db
def test_each_field_is_published_only_when_the_lead_opts_in():
    campaign = rated_campaign()
    with_names = everything_published(build(campaign, "1.0.0", include_usernames=True))
    assert all(name in with_names["data/ratings.parquet"] for name in USERNAMES)
    assert all(name in with_names[f"{campaign.slug}-1.0.0.zip"] for name in USERNAMES)
    assert not any(email in text for email in EMAILS for text in with_names.values())
    assert not any(COMMENT_MARK in text for text in with_names.values())

    with_emails = everything_published(build(campaign, "1.0.1", include_emails=True))
    assert all(email in with_emails["data/ratings.jsonl"] for email in EMAILS)
    assert not any(COMMENT_MARK in text for text in with_emails.values())

    with_comments = everything_published(build(campaign, "1.0.2", include_comments=True))
    assert COMMENT_MARK in with_comments["data/ratings.csv"] and COMMENT_MARK in with_comments["data/items.parquet"]
    assert not any(secret in text for secret in USERNAMES + EMAILS for text in with_comments.values())


@pytest.mark.django_db
def test_pseudonyms_differ_between_releases_and_the_secret_is_never_published():
    campaign = rated_campaign()
    first, second = build(campaign, "1.0.0"), build(campaign, "2.0.0")
    names = [set(everything_published(r)["data/ratings.jsonl"].split('"annotator":"')[1:]) for r in (first, second)]
    first_names = {text[:12] for text in names[0]}
    second_names = {text[:12] for text in names[1]}
    assert len(first_names) == len(second_names) == 3
    assert not first_names & second_names
    assert first.secret not in str(everything_published(first))


def test_pseudonyms_are_keyed_hashes_that_lengthen_on_a_collision(monkeypatch):
    names = pseudonyms("secret", ["a", "b"])
    assert names == pseudonyms("secret", ["a", "b"]) != pseudonyms("other", ["a", "b"])
    assert all(len(name) == len("ann-") + 8 for name in names.values())
    monkeypatch.setattr("exports.privacy.SHORT_DIGITS", 0)  # every short name collides
    assert all(len(name) == len("ann-") + 16 for name in pseudonyms("secret", ["a", "b"]).values())
