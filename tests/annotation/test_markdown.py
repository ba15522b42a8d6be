"""The one Markdown renderer (annotation.markdown): what a reader of a rendered text gets, and what never gets
through. No database."""

import re

import pytest

from annotation.markdown import render_document, render_markdown
from annotation.templatetags.texts import raw_text


def test_raw_html_is_text_never_markup():
    html = render_markdown('<script>document.title="x"</script>\n\n<img src=x onerror="alert(1)"> <b onclick=x>b</b>')
    assert set(re.findall(r"<(\w+)", html)) == {"p"}
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=" in html


@pytest.mark.parametrize("link", [
    "[x](javascript:alert(1))", "[x](JAVASCRIPT:alert(1))", "[x](java&#x73;cript:alert(1))", "[x](vbscript:msgbox)",
    "[x](data:text/html;base64,PHNjcmlwdD4=)", "<javascript:alert(1)>", "[x](file:///etc/passwd)",
])
def test_links_to_unsafe_schemes_are_not_links(link):
    html = render_markdown(link)
    assert "<a" not in html and "href" not in html


def test_safe_links_open_in_a_new_tab_without_an_opener():
    html = render_markdown("[公式](https://example.org/a?b=1&c=2) [相対](/datasets/x/) <https://example.com> "
                           "[メール](mailto:a@example.org)")
    links = re.findall(r"<a [^>]*>", html)
    assert len(links) == 4
    assert all('target="_blank"' in link and 'rel="noopener noreferrer nofollow"' in link for link in links)
    assert 'href="https://example.org/a?b=1&amp;c=2"' in html and 'href="/datasets/x/"' in html


def test_images_are_not_loaded_but_stay_reachable_as_links():
    html = render_markdown("![図](https://tracker.example/pixel.png)")
    assert "<img" not in html and '<a href="https://tracker.example/pixel.png"' in html and "図" in html


def test_gfm_tables_render_as_tables_with_their_alignment():
    html = render_markdown("| 季節 | 気温 |\n|:--|--:|\n| **春** | 15 |\n| 夏 | 30 |")
    assert '<table class="data-table">' in html and html.count("<tr>") == 3
    assert "<th>季節</th>" in html.replace(' style="text-align:left"', "")
    assert '<td style="text-align:right">30</td>' in html and "<strong>春</strong>" in html


def test_a_table_without_header_texts_has_no_header_row():
    html = render_markdown("| | |\n|---|---|\n| license | cc-by-4.0 |")
    assert "<thead>" not in html and "<td>license</td>" in html


def test_code_blocks_keep_their_text_escaped_and_unformatted():
    html = render_markdown("```python\nif a < b and **c**:\n    print('<b>')\n```\n\n    indented <i>\n\nInline `<x>` here")
    assert "<pre class=\"code\"><code>if a &lt; b and **c**:\n    print('&lt;b&gt;')\n</code></pre>" in html
    assert "indented &lt;i&gt;" in html and "<code>&lt;x&gt;</code>" in html and "<strong>" not in html


def test_what_llm_answers_use_renders():
    html = render_markdown("## 答え\n\n**春**は暖かい。\n次の行\n\n---\n\n1. 一つ目\n2. 二つ目\n\n- 点\n\n> 引用\n\n~~取り消し~~")
    assert "<strong>春</strong>" in html and "<hr>" in html and "<ol>" in html and "<ul>" in html
    assert "暖かい。<br>\n次の行" in html  # a single line break is a line break, as in chat interfaces
    assert "<blockquote>" in html and "<s>取り消し</s>" in html and "<h2>答え</h2>" in html


def test_headings_start_below_the_heading_the_text_sits_under():
    assert "<h4>見出し</h4>" in render_markdown("# 見出し", heading_level=3)
    assert "<h6>深い</h6>" in render_markdown("#### 深い", heading_level=3)  # never deeper than h6


def test_a_document_keeps_its_front_matter_apart():
    card = render_document("---\nlicense: cc-by-4.0\n---\n# Title\n")
    assert card.front_matter == "license: cc-by-4.0" and card.html.strip() == "<h2>Title</h2>"
    assert render_document("# No front matter").front_matter == ""


def test_empty_text_renders_as_nothing():
    assert render_markdown("") == "" and render_markdown(None) == ""


def test_the_raw_filter_survives_the_html_parser():
    # A <pre> drops the newline right after its start tag and turns CR LF into LF; the filter guards both.
    assert raw_text("\n行1\r\n<b>") == "\n\n行1&#13;\n&lt;b&gt;"
