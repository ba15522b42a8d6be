"""A small, safe Markdown renderer for dataset cards: the subset the cards use, and no raw HTML ever.

Every piece of text is HTML-escaped before any markup is added, so a title or description with
``<script>`` shows as text. Supported: YAML front matter (returned apart), headings (one level down, so
the page keeps its own h1), paragraphs, ``-`` lists with one level of nesting, pipe tables, fenced code
blocks, and inline code, bold and links to http(s) or relative addresses (other links stay text).
"""

import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import mark_safe

HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
LIST_ITEM = re.compile(r"^( *)[-*]\s+(.*)$")
TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
INLINE = re.compile(r"`([^`]+)`|\*\*(.+?)\*\*|\[([^\]]+)\]\(([^)\s]+)\)")
SAFE_LINK = re.compile(r"^(https?://|/|#|\./|[\w.-]+(/|$))", re.IGNORECASE)


@dataclass(frozen=True)
class RenderedCard:
    front_matter: str
    html: str


def split_front_matter(text):
    """(front matter without its --- lines, the rest) of a card; empty front matter when there is none."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return text[4:end], text[end + 5:]
    return "", text


def render_card(text):
    front, body = split_front_matter(text or "")
    return RenderedCard(front, mark_safe(render_markdown(body)))


def render_markdown(text):
    """HTML for ``text`` (see the module docstring); safe to mark safe."""
    lines = text.replace("\r\n", "\n").split("\n")
    html, index = [], 0
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
        elif line.startswith("```"):
            index = _code_block(lines, index, html)
        elif match := HEADING.match(line):
            level = min(len(match[1]) + 1, 6)
            html.append(f"<h{level}>{_inline(match[2])}</h{level}>")
            index += 1
        elif line.lstrip().startswith("|") and index + 1 < len(lines) and TABLE_SEPARATOR.match(lines[index + 1]):
            index = _table(lines, index, html)
        elif LIST_ITEM.match(line):
            index = _list(lines, index, html)
        else:
            index = _paragraph(lines, index, html)
    return "\n".join(html)


def _code_block(lines, index, html):
    end = index + 1
    while end < len(lines) and not lines[end].startswith("```"):
        end += 1
    html.append(f"<pre class=\"code\"><code>{escape(chr(10).join(lines[index + 1:end]))}</code></pre>")
    return end + 1


def _cells(line):
    line = line.strip()
    line = line[1:] if line.startswith("|") else line
    line = line[:-1] if line.endswith("|") and not line.endswith("\\|") else line
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line)]


def _table(lines, index, html):
    header = _cells(lines[index])
    rows, end = [], index + 2
    while end < len(lines) and lines[end].lstrip().startswith("|"):
        rows.append(_cells(lines[end]))
        end += 1
    head = "".join(f"<th scope=\"col\">{_inline(cell)}</th>" for cell in header)
    head = f"<thead><tr>{head}</tr></thead>" if any(header) else ""  # | | | heads a table of key and value
    body = "".join("<tr>" + "".join(f"<td>{_inline(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    html.append(f"<div class=\"table-scroll\"><table class=\"data-table\">{head}<tbody>{body}</tbody></table></div>")
    return end


def _list(lines, index, html):
    items, end = [], index
    while end < len(lines) and (match := LIST_ITEM.match(lines[end])):
        nested = len(match[1]) >= 2
        if nested and items:
            items[-1][1].append(_inline(match[2]))
        else:
            items.append((_inline(match[2]), []))
        end += 1
    parts = []
    for text, children in items:
        inner = "<ul>" + "".join(f"<li>{child}</li>" for child in children) + "</ul>" if children else ""
        parts.append(f"<li>{text}{inner}</li>")
    html.append("<ul>" + "".join(parts) + "</ul>")
    return end


def _paragraph(lines, index, html):
    end = index
    while end < len(lines) and lines[end].strip() and not (
            lines[end].startswith(("```", "#", "|")) or LIST_ITEM.match(lines[end])):
        end += 1
    end = max(end, index + 1)
    html.append("<p>" + " ".join(_inline(line.strip()) for line in lines[index:end]) + "</p>")
    return end


def _inline(text):
    """Escape ``text`` and mark up its code spans, bold runs and safe links."""
    parts, position = [], 0
    for match in INLINE.finditer(text):
        parts.append(escape(text[position:match.start()]))
        code, bold, label, href = match.groups()
        if code is not None:
            parts.append(f"<code>{escape(code)}</code>")
        elif bold is not None:
            parts.append(f"<strong>{escape(bold)}</strong>")
        elif SAFE_LINK.match(href):
            parts.append(f"<a href=\"{escape(href)}\" rel=\"nofollow noopener\">{escape(label)}</a>")
        else:
            parts.append(escape(match.group(0)))
        position = match.end()
    parts.append(escape(text[position:]))
    return "".join(parts)
