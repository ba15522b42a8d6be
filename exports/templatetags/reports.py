"""Report pages: ``{% load reports %}``, then ``{{ estimate.reason|reason }}`` shows why a figure is undefined in the
page's language (exports.reports.reasons)."""

from django import template

from exports.reports.reasons import translated_reason

register = template.Library()


@register.filter
def reason(text):
    return translated_reason(text)


@register.filter
def item(mapping, key):
    """``{{ row.standings|item:group }}``: a dict's entry under a key held in a variable (None if absent)."""
    return (mapping or {}).get(key)
