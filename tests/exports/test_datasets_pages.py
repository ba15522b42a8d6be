"""The public datasets pages and downloads: what each reader may see, the card rendered safely, files served
only when they match their published SHA-256, and a withdrawn release explaining why."""

import hashlib
import re

import pytest
from django.urls import reverse

from exports.models import Release
from exports.services import release_build, release_create, release_folder, release_publish, release_withdraw
from tests.exports.release_factories import rated_campaign, few_bootstrap_replicates  # noqa: F401 (an autouse fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(lead):
    return rated_campaign(lead=lead)


def make(campaign, version, *, publish=True, **options):
    release = release_build(release_id=release_create(campaigns=[campaign], version=version, queue=False,
                                                      title=f"Title {version}", **options).pk)
    return release_publish(release=release) if publish else release


def download(client, release, path):
    response = client.get(reverse("dataset_file", args=[release.name, release.version, path]))
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def test_the_list_shows_published_releases_and_hides_drafts_withdrawn_and_restricted_ones(client, campaign, researcher):
    make(campaign, "1.0.0")
    make(campaign, "1.1.0", publish=False)
    release_withdraw(release=make(campaign, "0.9.0"), reason="Superseded by a fix.")
    make(campaign, "2.0.0", restricted=True)

    page = client.get(reverse("dataset_list")).content.decode()
    assert "Title 1.0.0" in page
    assert not any(f"Title {v}" in page for v in ("1.1.0", "0.9.0", "2.0.0"))

    client.force_login(researcher)
    page = client.get(reverse("dataset_list")).content.decode()
    assert "Title 1.0.0" in page and "Title 2.0.0" in page
    assert "Title 1.1.0" not in page and "Title 0.9.0" not in page


def test_the_release_page_shows_the_card_and_the_files_with_sizes_checksums_and_links(client, campaign):
    release = make(campaign, "1.0.0", description="<script>alert('x')</script> **大切な**説明")
    page = client.get(release.get_absolute_url()).content.decode()
    assert "<h3>Agreement among annotators</h3>" in page and "<table class=\"data-table\">" in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page and "<strong>大切な</strong>" in page
    for file in release.files.all():
        assert file.sha256 in page
        assert reverse("dataset_file", args=[release.name, release.version, file.path]) in page
    assert "license: cc-by-4.0" in page  # the front matter, shown apart


def test_files_download_with_their_published_bytes(client, campaign):
    release = make(campaign, "1.0.0")
    for path in ("data/ratings.parquet", "SHA256SUMS", f"{release.name}-{release.version}.zip"):
        response, body = download(client, release, path)
        assert response.status_code == 200
        assert hashlib.sha256(body).hexdigest() == release.files.get(path=path).sha256
        assert "attachment" in response["Content-Disposition"]
    assert download(client, release, "data/missing.csv")[0].status_code == 404


def test_a_tampered_file_is_refused_with_a_clear_message(client, campaign):
    release = make(campaign, "1.0.0")
    target = release_folder(release) / "data/ratings.csv"
    target.chmod(0o644)
    with open(target, "a") as handle:
        handle.write("extra,row\n")
    response, body = download(client, release, "data/ratings.csv")
    assert response.status_code == 409
    assert "does not match its published SHA-256" in response.json()["detail"]


def test_a_withdrawn_release_keeps_a_page_saying_why_and_serves_no_files(client, campaign):
    release = release_withdraw(release=make(campaign, "1.0.0"), reason="注釈者の一人が同意を取り消しました。")
    newer = make(campaign, "1.0.1")
    page = client.get(release.get_absolute_url()).content.decode()
    assert "注釈者の一人が同意を取り消しました。" in page and newer.get_absolute_url() in page
    assert reverse("dataset_file", args=[release.name, release.version, "README.md"]) not in page
    assert download(client, release, "README.md")[0].status_code == 410


def test_drafts_are_not_public_and_restricted_releases_need_a_researcher(client, campaign, researcher, annotator):
    draft = make(campaign, "1.0.0", publish=False)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert download(client, draft, "README.md")[0].status_code == 404

    restricted = make(campaign, "2.0.0", restricted=True)
    response = client.get(restricted.get_absolute_url())
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert download(client, restricted, "README.md")[0].status_code == 404
    client.force_login(annotator)
    assert client.get(restricted.get_absolute_url()).status_code == 404
    client.force_login(researcher)
    assert client.get(restricted.get_absolute_url()).status_code == 200
    assert download(client, restricted, "README.md")[0].status_code == 200


def test_the_card_renderer_escapes_html_and_links_only_safe_addresses():
    from annotation.markdown import render_document

    card = render_document("---\nlicense: cc-by-4.0\n---\n# T\n\n[ok](https://example.org) [bad](javascript:alert(1)) "
                           "<img src=x onerror=alert(1)>\n\n| a | b |\n|---|---|\n| `x` | **z** |\n\n- one\n  - nested\n")
    assert card.front_matter == "license: cc-by-4.0"
    assert '<a href="https://example.org" target="_blank" rel="noopener noreferrer nofollow">ok</a>' in card.html
    assert 'href="javascript' not in card.html and "<img" not in card.html and "&lt;img" in card.html
    assert "<h2>T</h2>" in card.html and "<strong>z</strong>" in card.html
    assert re.search(r"<li>one\s*<ul>\s*<li>nested</li>\s*</ul>\s*</li>", card.html)


def test_the_list_shows_each_release_s_judgments_and_items_as_its_kind_counts_them(client, campaign, tmp_path):
    from tests.exports.pairwise_factories import voted_campaign

    make(campaign, "1.0.0")
    pairwise = voted_campaign(tmp_path)
    release_publish(release=release_build(release_id=release_create(
        campaigns=[pairwise], version="1.0.0", queue=False, title="Pairs 1.0.0").pk))

    rows = {row.split("</a>")[0].rsplit(">", 1)[-1]: row
            for row in client.get(reverse("dataset_list")).content.decode().split("<tr>")[2:]}
    assert '<td class="number">110</td>' in rows["Title 1.0.0"]  # rating rows (item × annotator × axis)
    assert '<td class="number">12</td>' in rows["Title 1.0.0"]  # items, rated or not
    assert '<td class="number">45</td>' in rows["Pairs 1.0.0"]  # votes
    assert '<td class="number">18</td>' in rows["Pairs 1.0.0"]  # pairs voted on
