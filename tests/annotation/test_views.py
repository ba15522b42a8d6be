"""The web pages: landing page counts, campaign and rubric pages, the rubric form, sign-in, languages."""

import json
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotation.models import Campaign, CampaignMembership, Item, LanguageModel, Prompt, Rating, Response, Rubric
from annotation.services import responses_import
from judging.services import verdicts_import

QUALITY_AXES = ("relevance", "fluency", "accuracy", "detail", "overall")


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    return path


def import_rated_campaign(tmp_path, slug, prompts=3):
    """LLM-jp layout: `prompts` prompts answered by model-a and model-b; two external annotators rate model-a."""
    records = [
        {
            "id": f"{slug}-q{number}",
            "turns": [{
                "prompt": f"質問{number}",
                "responses": {
                    "model-a": {"response": f"回答A{number}", "human_evals": {axis: [4, 5] for axis in QUALITY_AXES}},
                    "model-b": {"response": f"回答B{number}"},
                },
            }],
        }
        for number in range(1, prompts + 1)
    ]
    responses_import(path=write_jsonl(tmp_path / f"{slug}.jsonl", records), campaign_slug=slug)
    verdicts = [
        {"prompt_id": f"{slug}-q1", "model": "model-a", "scores": {axis: 4 for axis in QUALITY_AXES}},
        {"prompt_id": f"{slug}-q1", "model": "model-b", "scores": {axis: 2 for axis in QUALITY_AXES}},
        {"prompt_id": f"{slug}-q2", "model": "model-a", "scores": {axis: 5 for axis in QUALITY_AXES}},
    ]
    verdicts_import(path=write_jsonl(tmp_path / f"{slug}-verdicts.jsonl", verdicts), campaign_slug=slug,
                    judge_name=f"{slug}-judge")
    return Campaign.objects.get(slug=slug)


@pytest.fixture
def rated_campaign(db, tmp_path):
    campaign = import_rated_campaign(tmp_path, "jp-quality")
    campaign.name = "日本語品質評価"
    campaign.save()
    return campaign


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The real hasher takes a large part of a second per user; these tests are not about password strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("sara", "sara@example.org", "sara-password")


def counts_in_row(html, marker):
    """The data-count cells of the table row (or stat list) that follows ``marker`` in the page."""
    section = html.split(marker, 1)[1]
    counts = {}
    for name in ("prompts", "models", "items", "ratings", "annotators", "verdicts"):
        attribute = f'data-count="{name}">'
        if attribute in section:
            counts[name] = int(section.split(attribute, 1)[1].split("<", 1)[0])
    return counts


# Landing page


def test_landing_page_lists_each_campaign_with_its_counts(client, rated_campaign, quality_rubric, superuser):
    client.force_login(superuser)  # sees every campaign
    Campaign.objects.create(slug="pilot", name="予備調査", rubric=quality_rubric)

    html = client.get(reverse("home")).content.decode()

    assert "日本語品質評価" in html and "予備調査" in html
    assert counts_in_row(html, 'data-campaign="jp-quality"') == {
        "prompts": 3, "models": 2, "items": 6, "ratings": 6, "annotators": 2, "verdicts": 3,
    }
    assert counts_in_row(html, 'data-campaign="pilot"') == {
        "prompts": 0, "models": 0, "items": 0, "ratings": 0, "annotators": 0, "verdicts": 0,
    }
    assert reverse("campaign_detail", args=["jp-quality"]) in html


def test_landing_page_query_count_does_not_grow_with_campaigns(client, superuser, tmp_path,
                                                                django_assert_max_num_queries):
    client.force_login(superuser)
    import_rated_campaign(tmp_path, "first")
    with CaptureQueriesContext(connection) as one_campaign:
        client.get(reverse("home"))
    for slug in ("second", "third", "fourth"):
        import_rated_campaign(tmp_path, slug)

    with django_assert_max_num_queries(len(one_campaign.captured_queries)):
        response = client.get(reverse("home"))

    assert response.content.decode().count("data-campaign=") == 4


def test_landing_page_without_campaigns_explains_how_to_create_one(client, lead):
    client.force_login(lead)
    html = client.get(reverse("home")).content.decode()

    assert reverse("campaign_create") in html
    assert "import_responses" in html and "--campaign" in html and "--lead lena" in html


def test_landing_page_lists_only_the_campaigns_the_user_belongs_to(client, rated_campaign, quality_rubric,
                                                                   annotator, lead):
    Campaign.objects.create(slug="mine", name="私の調査", rubric=quality_rubric, created_by=lead)
    client.force_login(lead)
    html = client.get(reverse("home")).content.decode()
    assert 'data-campaign="mine"' in html and 'data-campaign="jp-quality"' not in html

    client.force_login(annotator)
    html = client.get(reverse("home")).content.decode()
    assert "data-campaign=" not in html and reverse("campaign_create") not in html
    assert reverse("dataset_list") in html


def test_anonymous_visitors_are_sent_to_sign_in_where_the_datasets_are_linked(client, rated_campaign):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert client.get(rated_campaign.get_absolute_url()).status_code == 302
    sign_in = client.get(response.url).content.decode()
    assert reverse("dataset_list") in sign_in and "日本語品質評価" not in sign_in


# Campaign page


def test_campaign_page_shows_rubric_axes_and_counts_per_model(client, rated_campaign, superuser):
    client.force_login(superuser)
    html = client.get(rated_campaign.get_absolute_url()).content.decode()

    assert "日本語品質評価" in html
    for label in ("関連性", "Relevance", "流暢性", "総合評価"):
        assert label in html
    assert counts_in_row(html, 'data-model="model-a"') == {"items": 3, "ratings": 6, "annotators": 2, "verdicts": 2}
    assert counts_in_row(html, 'data-model="model-b"') == {"items": 3, "ratings": 0, "annotators": 0, "verdicts": 1}


def test_pairwise_campaign_counts_an_item_for_both_models(client, rated_campaign, superuser):
    client.force_login(superuser)
    pairwise = Rubric.objects.create(key="ab-test", name="A/B", kind=Rubric.Kind.PAIRWISE, verdicts=["A", "B", "tie"])
    campaign = Campaign.objects.create(slug="ab", name="一対比較", rubric=pairwise)
    for item in Item.objects.filter(campaign=rated_campaign, response__model__name="model-a"):
        response_b = item.response.prompt.responses.get(model__name="model-b")
        Item.objects.create(campaign=campaign, response=item.response, response_b=response_b)

    html = client.get(campaign.get_absolute_url()).content.decode()

    assert counts_in_row(html, "<ul class=\"stat-row\">")["models"] == 2
    assert counts_in_row(html, 'data-model="model-a"')["items"] == 3
    assert counts_in_row(html, 'data-model="model-b"')["items"] == 3


def test_an_empty_campaign_points_its_lead_to_the_upload_not_to_the_command_line(client, campaign, lead, researcher):
    client.force_login(lead)
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert "下の欄から応答のファイルをアップロードしてください" in page and 'id="upload-file"' in page
    assert "manage.py" not in page
    manage = client.get(reverse("campaign_manage", args=[campaign.slug])).content.decode()
    assert f'href="{campaign.get_absolute_url()}#upload"' in manage

    CampaignMembership.objects.create(campaign=campaign, user=researcher, role=CampaignMembership.Role.RESEARCHER)
    client.force_login(researcher)  # may read the campaign, may not upload to it
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert "まだ応答がありません。" in page and "アップロード" not in page and "manage.py" not in page


def test_a_campaign_with_items_but_no_batches_says_to_cut_them(client, rated_campaign, lead):
    Campaign.objects.filter(pk=rated_campaign.pk).update(created_by=lead)
    client.force_login(lead)
    manage = client.get(reverse("campaign_manage", args=[rated_campaign.slug])).content.decode()
    assert "まだバッチがありません。" in manage and 'data-empty="items"' not in manage


def test_unknown_campaign_is_not_found(client, superuser):
    client.force_login(superuser)
    assert client.get(reverse("campaign_detail", args=["missing"])).status_code == 404


# Languages


def test_pages_are_japanese_by_default_and_english_after_switching(client, rated_campaign, superuser):
    client.force_login(superuser)
    html = client.get(reverse("home")).content.decode()
    assert '<html lang="ja">' in html
    assert "評価キャンペーン" in html and "ログアウト" in html

    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert response.status_code == 302

    html = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in html
    assert "Campaigns" in html and "Sign out" in html
    assert "評価キャンペーン" not in html


# Sign-in and sign-out


def test_sign_in_and_out(client, annotator):
    assert "ユーザー名" in client.get(reverse("login")).content.decode()

    response = client.post(reverse("login"), {"username": "alice", "password": "alice-password"})
    assert response.status_code == 302 and response.url == reverse("home")
    assert "alice" in client.get(reverse("home")).content.decode()

    client.post(reverse("logout"))
    assert "ログアウト" not in client.get(reverse("home")).content.decode()


def test_wrong_password_is_refused_with_a_message(client, annotator):
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})

    assert response.status_code == 200
    assert "正しいユーザー名とパスワードを入力してください" in response.content.decode()


# Rubric pages


def test_rubric_pages_show_axes_with_both_labels_and_point_descriptors(client, quality_rubric, annotator):
    client.force_login(annotator)
    listing = client.get(reverse("rubric_list")).content.decode()
    assert "quality-5x5" in listing and "safety-5" in listing

    html = client.get(reverse("rubric_detail", args=["quality-5x5"])).content.decode()
    assert "関連性" in html and "Relevance" in html
    assert "質問に的確に答え、明示的な要求をすべて満たしている。" in html
    assert "Answers the prompt squarely and meets every explicit requirement." in html


def test_only_leads_see_the_new_rubric_button(client, lead, annotator):
    client.force_login(annotator)
    assert reverse("rubric_create") not in client.get(reverse("rubric_list")).content.decode()
    client.force_login(lead)
    assert reverse("rubric_create") in client.get(reverse("rubric_list")).content.decode()


# The rubric form


def rubric_form_data(key="summeval-4", kind="likert", axes=(), initial_axes=0, **fields):
    data = {
        "key": key, "name": "SummEval 4 axes", "kind": kind, "description": "", "verdicts": "",
        "axes-TOTAL_FORMS": str(len(axes)), "axes-INITIAL_FORMS": str(initial_axes),
        "axes-MIN_NUM_FORMS": "0", "axes-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    for index, axis in enumerate(axes):
        data.update({f"axes-{index}-{name}": value for name, value in axis.items()})
    return data


def axis_data(key="coherence", **fields):
    data = {
        "key": key, "label_ja": "一貫性", "label_en": "Coherence",
        "criterion_ja": "文章全体がまとまっているか。", "criterion_en": "The text hangs together.",
        "min_score": "1", "max_score": "5",
        "points": "5: よくまとまっている | Well organised\n1：まとまりがない｜Incoherent",
    }
    data.update(fields)
    return data


def test_lead_creates_a_likert_rubric_with_axes_and_point_descriptors(client, lead):
    client.force_login(lead)
    axes = [axis_data(), axis_data(key="fluency", label_ja="流暢性", label_en="", points="3: 普通")]

    response = client.post(reverse("rubric_create"), rubric_form_data(axes=axes))

    assert response.status_code == 302 and response.url == reverse("rubric_detail", args=["summeval-4"])
    rubric = Rubric.objects.get(key="summeval-4")
    assert [axis.key for axis in rubric.axes.order_by("position")] == ["coherence", "fluency"]
    coherence, fluency = rubric.axes.order_by("position")
    assert coherence.points == {"1": {"ja": "まとまりがない", "en": "Incoherent"},
                                "5": {"ja": "よくまとまっている", "en": "Well organised"}}
    assert (fluency.label_en, fluency.points) == ("流暢性", {"3": {"ja": "普通", "en": "普通"}})
    assert "summeval-4" in client.get(response.url).content.decode()


def test_lead_creates_a_pairwise_rubric_from_comma_separated_verdicts(client, lead):
    client.force_login(lead)

    response = client.post(reverse("rubric_create"),
                           rubric_form_data(key="context-ab", kind="pairwise", verdicts="A, B、both , neither"))

    assert response.status_code == 302
    rubric = Rubric.objects.get(key="context-ab")
    assert (rubric.kind, rubric.verdicts, rubric.axes.count()) == ("pairwise", ["A", "B", "both", "neither"], 0)


def test_an_extra_blank_axis_form_is_ignored(client, lead):
    client.force_login(lead)
    blank = {"min_score": "1", "max_score": "5"}

    client.post(reverse("rubric_create"), rubric_form_data(axes=[axis_data(), blank]))

    assert Rubric.objects.get(key="summeval-4").axes.count() == 1


@pytest.mark.parametrize("axis, field, words", [
    ({"min_score": "5", "max_score": "3"}, "axes[0].max", "must be above min (5), got 3"),
    ({"points": "9: 範囲外 | out of range"}, "axes[0].points.9", "score 9 is outside 1..5"),
    ({"key": "Has Spaces"}, "axes[0].key", "must be lowercase letters"),
    ({"label_ja": "", "label_en": ""}, "axes[0].label", "is required"),
])
def test_a_bad_axis_is_reported_by_field_and_nothing_is_written(client, lead, axis, field, words):
    client.force_login(lead)

    response = client.post(reverse("rubric_create"), rubric_form_data(axes=[axis_data(**axis)]))

    html = response.content.decode()
    assert response.status_code == 200
    assert field in html and words in html
    assert not Rubric.objects.filter(key="summeval-4").exists()


def test_a_bad_rubric_key_is_reported_on_the_key_field(client, lead):
    client.force_login(lead)

    response = client.post(reverse("rubric_create"), rubric_form_data(key="Summ Eval", axes=[axis_data()]))

    html = unescape(response.content.decode())
    assert "キー (key): 'Summ Eval' must be lowercase letters" in html
    assert not Rubric.objects.filter(is_builtin=False).exists()  # only the built-in ones


def test_a_likert_rubric_without_axes_is_refused(client, lead):
    client.force_login(lead)

    response = client.post(reverse("rubric_create"), rubric_form_data(axes=[]))

    assert "a likert rubric needs a non-empty list of axes" in response.content.decode()
    assert not Rubric.objects.filter(key="summeval-4").exists()


def test_a_malformed_point_line_says_how_to_write_it(client, lead):
    client.force_login(lead)

    response = client.post(reverse("rubric_create"),
                           rubric_form_data(axes=[axis_data(points="5: 良い | Good\nとても良い")]))

    assert "2行目" in response.content.decode()
    assert not Rubric.objects.filter(key="summeval-4").exists()


def test_a_new_rubric_cannot_take_the_key_of_an_existing_one(client, lead):
    client.force_login(lead)

    response = client.post(reverse("rubric_create"), rubric_form_data(key="safety-5", axes=[axis_data()]))

    assert "このキーのルーブリックはすでにあります" in response.content.decode()
    assert Rubric.objects.get(key="safety-5").axes.first().key != "coherence"


@pytest.fixture
def custom_rubric(client, lead):
    client.force_login(lead)
    client.post(reverse("rubric_create"), rubric_form_data(axes=[axis_data()]))
    return Rubric.objects.get(key="summeval-4")


def test_lead_edits_an_unused_rubric(client, custom_rubric):
    form_page = client.get(reverse("rubric_edit", args=["summeval-4"])).content.decode()
    assert 'value="一貫性"' in form_page and "5: よくまとまっている | Well organised" in form_page

    edited = rubric_form_data(axes=[axis_data(label_ja="首尾一貫性", max_score="7")], initial_axes=1)
    response = client.post(reverse("rubric_edit", args=["summeval-4"]), edited)

    assert response.status_code == 302
    axis = custom_rubric.axes.get()
    assert (axis.label_ja, axis.max_score) == ("首尾一貫性", 7)


def test_lead_removes_an_axis_with_the_delete_box(client, custom_rubric):
    axes = [axis_data(), axis_data(key="fluency")]
    client.post(reverse("rubric_edit", args=["summeval-4"]), rubric_form_data(axes=axes, initial_axes=1))
    assert custom_rubric.axes.count() == 2

    axes[1]["DELETE"] = "on"
    client.post(reverse("rubric_edit", args=["summeval-4"]), rubric_form_data(axes=axes, initial_axes=2))

    assert [axis.key for axis in custom_rubric.axes.all()] == ["coherence"]


def test_editing_a_used_rubric_is_refused_with_the_reason(client, custom_rubric, annotator):
    make_rubric_used(custom_rubric, annotator)

    edited = rubric_form_data(axes=[axis_data(label_ja="首尾一貫性")], initial_axes=1)
    response = client.post(reverse("rubric_edit", args=["summeval-4"]), edited)

    html = response.content.decode()
    assert response.status_code == 200
    assert "already has ratings or verdicts, so it is never changed in place" in html
    assert custom_rubric.axes.get().label_ja == "一貫性"


def test_a_used_rubric_can_be_saved_as_a_new_version(client, custom_rubric, annotator):
    make_rubric_used(custom_rubric, annotator)

    edited = rubric_form_data(key="summeval-4-v2", axes=[axis_data(label_ja="首尾一貫性")], initial_axes=1)
    client.post(reverse("rubric_edit", args=["summeval-4"]), edited)

    assert Rubric.objects.get(key="summeval-4-v2").axes.get().label_ja == "首尾一貫性"
    assert custom_rubric.axes.get().label_ja == "一貫性"


def test_editing_a_builtin_rubric_is_refused(client, lead):
    client.force_login(lead)

    response = client.post(reverse("rubric_edit", args=["safety-5"]),
                           rubric_form_data(key="safety-5", axes=[axis_data()], initial_axes=1))

    assert "rubric safety-5 is built in and cannot be changed" in response.content.decode()


def make_rubric_used(rubric, annotator):
    """One rating on one item of a campaign that uses the rubric."""
    campaign = Campaign.objects.create(slug="summeval", name="SummEval", rubric=rubric)
    prompt = Prompt.objects.create(external_id="s1", turns=["要約してください"])
    response = Response.objects.create(prompt=prompt, model=LanguageModel.objects.create(name="m"), turns=["要約"])
    item = Item.objects.create(campaign=campaign, response=response)
    Rating.objects.create(item=item, annotator=annotator.annotator)


# Who may define rubrics


@pytest.mark.parametrize("url", ["/rubrics/new/", "/rubrics/quality-5x5/edit/"])
def test_anonymous_users_are_sent_to_sign_in(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("url", ["/rubrics/new/", "/rubrics/quality-5x5/edit/"])
def test_users_who_are_not_leads_get_403(client, annotator, researcher, url):
    for user in (annotator, researcher):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, rubric_form_data(axes=[axis_data()])).status_code == 403
    assert not Rubric.objects.filter(key="summeval-4").exists()


def test_superusers_may_define_rubrics(client, superuser):
    client.force_login(superuser)

    assert client.get(reverse("rubric_create")).status_code == 200


def test_failed_judge_calls_are_not_counted_as_verdicts(db, quality_rubric):
    from annotation.models import Campaign, CampaignMembership, Item, LanguageModel, Prompt, Response
    from annotation.selectors import SCORED_VERDICTS, campaign_summaries
    from judging.models import JudgeConfig, Verdict

    campaign = Campaign.objects.create(slug="judged", name="judged", rubric=quality_rubric)
    response = Response.objects.create(prompt=Prompt.objects.create(external_id="q", turns=["質問"]),
                                       model=LanguageModel.objects.create(name="m"), turns=["答え"])
    item = Item.objects.create(campaign=campaign, response=response)
    judge = JudgeConfig.objects.create(name="imported", rubric=quality_rubric, is_external=True)
    Verdict.objects.create(judge=judge, item=item, sample=0, parse_status=Verdict.ParseStatus.IMPORTED)
    Verdict.objects.create(judge=judge, item=item, sample=1, parse_status=Verdict.ParseStatus.PARSE_ERROR)
    assert campaign_summaries(Campaign.objects.filter(pk=campaign.pk))[0].verdicts == 1
    assert set(SCORED_VERDICTS) == set(Verdict.SCORED)


def test_the_lead_finds_the_report_and_the_judge_jobs_from_the_campaign_page(client, campaign, lead):
    client.force_login(lead)
    page = client.get(f"/campaigns/{campaign.slug}/").content.decode()
    assert f"/campaigns/{campaign.slug}/report/" in page and f"/campaigns/{campaign.slug}/judging/" in page
    assert f"/campaigns/{campaign.slug}/releases/" in page and 'href="/datasets/"' in page
