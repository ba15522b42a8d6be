"""The two hot calls on SQLite (the embedded default): annotation.hot_paths' short way in SQLite's terms.

SQLite lets one writer in at a time, whichever process it is in: a write transaction takes the database's
lock when it begins (BEGIN IMMEDIATE) and keeps it to the end. So what a call reads is read before any write
(in WAL mode readers never wait), the answer is checked in Python with the service's own rules
(workflow.clean_entry), and the writes are a lone statement (a lease renewed, a slot claimed: SQLite locks
for the statement alone) or, for a submit, a few statements in one short transaction whose first write
re-checks what was read (the slot still the annotator's and unrated, the item still taking ratings). The
claim is the service's statement (workflow.CLAIM_SQL over claimable_conditions), so exactly k holds as it does
there. No ORM and no DRF on the way: the statements run on the connection's own sqlite3 cursor.

Each function answers None when the call is out of the ordinary (no such token, campaign or membership, an
answer that does not check out, a slot taken or filled meanwhile, a key already used): nothing is written,
and the DRF view and the service give their full answer.
"""

import re
import uuid
from datetime import timedelta
from datetime import timezone as dt_timezone
from sqlite3 import IntegrityError

from django.db import connection, transaction

from annotation.accepting import accepting_sql, item_accepting_sql
from annotation.errors import HyokaError
from annotation.hot_answers import from_json
from annotation.kinds import KINDS, for_name
from annotation.models import Annotator, Item, Rubric
from annotation.rubric_axes import rubric_axes
from annotation.services import workflow
from annotation.services.extra_raters import extra_rater_add_if_disagreeing


def named(sql):
    """A statement written with Django's ``%(name)s`` placeholders in sqlite3's ``:name`` style."""
    return re.sub(r"%\((\w+)\)s", r":\1", sql)


MEMBERSHIP = """EXISTS (SELECT 1 FROM annotation_campaignmembership m
                        WHERE m.campaign_id = c.id AND m.user_id = u.id AND m.role = 'annotator')"""
ME_SQL = named(f"""
SELECT a.id, c.id, c.slug, {accepting_sql("c")}, c.mode = 'pull', c.lease_minutes, c.show_model_names,
       r.id, r.created_at, r.kind, c.per_turn_scores
FROM authtoken_token t
JOIN auth_user u ON u.id = t.user_id AND u.is_active
JOIN annotation_annotator a ON a.user_id = u.id
JOIN annotation_campaign c ON c.slug = %(slug)s
JOIN annotation_rubric r ON r.id = c.rubric_id
WHERE t.key = %(key)s AND {MEMBERSHIP}
""")
HELD_SQL = named(workflow.HELD_SQL.format(source=workflow.HELD_SOURCE["sqlite"]))
RENEW_SQL = named("""UPDATE annotation_itemslot SET lease_expires_at = %(lease_end)s
                     WHERE id = %(slot)s AND annotator_id = %(me)s AND rating_id IS NULL""")
CLAIM_SQL = named(workflow.CLAIM_SQL.format(lock="", item_filter="", source=workflow.CLAIM_SOURCE["sqlite"],
                                            claimable=workflow.claimable_conditions("%(me)s", "sqlite")))

# What the rating page shows of the item, as annotation.hot_paths.ITEM_COLUMNS names it, then the kind's columns.
ITEM_COLUMNS = {
    "public_id": "i.public_id", "position": "i.position", "batch": "b.number",
    "batch_closed": "b.closed_at IS NOT NULL", "prompt_turns": "p.turns", "context": "p.context",
    "category": "p.category", "draft_scores": "d.scores", "draft_verdict": "d.verdict", "draft_checks": "d.checks",
    "draft_comment": "d.comment", "draft_flags": "d.flags", "draft_seconds": "d.seconds_spent",
    "draft_updated": "d.updated_at", "total": "coalesce(tally.slots, 0)", "done": "coalesce(tally.rated, 0)",
    "checklist": """(SELECT json_group_array(json_object('id', ci.id, 'text', ci.text))
                     FROM (SELECT id, text FROM annotation_checklistitem WHERE prompt_id = p.id
                           ORDER BY position) ci)""",
}
ITEM_SQL = named("""
WITH me AS (SELECT %(me)s AS annotator, %(rubric)s AS rubric)
SELECT {columns}, json_array({kind_columns})
FROM me
JOIN annotation_item i ON i.id = %(item)s
JOIN annotation_response r ON r.id = i.response_id
JOIN annotation_prompt p ON p.id = r.prompt_id
JOIN annotation_languagemodel m ON m.id = r.model_id
LEFT JOIN annotation_batch b ON b.id = i.batch_id
LEFT JOIN annotation_draft d ON d.item_id = i.id AND d.annotator_id = me.annotator
LEFT JOIN annotation_slottally tally ON tally.annotator_id = me.annotator AND tally.campaign_id = %(campaign)s
{kind_joins}
""")
ITEM_SQL_BY_KIND = {
    name: ITEM_SQL.replace("{columns}", ", ".join(ITEM_COLUMNS.values())).replace(
        "{kind_columns}", ", ".join(kind.HOT_ITEM_COLUMNS["sqlite"])).replace("{kind_joins}", kind.HOT_ITEM_JOINS)
    for name, kind in KINDS.items()
}


def hold_or_claim(params):
    """(the item as hot_paths.ITEM_COLUMNS names its parts, the kind's column values) for the next item: the one
    the annotator holds (its lease renewed), else in pull mode a newly claimed one; the item's parts None when
    there is nothing to rate. None when the token, campaign or membership does not check out."""
    cursor = _cursor()
    me = cursor.execute(ME_SQL, params).fetchone()
    if me is None:
        return None
    annotator, campaign, slug, accepting, pull, lease_minutes, show_models, rubric, rubric_created, kind, per_turn = me
    found = {"me": annotator, "campaign": campaign, "now": params["now"]}
    item_id = _held_or_claimed(cursor, found, accepting, pull, lease_minutes)
    # "new": False, as the tally read after the claim counts the claimed slot already.
    item = {"slug": slug, "show_models": bool(show_models), "per_turn": bool(per_turn), "rubric": rubric,
            "rubric_created": _datetime(rubric_created), "kind": kind, "new": False}
    if item_id is None:
        return {**item, "public_id": None}, None
    row = cursor.execute(ITEM_SQL_BY_KIND[kind], {"me": annotator, "rubric": rubric, "item": item_id,
                                                  "campaign": campaign}).fetchone()
    item.update(zip(ITEM_COLUMNS, row))
    item.update(public_id=uuid.UUID(item["public_id"]), draft_updated=_datetime(item["draft_updated"]))
    return item, row[-1]


def _held_or_claimed(cursor, found, accepting, pull, lease_minutes):
    """The id of the item held or newly claimed, or None; each write a lone statement."""
    if not accepting:
        return None
    now = found["now"]
    found["lease_end"] = _stored(now + timedelta(minutes=lease_minutes))
    found["now"] = _stored(now)
    held = cursor.execute(HELD_SQL, found).fetchone()
    if held is not None:
        slot, item_id, assignment = held
        if assignment is None:
            cursor.execute(RENEW_SQL, {**found, "slot": slot})
        return item_id
    if not pull:
        return None
    for _ in range(workflow.CLAIM_ATTEMPTS):
        try:
            claimed = cursor.execute(CLAIM_SQL, found).fetchall()
        except IntegrityError:
            continue  # the same annotator claimed this item in a parallel request; look again
        return claimed[0][0] if claimed else None
    return None


# The annotator's unrated slot on the item, with what checking and storing the answer needs; only while the
# item takes ratings (annotation.accepting) and the annotator is a member of its campaign.
SLOT_SQL = named(f"""
SELECT s.id, i.id, a.id, ru.id, ru.kind, ru.verdicts, ru.created_at, r.prompt_id, c.per_turn_scores
FROM authtoken_token t
JOIN auth_user u ON u.id = t.user_id AND u.is_active
JOIN annotation_annotator a ON a.user_id = u.id
JOIN annotation_item i ON i.public_id = %(item)s
JOIN annotation_campaign c ON c.id = i.campaign_id
JOIN annotation_rubric ru ON ru.id = c.rubric_id
JOIN annotation_itemslot s ON s.item_id = i.id AND s.annotator_id = a.id AND s.rating_id IS NULL
JOIN annotation_response r ON r.id = i.response_id
LEFT JOIN annotation_batch b ON b.id = i.batch_id
WHERE t.key = %(key)s AND {accepting_sql("c", "b")} AND {MEMBERSHIP}
""")
RATING_SQL = named("""
INSERT INTO annotation_rating (public_id, item_id, annotator_id, verdict, position, comment, flags, seconds_spent,
                               source, revision, idempotency_key, submitted_at)
VALUES (%(public_id)s, %(item)s, %(me)s, %(verdict)s, %(order)s, %(comment)s, %(flags)s, %(seconds_spent)s, 'web', 1,
        %(idempotency_key)s, %(now)s)
RETURNING id
""")
# The first write of the transaction re-checks what SLOT_SQL read, under the lock.
FILL_SQL = named(f"""
UPDATE annotation_itemslot SET rating_id = %(rating)s, lease_expires_at = NULL
WHERE id = %(slot)s AND annotator_id = %(me)s AND rating_id IS NULL AND {item_accepting_sql("%(item)s")}
""")
SCORE_SQL = "INSERT INTO annotation_ratingscore (rating_id, axis_id, turn, score) VALUES (?, ?, ?, ?)"
CHECK_SQL = "INSERT INTO annotation_ratingcheck (rating_id, checklist_item_id, side, checked) VALUES (?, ?, ?, ?)"
DROP_DRAFT_SQL = "DELETE FROM annotation_draft WHERE item_id = ? AND annotator_id = ?"


class _Taken(Exception):
    """The slot was filled, taken back or closed between the read and the write."""


def submit(kind, answer, params):
    """Store a first rating of the item from ``answer`` (the body's scores, verdict and checks, as the service
    takes them) and the generic ``params``; True once stored, None to hand the request over."""
    cursor = _cursor()
    slot = cursor.execute(SLOT_SQL, {"key": params["key"], "item": params["item"].hex}).fetchone()
    # Scores per turn are the service's to check and store (it knows the response's turns).
    if slot is None or for_name(slot[4]) is not kind or slot[-1]:
        return None
    slot_id, item_id, annotator, rubric_id, kind_name, verdicts, rubric_created, prompt_id, _ = slot
    rubric = Rubric(pk=rubric_id, kind=kind_name, verdicts=from_json(verdicts),
                    created_at=_datetime(rubric_created))
    try:
        entry = workflow.clean_entry(rubric, prompt_id, item_id=item_id, complete=True, **answer)
    except HyokaError:
        return None
    order = kind.shown_order(Item(pk=item_id), Annotator(pk=annotator))
    scores, checks = workflow.answer_rows(entry, order, rubric_axes(rubric))
    rating = {**params, "public_id": params["public_id"].hex, "idempotency_key": params["idempotency_key"].hex,
              "item": item_id, "me": annotator, "verdict": entry.verdict_for(order), "order": order,
              "now": _stored(params["now"])}
    try:
        _store(cursor, rating, slot_id, scores, checks)
    except (IntegrityError, _Taken):
        return None
    return True


def _store(cursor, rating, slot_id, scores, checks):
    with transaction.atomic():  # BEGIN IMMEDIATE (the database's OPTIONS), or a savepoint in a caller's transaction
        rating_id = cursor.execute(RATING_SQL, rating).fetchone()[0]
        if cursor.execute(FILL_SQL, {**rating, "rating": rating_id, "slot": slot_id}).rowcount != 1:
            raise _Taken
        cursor.executemany(SCORE_SQL, [(rating_id, axis, turn, score) for axis, turn, score in scores])
        if checks:
            cursor.executemany(CHECK_SQL, [(rating_id, *check) for check in checks])
        cursor.execute(DROP_DRAFT_SQL, (rating["item"], rating["me"]))
        extra_rater_add_if_disagreeing(item_lookup={"pk": rating["item"]})  # in the same transaction, as the service


def _cursor():
    connection.ensure_connection()
    return connection.connection.cursor()


def _stored(moment):
    """A datetime as Django stores it in SQLite (naive UTC text), so comparisons with stored values hold."""
    return connection.ops.adapt_datetimefield_value(moment)


def _datetime(moment):
    """A datetime column's value as the ORM reads it: aware, in UTC (Django's connection reads it naive, as it is
    stored); None stays None."""
    return None if moment is None else moment.replace(tzinfo=dt_timezone.utc)

