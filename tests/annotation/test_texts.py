"""How the pages show texts: prompts and answers as Markdown beside the raw text, an empty answer said to be
empty, campaign and rubric descriptions as Markdown. (The browser test, tests/browser/test_texts.py, checks what
runs and what the raw view shows.)"""

import re
from html import unescape

from django.conf import settings
from django.urls import reverse

from annotation.models import Campaign, Prompt, Response, Rubric

from .pairwise_factories import a_side, order_for
from .test_pages import alices_item, alices_pair, english, led, pair_team, running, team  # noqa: F401 (fixtures)

ANSWER = "## まとめ\n\n**春**は暖かい。\n\n---\n\n| 季節 | 気温 |\n|---|---|\n| 春 | 15 |\n\n<script>alert(1)</script>"


def page(client, item):
    return client.get(reverse("item_rate", args=[item.public_id])).content.decode()


def box(html, attributes):
    """The inside of the text box with these data attributes, up to the next box or the end of the texts."""
    return re.split(r'<div class="turn__text|</section>', html.split(attributes + ">", 1)[1], maxsplit=1)[0]


def test_an_answer_is_rendered_as_markdown_and_kept_exactly_for_the_raw_view(client, annotator, alices_item):
    Response.objects.filter(pk=alices_item.response_id).update(turns=[ANSWER])
    client.force_login(annotator)

    answer = box(page(client, alices_item), 'data-response-turn="1"')

    rendered, raw = answer.split("<pre", 1)
    assert "<strong>春</strong>" in rendered and "<hr>" in rendered and "<h5>まとめ</h5>" in rendered  # ## below the h3 label
    assert '<table class="data-table">' in rendered and "<td>15</td>" in rendered
    assert "<script>" not in answer and "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    assert 'class="raw-text" data-raw-text hidden>' in raw
    assert unescape(raw.split(">", 1)[1].split("</pre>", 1)[0]) == "\n" + ANSWER  # the first newline is eaten
    assert "data-toggle-raw" in page(client, alices_item) and "原文を表示" in page(client, alices_item)


def test_the_keyboard_help_names_the_raw_text_key(english, annotator, alices_item):
    english.force_login(annotator)
    html = unescape(page(english, alices_item))
    assert "<dt><kbd>R</kbd></dt><dd>Show the texts as written (raw Markdown) or formatted</dd>" in html


def test_an_empty_answer_is_marked_on_the_likert_page_turn_by_turn(client, annotator, alices_item):
    Prompt.objects.filter(pk=alices_item.response.prompt_id).update(turns=["一つ目の質問", "二つ目の質問"])
    Response.objects.filter(pk=alices_item.response_id).update(turns=["一つ目の答え", ""])
    client.force_login(annotator)

    html = page(client, alices_item)

    assert "（空の回答）" not in box(html, 'data-response-turn="1"')
    second = box(html, 'data-response-turn="2"')
    assert re.search(r'<p class="empty-text" data-empty-text role="note" aria-label="空の回答：モデルは何も出力していません">'
                     r"（空の回答）</p>", second)
    assert "data-rendered-text" not in second
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "(empty answer)" in box(page(client, alices_item), 'data-response-turn="2"')


def test_an_answer_of_white_space_only_is_marked_empty_too(client, annotator, alices_item):
    Response.objects.filter(pk=alices_item.response_id).update(turns=[" \n\n "])
    client.force_login(annotator)
    assert "（空の回答）" in box(page(client, alices_item), 'data-response-turn="1"')


def test_an_empty_answer_is_marked_on_the_pairwise_page_on_its_side(client, annotator, alices_pair):
    Response.objects.filter(pk=alices_pair.response_b_id).update(turns=["", "Bの二つ目"])
    client.force_login(annotator)

    html = page(client, alices_pair)

    b_on = "right" if a_side(order_for(alices_pair, annotator.annotator)) == "left" else "left"
    a_on = "left" if b_on == "right" else "right"
    assert "（空の回答）" in box(html, f'data-side="{b_on}" data-response-turn="1"')
    assert "（空の回答）" not in box(html, f'data-side="{a_on}" data-response-turn="1"')
    assert "（空の回答）" not in box(html, f'data-side="{b_on}" data-response-turn="2"')
    assert html.count("（空の回答）") == 1


def test_campaign_and_rubric_descriptions_are_markdown(client, annotator, led, team, alices_pair):
    Campaign.objects.filter(pk=led.pk).update(description="**手順**:\n\n1. 読む\n2. 評価する <img src=x>")
    Rubric.objects.filter(pk=alices_pair.campaign.rubric_id).update(description_ja="文脈を**よく**読んでください。")
    client.force_login(annotator)

    campaign_page = client.get(led.get_absolute_url()).content.decode()
    assert "<strong>手順</strong>" in campaign_page and "<li>評価する &lt;img src=x&gt;</li>" in campaign_page
    assert "<strong>よく</strong>" in page(client, alices_pair)


def in_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_pairwise_instruction_is_in_the_page_s_language_only(client, annotator, alices_pair):
    Rubric.objects.filter(pk=alices_pair.campaign.rubric_id).update(
        description_ja="文脈をよりよく反映している応答を選ぶ。", description_en="Choose the response that reflects the context.")
    client.force_login(annotator)

    japanese = page(client, alices_pair)
    assert "文脈をよりよく反映している応答を選ぶ。" in japanese and "Choose the response" not in japanese
    english_page = page(in_english(client), alices_pair)
    assert "Choose the response that reflects the context." in english_page
    assert "文脈をよりよく反映している応答を選ぶ。" not in english_page


def test_a_description_in_one_language_stands_in_for_the_other(client, annotator, alices_pair):
    Rubric.objects.filter(pk=alices_pair.campaign.rubric_id).update(description_ja="日本語だけの説明", description_en="")
    client.force_login(annotator)

    assert "日本語だけの説明" in page(in_english(client), alices_pair)
