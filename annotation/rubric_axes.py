"""The axes of a rubric, kept in memory for a minute: every hand-out and submit needs them.

A rubric in use never changes (rubric_import refuses), so a cached copy can only
be stale while a rubric is unused, and then for at most TTL_SECONDS in another
process; this process drops its copy when it changes a rubric.
"""

import time

from annotation.models import RubricAxis

TTL_SECONDS = 60
_cache = {}


def rubric_axes(rubric):
    """The rubric's axes in order, as a tuple of RubricAxis."""
    key = (rubric.pk, rubric.created_at)
    hit = _cache.get(key)
    now = time.monotonic()
    if hit is None or now - hit[0] > TTL_SECONDS:
        hit = (now, tuple(RubricAxis.objects.filter(rubric_id=rubric.pk).order_by("position", "id")))
        _cache[key] = hit
    return hit[1]


def rubric_axes_forget(rubric):
    _cache.pop((rubric.pk, rubric.created_at), None)
