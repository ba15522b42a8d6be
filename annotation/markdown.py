"""Markdown to safe HTML, for every text a page shows as Markdown: LLM prompts and answers on the rating pages,
campaign and rubric descriptions, dataset cards.

markdown-it-py parses CommonMark with raw HTML off (``<script>`` in a text is text), plus GFM tables and
strikethrough, since LLM answers use them; a single line break is a line break, as in chat interfaces. Images
are not loaded (``![alt](url)`` stays a link: a rating page fetches nothing a model wrote). nh3 then keeps
only the tags and attributes Markdown makes, links only to http(s), mailto or relative addresses, each
opening in a new tab with ``rel="noopener noreferrer nofollow"``.
"""

from dataclasses import dataclass

import nh3
from django.utils.html import escape
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "div", "table", "thead", "tbody", "tr", "th", "td",
}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"style"}, "td": {"style"}}
CLASSES = {"div": {"table-scroll"}, "table": {"data-table"}, "pre": {"code"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"

_parser = (MarkdownIt("commonmark", {"html": False, "breaks": True})
           .enable(["table", "strikethrough"]).disable("image"))
_parser.add_render_rule(
    "table_open", lambda *args: '<div class="table-scroll"><table class="data-table">\n')
_parser.add_render_rule("table_close", lambda *args: "</table></div>\n")
_parser.add_render_rule(
    "fence", lambda self, tokens, index, *args: f'<pre class="code"><code>{escape(tokens[index].content)}</code></pre>\n')
_parser.add_render_rule(
    "code_block", lambda self, tokens, index, *args: f'<pre class="code"><code>{escape(tokens[index].content)}</code></pre>\n')


def render_markdown(text, heading_level=0):
    """Safe HTML for the Markdown ``text``, marked safe.

    ``heading_level`` is the level of the heading the text sits under on its page: the text's own headings
    start one below it (``#`` is ``<h{heading_level + 1}>``, never deeper than h6), so a model's ``# Title``
    does not become a second h1 of the page.
    """
    tokens = _parser.parse(text or "")
    _shift_headings(tokens, heading_level)
    _drop_empty_table_heads(tokens)
    html = _parser.renderer.render(tokens, _parser.options, {})
    return mark_safe(nh3.clean(
        html, tags=TAGS, attributes=ATTRIBUTES, allowed_classes=CLASSES, url_schemes=URL_SCHEMES, link_rel=LINK_REL,
        set_tag_attribute_values={"a": {"target": "_blank"}}, filter_style_properties={"text-align"},
    ))


def _shift_headings(tokens, heading_level):
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + heading_level, 6)}"


def _drop_empty_table_heads(tokens):
    """A table whose header cells are all empty (``| | |``, a table of keys and values) gets no header row."""
    index = 0
    while index < len(tokens):
        if tokens[index].type == "thead_open":
            end = next(at for at in range(index, len(tokens)) if tokens[at].type == "thead_close")
            if not any(token.type == "inline" and token.content.strip() for token in tokens[index:end]):
                del tokens[index:end + 1]
                continue
        index += 1


@dataclass(frozen=True)
class RenderedDocument:
    front_matter: str  # the YAML front matter without its --- lines; "" when there is none
    html: str


def split_front_matter(text):
    """(front matter without its --- lines, the rest) of a document; empty front matter when there is none."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return text[4:end], text[end + 5:]
    return "", text


def render_document(text, heading_level=1):
    """A Markdown document with YAML front matter (a dataset card): the front matter apart, the rest as HTML
    whose headings start below the page's h1."""
    front, body = split_front_matter(text or "")
    return RenderedDocument(front, render_markdown(body, heading_level))
