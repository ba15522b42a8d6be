"""Showing texts in templates: ``{% load texts %}``, then ``{{ text|markdown:3 }}`` (Markdown as safe HTML, headings
below an h3) or ``{{ text|raw_text }}`` (the text exactly as stored, for a ``<pre>``)."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from annotation.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text, heading_level=0):
    return render_markdown(text, int(heading_level))


@register.filter
def raw_text(text):
    """The text escaped for a ``<pre>`` so that the element's textContent is the text exactly: the HTML parser
    drops a newline right after ``<pre>`` and turns CR LF into LF, so one newline goes first and each CR is
    written as a character reference."""
    return mark_safe("\n" + escape(text or "").replace("\r", "&#13;"))
