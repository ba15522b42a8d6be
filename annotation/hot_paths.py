"""The two calls an annotator makes for every rating, taken the short way.

Taking the next item (``POST /api/campaigns/<slug>/next/``) and submitting a rating
(``POST /api/items/<id>/rating/``) are what a campaign's throughput is made of. For a
token-authenticated client on PostgreSQL, the common case of each is answered here with
one SQL statement: for the next item, who is asking, hold-or-claim and the item's
content; for a submit, lock the slot, check the answer against the rubric and the
checklist, insert the rating with its scores or verdict and its ticks, fill the slot, drop
the draft. Each is prepared once per connection. No ORM and no DRF on the way, which is
most of what a request otherwise costs. What differs by campaign kind (the item's columns
and how its payload is shaped, how an answer is read, checked and stored) comes from the
kind modules (annotation.kinds: HOT_ITEM_JOINS, HOT_ITEM_COLUMNS, hot_item_shown,
HOT_ANSWER_FIELDS, hot_answer, HOT_ANSWER_SQL); this module puts the statements together.

Everything else is handed to the DRF view (annotation.api), which runs the workflow
service and gives the full answers and errors: a browser's session (and its CSRF check),
a bad or missing token, a revision, a repeated submit, an item that takes nothing now
(annotation.accepting: a campaign not open, a closed batch), input that does not check
out. A statement that hands over has written nothing, so the service sees the state
the client saw. The same invariants hold either way: the
claim is the service's ``FOR UPDATE SKIP LOCKED`` query, a submit locks the slot row,
and the database's unique constraints stand behind both.

On SQLite (the embedded default) the same two calls take annotation.hot_sqlite's way: a few
statements, the writes short, the answer checked by the service's own rules. WAYS says which
way each database takes; the views, the payload and the reading of a body are shared.
"""

import json
import re
import uuid
from contextlib import nullcontext
from types import SimpleNamespace

import psycopg
from django.db import IntegrityError, connection, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt

from annotation import api, hot_sqlite
from annotation.accepting import accepting_sql, item_accepting_sql
from annotation.hot_answers import from_json
from annotation.kinds import KINDS, for_name
from annotation.models import Rubric, turns_scored
from annotation.services.extra_raters import extra_rater_add_if_disagreeing
from annotation.services.workflow import CLAIM_ATTEMPTS, FLAGS, claimable_conditions
from annotation.workflow_selectors import axes_for_display

# Who is asking (the token's annotator, a member of the campaign), then: the slot they already hold (first in
# hand-out order), its lease renewed; else, in pull mode, a free or expired slot claimed as workflow.CLAIM_SQL
# does; and what the rating page shows of its item: ITEM_COLUMNS, then every kind's HOT_ITEM_COLUMNS as one JSON
# array per kind (a row fills its campaign's kind's). One row while the token and membership check out (its item columns empty
# when there is nothing to rate), none otherwise. `me` is read through scalar subqueries, which PostgreSQL runs
# once and then uses like parameters, so each step keeps its index plan.
ITEM_COLUMNS = {  # what every kind's item shows, by name
    "slug": "me.slug", "show_models": "me.show_model_names", "per_turn": "me.per_turn_scores", "rubric": "me.rubric",
    "rubric_created": "me.rubric_created", "kind": "me.kind", "public_id": "i.public_id", "position": "i.position",
    "batch": "b.number", "batch_closed": "b.closed_at IS NOT NULL", "prompt_turns": "p.turns", "context": "p.context",
    "category": "p.category", "draft_scores": "d.scores", "draft_verdict": "d.verdict", "draft_checks": "d.checks",
    "draft_comment": "d.comment", "draft_flags": "d.flags", "draft_seconds": "d.seconds_spent",
    "draft_updated": "d.updated_at", "new": "chosen.new", "total": "coalesce(tally.slots, 0)",
    "done": "coalesce(tally.rated, 0)",
    "checklist": """(SELECT coalesce(json_agg(json_build_object('id', ci.id, 'text', ci.text) ORDER BY ci.position),
                                  '[]')
                     FROM annotation_checklistitem ci WHERE ci.prompt_id = p.id)""",
}
NEXT_SQL = """
WITH me AS MATERIALIZED (
    SELECT a.id AS annotator, c.id AS campaign, c.slug, {campaign_accepting} AS open,
           c.mode = 'pull' AS pull, make_interval(mins => c.lease_minutes) AS lease, c.show_model_names,
           c.per_turn_scores,
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
SELECT {columns}
FROM me
LEFT JOIN annotation_slottally tally ON tally.annotator_id = me.annotator AND tally.campaign_id = me.campaign
LEFT JOIN chosen ON true
LEFT JOIN annotation_item i ON i.id = chosen.item_id
LEFT JOIN annotation_response r ON r.id = i.response_id
LEFT JOIN annotation_prompt p ON p.id = r.prompt_id
LEFT JOIN annotation_languagemodel m ON m.id = r.model_id
LEFT JOIN annotation_batch b ON b.id = i.batch_id
LEFT JOIN annotation_draft d ON d.item_id = i.id AND d.annotator_id = me.annotator{kind_joins}
""".replace("{claimable}", claimable_conditions("(SELECT annotator FROM me)", "postgresql")).replace(
    "{campaign_accepting}", accepting_sql("c")).replace("{item_accepting}", item_accepting_sql("s.item_id")).replace(
    "{columns}", ", ".join([*ITEM_COLUMNS.values(), *(  # a kind's columns, as one array, for its items only
        f"CASE WHEN me.kind = '{name}' THEN json_build_array({', '.join(kind.HOT_ITEM_COLUMNS['postgresql'])}) END"
        for name, kind in KINDS.items())])
).replace("{kind_joins}", "".join(kind.HOT_ITEM_JOINS for kind in KINDS.values()))


def compact(sql):
    """The statement with its runs of whitespace made one space. psycopg parses a statement's text on every
    execution unless it is at most 4,096 bytes long (psycopg._queries.MAX_CACHED_STATEMENT_LENGTH): a tenth of
    a millisecond or more per call, on each of these two calls. (None of them has whitespace or a comma inside a
    literal, so the space after a comma goes too.)"""
    return re.sub(r",\s+", ",", re.sub(r"\s+", " ", sql)).strip()


NEXT_SQL = compact(NEXT_SQL)


# Where each kind's HOT_ITEM_COLUMNS are in a row of NEXT_SQL: {kind name: column}, a JSON array of their values.
KIND_COLUMNS = {name: len(ITEM_COLUMNS) + index for index, name in enumerate(KINDS)}

# A first submit of a rating of an item of one kind, or nothing (then the service takes it): the annotator's
# unrated slot on an item that takes ratings (annotation.accepting), locked; the answer checked by the kind
# (HOT_ANSWER_SQL: "answered" over the kind's "ctes"), every tick on the prompt's checklist; the idempotency key
# unused. The rating gets the kind's "verdict" and the order shown ("order"), ticks their "tick_side" (the
# item's terms), and the kind's "store" writes the rest (scores).
SUBMIT_SQL = """
WITH me AS (
    SELECT a.id FROM authtoken_token t
    JOIN auth_user u ON u.id = t.user_id AND u.is_active
    JOIN annotation_annotator a ON a.user_id = u.id
    WHERE t.key = %(key)s
), slot AS (
    SELECT s.id, s.item_id, s.annotator_id, c.rubric_id, i.response_id, c.per_turn_scores, {order} AS shown
    FROM annotation_item i
    JOIN annotation_campaign c ON c.id = i.campaign_id
    JOIN annotation_rubric ru ON ru.id = c.rubric_id AND ru.kind = '{kind}'
    JOIN annotation_itemslot s ON s.item_id = i.id AND s.rating_id IS NULL
    JOIN me ON s.annotator_id = me.id
    LEFT JOIN annotation_batch b ON b.id = i.batch_id
    WHERE i.public_id = %(item)s AND {accepting}
      AND EXISTS (SELECT 1 FROM annotation_campaignmembership m JOIN annotation_annotator a ON a.user_id = m.user_id
                  WHERE m.campaign_id = c.id AND a.id = me.id AND m.role = 'annotator')
    FOR UPDATE OF s
), {ctes}
ticks AS (
    SELECT t.point, {tick_side} AS side, t.ticked FROM slot
    CROSS JOIN unnest(%(check_items)s::bigint[], %(check_sides)s::text[], %(check_values)s::boolean[])
        AS t(point, side, ticked)
    JOIN annotation_response r ON r.id = slot.response_id
    JOIN annotation_checklistitem ci ON ci.id = t.point AND ci.prompt_id = r.prompt_id
), complete AS (
    SELECT slot.* FROM slot
    WHERE {answered}
      AND (SELECT count(*) FROM ticks) = cardinality(%(check_items)s::bigint[])
      AND NOT EXISTS (SELECT 1 FROM annotation_rating r
                      WHERE r.annotator_id = slot.annotator_id AND r.idempotency_key = %(idempotency_key)s)
), rating AS (
    INSERT INTO annotation_rating (public_id, item_id, annotator_id, verdict, position, comment, flags, seconds_spent,
                                   source, revision, idempotency_key, submitted_at)
    SELECT %(public_id)s, item_id, annotator_id, {verdict}, shown, %(comment)s, %(flags)s::jsonb, %(seconds_spent)s,
           'web', 1, %(idempotency_key)s, %(now)s
    FROM complete
    RETURNING id, item_id, annotator_id
), {store}
checks AS (
    INSERT INTO annotation_ratingcheck (rating_id, checklist_item_id, side, checked)
    SELECT rating.id, ticks.point, ticks.side, ticks.ticked FROM rating, ticks
), filled AS (
    UPDATE annotation_itemslot s SET rating_id = rating.id, lease_expires_at = NULL
    FROM rating, complete WHERE s.id = complete.id
), cleared AS (
    DELETE FROM annotation_draft d USING rating WHERE d.item_id = rating.item_id AND d.annotator_id = rating.annotator_id
)
SELECT id FROM rating
"""


def _submit_sql(kind):
    sql = SUBMIT_SQL.replace("{kind}", kind.NAME).replace("{accepting}", accepting_sql("c", "b"))
    for part, fragment in kind.HOT_ANSWER_SQL.items():
        sql = sql.replace("{" + part + "}", fragment)
    return compact(sql)


SUBMIT_SQL_BY_KIND = {name: _submit_sql(kind) for name, kind in KINDS.items()}


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
            if connection.vendor in WAYS and request.method == "POST" and token_of(request):
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
    """The next item: the one the annotator holds, else (pull mode) a newly claimed one."""
    found = WAYS[connection.vendor].hold_or_claim({"key": token_of(request), "slug": slug, "now": timezone.now()})
    if found is None:
        return None  # no such token, campaign or membership: DRF answers 401 or 404
    item, kind_values = found
    if item["public_id"] is None:
        return HttpResponse(status=204)  # nothing left to rate, or the campaign is not open
    language = request.GET.get("lang") or get_language() or "ja"
    payload = _item_payload(item, for_name(item["kind"]), from_json(kind_values), language)
    return JsonResponse(payload, json_dumps_params={"ensure_ascii": False})


def _hold_or_claim(params):
    """PostgreSQL's way: (the item as ITEM_COLUMNS names its parts, its kind's column values) or None."""
    for _ in range(CLAIM_ATTEMPTS):
        try:
            row = fetch_one(NEXT_SQL, params)  # one statement, atomic on its own
        except IntegrityError:
            continue  # the same annotator claimed this item in a parallel request; look again
        if row is None:
            return None
        item = dict(zip(ITEM_COLUMNS, row))
        return item, (row[KIND_COLUMNS[item["kind"]]] if item["public_id"] is not None else None)
    return None


def _item_payload(item, kind, kind_values, language):
    """The item as the rating page shows it (the shape of api.ItemSerializer and item_for_rating)."""
    order, shown = kind.hot_item_shown(kind_values, item["show_models"], language)
    draft = None
    if item["draft_updated"] is not None:
        draft = {"scores": from_json(item["draft_scores"]),
                 "verdict": kind.verdict_in_screen_terms(item["draft_verdict"], order),
                 "checks": kind.checks_in_screen_terms(from_json(item["draft_checks"]), order),
                 "comment": item["draft_comment"], "flags": from_json(item["draft_flags"]),
                 "seconds_spent": item["draft_seconds"], "updated_at": item["draft_updated"].isoformat()}
    rubric = Rubric(pk=item["rubric"], created_at=item["rubric_created"])
    return {
        "id": str(item["public_id"]), "campaign": item["slug"], "kind": kind.NAME, "batch": item["batch"],
        "batch_closed": bool(item["batch_closed"]), "position": item["position"],
        "prompt": {"turns": from_json(item["prompt_turns"]), "context": item["context"], "category": item["category"]},
        **shown, "axes": axes_for_display(rubric, language),  # the rubric's axes, cached
        "score_turns": turns_scored(item["per_turn"], (shown.get("response") or {}).get("turns")),
        "checklist": from_json(item["checklist"]), "draft": draft, "rating": None,
        # A slot claimed by this statement is not yet seen by its own read of the tally.
        "progress": {"done": item["done"], "total": item["total"] + (1 if item["new"] else 0)},
    }


@short_way(api.RatingApi)
def rating_submit(request, public_id):
    """A first submit of a rating, stored in one statement; 201 with the rating's id."""
    submit = _submit(request)
    if submit is None:
        return None
    kind, answer, params = submit
    rating = uuid.uuid4()
    stored = WAYS[connection.vendor].submit(kind, answer, {
        **params, "key": token_of(request), "item": public_id, "public_id": rating, "now": timezone.now()})
    if stored is None:
        return None
    return JsonResponse({"id": str(rating), "revision": 1, "created": True}, status=201)


def _store_rating(kind, answer, params):
    """PostgreSQL's way: the rating stored by one statement (its id), or None to hand the request over."""
    try:  # one statement, and in the same transaction the extra annotator a disagreement may call for
        with transaction.atomic():
            stored = fetch_one(SUBMIT_SQL_BY_KIND[kind.NAME], {**params, **kind.hot_answer(answer)})
            if stored is not None:
                extra_rater_add_if_disagreeing(item_lookup={"public_id": params["item"]})
            return stored
    except IntegrityError:
        return None  # a key used for another item, or a race the service sorts out with its locks


GENERIC_FIELDS = {"idempotency_key", "comment", "flags", "seconds_spent"}


def _submit(request):
    """(kind, the answer as the service takes it, the generic parameters) when the body is plainly well-formed,
    else None (the service explains what is wrong). The kind is the one whose answer the body holds
    (HOT_ANSWER_FIELDS, hot_answer); each way checks that the item is of that kind."""
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return None
    fields = _generic_fields(data) if isinstance(data, dict) else None
    if fields is None:
        return None
    for kind in KINDS.values():
        if not set(data) - GENERIC_FIELDS - set(kind.HOT_ANSWER_FIELDS):
            if kind.hot_answer(data) is not None:
                answer = {"scores": data.get("scores"), "verdict": data.get("verdict"), "checks": data.get("checks")}
                return kind, answer, fields
    return None


def _generic_fields(data):
    comment, flags, seconds = data.get("comment", ""), data.get("flags", []), data.get("seconds_spent")
    if not isinstance(comment, str) or "\x00" in comment or not isinstance(flags, list):
        return None
    if any(flag not in FLAGS for flag in flags) or (seconds is not None and (
            not isinstance(seconds, int) or isinstance(seconds, bool) or not 0 <= seconds < 2**31)):
        return None
    try:
        key = uuid.UUID(str(data.get("idempotency_key")))
    except ValueError:
        return None
    return {"comment": comment, "idempotency_key": key, "flags": json.dumps(sorted(set(flags))),
            "seconds_spent": seconds}


# How each database takes the short way: (hold_or_claim(params), submit(kind, answer, params)).
WAYS = {
    "postgresql": SimpleNamespace(hold_or_claim=_hold_or_claim, submit=_store_rating),
    "sqlite": hot_sqlite,
}
