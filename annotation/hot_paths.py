"""The two calls an annotator makes for every rating, taken the short way.

Taking the next item (``POST /api/campaigns/<slug>/next/``) and submitting a rating
(``POST /api/items/<id>/rating/``) are what a campaign's throughput is made of. For a
token-authenticated client on PostgreSQL, the common case of each is answered here with
one SQL statement: for the next item, who is asking, hold-or-claim and the item's
content; for a submit, lock the slot, check the scores against the rubric, insert the
rating and its scores, fill the slot, drop the draft. Each is prepared once per
connection. No ORM and no DRF on the way, which is most of what a request otherwise costs.

Everything else is handed to the DRF view (annotation.api), which runs the workflow
service and gives the full answers and errors: a browser's session (and its CSRF check),
a bad or missing token, a revision, a repeated submit, a pairwise item, an item that takes
nothing now (annotation.accepting: a campaign not open, a closed batch), input that does not check out, SQLite. A statement that hands over has written nothing,
so the service sees the state the client saw. The same invariants hold either way: the
claim is the service's ``FOR UPDATE SKIP LOCKED`` query, a submit locks the slot row,
and the database's unique constraints stand behind both.
"""

import json
import uuid
from contextlib import nullcontext

import psycopg
from django.db import IntegrityError, connection, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt

from annotation import api
from annotation.accepting import accepting_sql, item_accepting_sql
from annotation.models import Rubric
from annotation.services.workflow import CLAIM_ATTEMPTS, FLAGS, claimable_conditions
from annotation.workflow_selectors import axes_for_display

# Who is asking (the token's annotator, a member of the campaign), then: the slot they already hold (first in
# hand-out order), its lease renewed; else, in pull mode, a free or expired slot claimed as workflow.CLAIM_SQL
# does; and what the rating page shows of its item. One row while the token and membership check out (its item
# columns empty when there is nothing to rate), none otherwise. `me` is read through scalar subqueries, which
# PostgreSQL runs once and then uses like parameters, so each step keeps its index plan.
NEXT_SQL = """
WITH me AS MATERIALIZED (
    SELECT a.id AS annotator, c.id AS campaign, c.slug, {campaign_accepting} AND r.kind = 'likert' AS open,
           c.mode = 'pull' AS pull, make_interval(mins => c.lease_minutes) AS lease, c.show_model_names,
           r.id AS rubric, r.created_at AS rubric_created, r.kind
    FROM authtoken_token t
    JOIN auth_user u ON u.id = t.user_id AND u.is_active
    JOIN annotation_annotator a ON a.user_id = u.id
    JOIN annotation_campaign c ON c.slug = %(slug)s
    JOIN annotation_rubric r ON r.id = c.rubric_id
    WHERE t.key = %(key)s
      AND EXISTS (SELECT 1 FROM annotation_campaignmembership m
                  WHERE m.campaign_id = c.id AND m.user_id = u.id AND m.role = 'annotator')
), held AS (
    SELECT s.id, s.item_id, s.assignment_id FROM annotation_itemslot s
    WHERE s.campaign_id = (SELECT campaign FROM me) AND s.annotator_id = (SELECT annotator FROM me)
      AND s.rating_id IS NULL AND (SELECT open FROM me) AND {item_accepting}
    ORDER BY s.position, s.id LIMIT 1
), renewed AS (
    UPDATE annotation_itemslot s SET lease_expires_at = %(now)s + (SELECT lease FROM me)
    FROM held WHERE s.id = held.id AND held.assignment_id IS NULL
), target AS (
    SELECT s.id FROM annotation_itemslot s
    WHERE (SELECT open AND pull FROM me) AND NOT EXISTS (SELECT 1 FROM held)
      AND s.campaign_id = (SELECT campaign FROM me) AND s.rating_id IS NULL
      AND {claimable}
    ORDER BY s.position, s.id
    LIMIT 1 FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE annotation_itemslot s SET annotator_id = (SELECT annotator FROM me),
                                     lease_expires_at = %(now)s + (SELECT lease FROM me), claimed_at = %(now)s
    FROM target WHERE s.id = target.id
    RETURNING s.item_id
), chosen AS (
    SELECT item_id, false AS new FROM held UNION ALL SELECT item_id, true FROM claimed
)
SELECT me.slug, me.show_model_names, me.rubric, me.rubric_created, me.kind,
       i.public_id, i.position, b.number, b.closed_at IS NOT NULL, p.turns, p.context, p.category, r.turns, m.name,
       d.scores, d.comment, d.flags, d.seconds_spent, d.updated_at, chosen.new,
       coalesce(tally.slots, 0), coalesce(tally.rated, 0), d.checks,
       (SELECT coalesce(json_agg(json_build_object('id', ci.id, 'text', ci.text) ORDER BY ci.position), '[]')
        FROM annotation_checklistitem ci WHERE ci.prompt_id = p.id)
FROM me
LEFT JOIN annotation_slottally tally ON tally.annotator_id = me.annotator AND tally.campaign_id = me.campaign
LEFT JOIN chosen ON true
LEFT JOIN annotation_item i ON i.id = chosen.item_id
LEFT JOIN annotation_response r ON r.id = i.response_id
LEFT JOIN annotation_prompt p ON p.id = r.prompt_id
LEFT JOIN annotation_languagemodel m ON m.id = r.model_id
LEFT JOIN annotation_batch b ON b.id = i.batch_id
LEFT JOIN annotation_draft d ON d.item_id = i.id AND d.annotator_id = me.annotator
""".replace("{claimable}", claimable_conditions("(SELECT annotator FROM me)", "postgresql")).replace(
    "{campaign_accepting}", accepting_sql("c")).replace("{item_accepting}", item_accepting_sql("s.item_id"))

# A first submit of a likert rating, or nothing (then the service takes it): the annotator's unrated slot on
# an item that takes ratings (annotation.accepting), locked; every axis of the rubric scored inside its range; the idempotency key unused.
SUBMIT_SQL = """
WITH me AS (
    SELECT a.id FROM authtoken_token t
    JOIN auth_user u ON u.id = t.user_id AND u.is_active
    JOIN annotation_annotator a ON a.user_id = u.id
    WHERE t.key = %(key)s
), slot AS (
    SELECT s.id, s.item_id, s.annotator_id, c.rubric_id FROM annotation_item i
    JOIN annotation_campaign c ON c.id = i.campaign_id
    JOIN annotation_rubric ru ON ru.id = c.rubric_id AND ru.kind = 'likert'
    JOIN annotation_itemslot s ON s.item_id = i.id AND s.rating_id IS NULL
    JOIN me ON s.annotator_id = me.id
    LEFT JOIN annotation_batch b ON b.id = i.batch_id
    WHERE i.public_id = %(item)s AND i.response_b_id IS NULL AND {accepting}
      AND EXISTS (SELECT 1 FROM annotation_campaignmembership m JOIN annotation_annotator a ON a.user_id = m.user_id
                  WHERE m.campaign_id = c.id AND a.id = me.id AND m.role = 'annotator')
    FOR UPDATE OF s
), given AS (
    SELECT * FROM unnest(%(axes)s::text[], %(scores)s::int[]) AS g(key, score)
), scored AS (
    SELECT x.id AS axis_id, g.score FROM slot
    JOIN annotation_rubricaxis x ON x.rubric_id = slot.rubric_id
    JOIN given g ON g.key = x.key AND g.score BETWEEN x.min_score AND x.max_score
), complete AS (
    SELECT slot.* FROM slot
    WHERE (SELECT count(*) FROM scored) = cardinality(%(axes)s::text[])
      AND (SELECT count(*) FROM annotation_rubricaxis x WHERE x.rubric_id = slot.rubric_id) = cardinality(%(axes)s::text[])
      AND NOT EXISTS (SELECT 1 FROM annotation_rating r
                      WHERE r.annotator_id = slot.annotator_id AND r.idempotency_key = %(idempotency_key)s)
), rating AS (
    INSERT INTO annotation_rating (public_id, item_id, annotator_id, verdict, position, comment, flags, seconds_spent,
                                   source, revision, idempotency_key, submitted_at)
    SELECT %(public_id)s, item_id, annotator_id, '', '', %(comment)s, %(flags)s::jsonb, %(seconds_spent)s,
           'web', 1, %(idempotency_key)s, %(now)s
    FROM complete
    RETURNING id, item_id, annotator_id
), scores AS (
    INSERT INTO annotation_ratingscore (rating_id, axis_id, score) SELECT rating.id, scored.axis_id, scored.score
    FROM rating, scored
), filled AS (
    UPDATE annotation_itemslot s SET rating_id = rating.id, lease_expires_at = NULL
    FROM rating, complete WHERE s.id = complete.id
), cleared AS (
    DELETE FROM annotation_draft d USING rating WHERE d.item_id = rating.item_id AND d.annotator_id = rating.annotator_id
)
SELECT id FROM rating
""".replace("{accepting}", accepting_sql("c", "b"))


def fetch_one(sql, params):
    """The first row of a statement run as a prepared statement of this connection.

    Django's cursors bind parameters on the client, so PostgreSQL plans every statement anew; planning these
    joins costs more than running them. A server-side prepared statement is planned once per connection
    (connections live for DATABASE_CONN_MAX_AGE seconds).
    """
    connection.ensure_connection()
    # Alone, a statement is its own transaction; inside one (a test's), a savepoint keeps a failure contained.
    with transaction.atomic() if connection.in_atomic_block else nullcontext():
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, prepare=True)
            return cursor.fetchone()


def token_of(request):
    """The key of an ``Authorization: Token KEY`` header, or None."""
    parts = request.headers.get("Authorization", "").split()
    if len(parts) == 2 and parts[0] == "Token":
        return parts[1]
    return None


def short_way(api_view_class):
    """A view that tries the function it decorates first and hands the request to ``api_view_class`` (a DRF
    view, which also documents the call in the OpenAPI schema) whenever the function returns None."""

    def decorate(function):
        fallback = api_view_class.as_view()

        @csrf_exempt  # only token requests are answered here; a session's request goes to DRF, which checks CSRF
        def view(request, **kwargs):
            response = None
            if connection.vendor == "postgresql" and request.method == "POST" and token_of(request):
                response = function(request, **kwargs)
            return response if response is not None else fallback(request, **kwargs)

        view.cls = api_view_class  # what drf-spectacular and DRF's schema generator read
        view.initkwargs = {}
        view.__name__ = view.__qualname__ = function.__name__
        view.__doc__ = function.__doc__
        return view

    return decorate


@short_way(api.NextItemApi)
def next_item(request, slug):
    """The next item of a likert campaign: the one the annotator holds, else (pull mode) a newly claimed one."""
    row = _hold_or_claim({"key": token_of(request), "slug": slug, "now": timezone.now()})
    if row is None:
        return None  # no such token, campaign or membership: DRF answers 401 or 404
    slug, show_models, rubric_id, rubric_created, kind, public_id = row[:6]
    if kind != Rubric.Kind.LIKERT:
        return None
    if public_id is None:
        return HttpResponse(status=204)  # nothing left to rate, or the campaign is not open
    language = request.GET.get("lang") or get_language() or "ja"
    axes = axes_for_display(Rubric(pk=rubric_id, created_at=rubric_created), language)  # the cached axes
    return JsonResponse(_item_payload(row[5:], slug, show_models, axes), json_dumps_params={"ensure_ascii": False})


def _hold_or_claim(params):
    for _ in range(CLAIM_ATTEMPTS):
        try:
            return fetch_one(NEXT_SQL, params)  # one statement, atomic on its own
        except IntegrityError:
            continue  # the same annotator claimed this item in a parallel request; look again
    return None


def _item_payload(row, slug, show_models, axes):
    """The item as the rating page shows it (the shape of api.ItemSerializer and item_for_rating)."""
    (public_id, position, batch, batch_closed, prompt_turns, context, category, response_turns, model,
     draft_scores, draft_comment, draft_flags, draft_seconds, draft_updated, new, total, done, draft_checks,
     checklist) = row
    draft = None
    if draft_updated is not None:
        draft = {"scores": _json(draft_scores), "verdict": "", "checks": _json(draft_checks), "comment": draft_comment,
                 "flags": _json(draft_flags), "seconds_spent": draft_seconds, "updated_at": draft_updated.isoformat()}
    return {
        "id": str(public_id), "campaign": slug, "kind": Rubric.Kind.LIKERT, "batch": batch,
        "batch_closed": bool(batch_closed), "position": position,
        "prompt": {"turns": _json(prompt_turns), "context": context, "category": category},
        "response": {"turns": _json(response_turns), "model": model if show_models else None},
        "left": None, "right": None, "axes": axes, "verdicts": [], "checklist": _json(checklist),
        "draft": draft, "rating": None,
        # A slot claimed by this statement is not yet seen by its own read of the tally.
        "progress": {"done": done, "total": total + (1 if new else 0)},
    }


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


@short_way(api.RatingApi)
def rating_submit(request, public_id):
    """A first submit of a likert rating, stored in one statement; 201 with the rating's id."""
    fields = _submit_fields(request)
    if fields is None:
        return None
    rating = uuid.uuid4()
    try:  # one statement, atomic on its own
        stored = fetch_one(SUBMIT_SQL, {**fields, "key": token_of(request), "item": public_id, "public_id": rating,
                                        "now": timezone.now()})
    except IntegrityError:
        return None  # a key used for another item, or a race the service sorts out with its locks
    if stored is None:
        return None
    return JsonResponse({"id": str(rating), "revision": 1, "created": True}, status=201)


SMALLINT = 2**15


def _submit_fields(request):
    """The submit's fields when they are plainly well-formed, else None (the service explains what is wrong)."""
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or set(data) - {"scores", "idempotency_key", "comment", "flags", "seconds_spent"}:
        return None
    scores, comment = data.get("scores"), data.get("comment", "")
    flags, seconds = data.get("flags", []), data.get("seconds_spent")
    if not isinstance(scores, dict) or not scores or not isinstance(comment, str) or not isinstance(flags, list):
        return None
    if "\x00" in comment or any(not isinstance(value, int) or isinstance(value, bool) or not -SMALLINT <= value < SMALLINT
                                 for value in scores.values()):
        return None
    if any(flag not in FLAGS for flag in flags) or (seconds is not None and (
            not isinstance(seconds, int) or isinstance(seconds, bool) or not 0 <= seconds < 2**31)):
        return None
    try:
        key = uuid.UUID(str(data.get("idempotency_key")))
    except ValueError:
        return None
    return {"axes": list(scores), "scores": list(scores.values()), "comment": comment, "idempotency_key": key,
            "flags": json.dumps(sorted(set(flags))), "seconds_spent": seconds}
