"""Reads for releases: what a build streams from the database, the small lookups it joins in Python, and
the releases that the pages and the API list.

A build reads each big table with one query through a server-side cursor, a chunk of rows at a time
(``stream``), so memory does not grow with the campaign. Each query is one statement and so one
consistent snapshot: a table and the statistics computed from the same pass always agree, even while
annotators keep rating. Public ids and JSON come out of the database as text, formatted the same way
on PostgreSQL and SQLite.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Q
from django.http import Http404

from annotation.access import is_lead, is_lead_of, is_reader_of
from annotation.models import (
    Adjudication, Annotator, ExamAnswer, Item, LanguageModel, ModelSeries, Prompt, Rating, RatingScore,
)
from annotation.models import Response, RubricAxis
from annotation.quality_items import counted, counted_sql
from exports.models import Release
from judging.models import JudgeConfig, JudgeJob, Verdict, VerdictScore

CHUNK_ROWS = 20_000
# Rows of prompts and responses carry their texts: fewer at a time keeps memory flat.
TEXT_CHUNK_ROWS = 1_000


# ---------------------------------------------------------------------------------------------------------
# Streaming


def stream(sql, params, chunk_rows=None):
    """Yield the rows of ``sql`` in lists of at most ``chunk_rows`` (CHUNK_ROWS) tuples, through a
    server-side cursor."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk_rows or CHUNK_ROWS):
            yield rows


def _uuid_text(column):
    if connection.vendor == "postgresql":
        return f"{column}::text"
    # SQLite keeps UUIDs as 32 hex digits; give them their dashes.
    return (f"lower(substr({column},1,8)||'-'||substr({column},9,4)||'-'||substr({column},13,4)||'-'||"
            f"substr({column},17,4)||'-'||substr({column},21,12))")


def _json_text(column):
    return f"{column}::text" if connection.vendor == "postgresql" else column


def _in_list(ids):
    return "(" + ", ".join(["%s"] * len(ids)) + ")", list(ids)


def _table(model):
    return connection.ops.quote_name(model._meta.db_table)


def score_rows(campaign_ids, *, with_comments):
    """Every item of the campaigns with each score of its ratings: one row per (item, rating, turn, axis), in the
    order (item, rating, turn, axis position), a score of the whole conversation (turn NULL) first; an item nobody
    rated gives one row with NULL rating and score.

    Columns: item pk, campaign pk, item id, prompt id, response id, response pk, model pk, rating pk,
    annotator pk, seconds spent, revision, comment (NULL unless ``with_comments``), axis pk, score, turn (NULL:
    the whole conversation; 1, 2, ... in a campaign that scores each turn).
    The three public ids are given on an item's first row only (NULL on the others): they are the same
    on all its rows, and leaving them out of the others makes the stream a third faster.
    """
    campaigns, params = _in_list(campaign_ids)
    comment = "rt.comment" if with_comments else "NULL"
    ids = ", ".join(f"CASE WHEN row_number() OVER item_rows = 1 THEN {_uuid_text(column)} END"
                    for column in ("i.public_id", "p.public_id", "r.public_id"))
    sql = f"""
        SELECT i.id, i.campaign_id, {ids}, r.id, r.model_id, rt.id, rt.annotator_id, rt.seconds_spent,
               rt.revision, {comment}, s.axis_id, s.score, s.turn
        FROM {_table(Item)} i
        JOIN {_table(Response)} r ON r.id = i.response_id
        JOIN {_table(Prompt)} p ON p.id = r.prompt_id
        LEFT JOIN {_table(Rating)} rt ON rt.item_id = i.id
        LEFT JOIN {_table(RatingScore)} s ON s.rating_id = rt.id
        LEFT JOIN {_table(RubricAxis)} a ON a.id = s.axis_id
        WHERE i.campaign_id IN {campaigns} AND {counted_sql('i')}
        WINDOW item_rows AS (PARTITION BY i.id ORDER BY rt.id, COALESCE(s.turn, 0), a.position, s.axis_id)
        ORDER BY i.id, rt.id, COALESCE(s.turn, 0), a.position, s.axis_id
    """
    return stream(sql, params)


def count_score_rows(campaign_ids):
    """How many rows score_rows yields, for progress: the scores plus the items without ratings."""
    items = Item.objects.filter(counted(), campaign_id__in=campaign_ids)
    scores = RatingScore.objects.filter(counted("rating__item__"), rating__item__campaign_id__in=campaign_ids).count()
    return scores + items.filter(ratings__isnull=True).count()


def response_rows(campaign_ids):
    """The responses the campaigns' items show, with their prompts, in the order (prompt, response).

    Columns: prompt pk, prompt id, source, external id, category, prompt turns (JSON text), reference,
    context, prompt metadata (JSON text), response pk, response id, model pk, response turns (JSON text),
    response metadata (JSON text).
    """
    campaigns, params = _in_list(campaign_ids)
    sql = f"""
        SELECT p.id, {_uuid_text('p.public_id')}, p.source, p.external_id, p.category, {_json_text('p.turns')},
               p.reference, p.context, {_json_text('p.metadata')}, r.id, {_uuid_text('r.public_id')}, r.model_id,
               {_json_text('r.turns')}, {_json_text('r.metadata')}
        FROM {_table(Response)} r
        JOIN {_table(Prompt)} p ON p.id = r.prompt_id
        WHERE r.id IN (SELECT i.response_id FROM {_table(Item)} i WHERE i.campaign_id IN {campaigns} AND {counted_sql('i')})
           OR r.id IN (SELECT i.response_b_id FROM {_table(Item)} i WHERE i.campaign_id IN {campaigns} AND {counted_sql('i')})
        ORDER BY p.id, r.id
    """
    return stream(sql, params + params, TEXT_CHUNK_ROWS)


def _shown_in(campaign_ids):
    """Responses shown by the campaigns' items, on either side of a pair."""
    return (Q(items__campaign_id__in=campaign_ids) & counted("items__")) | (
        Q(items_as_b__campaign_id__in=campaign_ids) & counted("items_as_b__"))


def count_responses(campaign_ids):
    return Response.objects.filter(pk__in=Response.objects.filter(_shown_in(campaign_ids)).values("pk")).count()


def verdict_rows(campaign_ids):
    """Every verdict on the campaigns' items with each of its scores, in the order (verdict, axis position);
    a failed verdict (no scores) gives one row with NULL axis and score.

    Columns: verdict pk, item pk, campaign pk, item id, judge pk, job pk, sample, turn (NULL: the whole
    conversation), parse status, error kind, rationale, axis pk, score.
    """
    campaigns, params = _in_list(campaign_ids)
    sql = f"""
        SELECT v.id, i.id, i.campaign_id, {_uuid_text('i.public_id')}, v.judge_id, v.job_id, v.sample, v.turn,
               v.parse_status, v.error_kind, v.rationale, s.axis_id, s.score
        FROM {_table(Verdict)} v
        JOIN {_table(Item)} i ON i.id = v.item_id
        LEFT JOIN {_table(VerdictScore)} s ON s.verdict_id = v.id
        LEFT JOIN {_table(RubricAxis)} a ON a.id = s.axis_id
        WHERE i.campaign_id IN {campaigns} AND {counted_sql('i')}
        ORDER BY v.id, a.position, s.axis_id
    """
    return stream(sql, params, TEXT_CHUNK_ROWS * 5)


def count_verdict_rows(campaign_ids):
    verdicts = Verdict.objects.filter(counted("item__"), item__campaign_id__in=campaign_ids)
    scores = VerdictScore.objects.filter(counted("verdict__item__"), verdict__item__campaign_id__in=campaign_ids).count()
    return scores + verdicts.filter(scores__isnull=True).count()


def vote_rows(campaign_ids, *, with_comments):
    """Every pairwise item of the campaigns with each of its votes (a rating with a verdict), in the order
    (item, rating); an item nobody voted on gives one row with NULL rating columns.

    Columns: rating pk, item pk, campaign pk, item id, prompt pk, prompt id, response A pk, response B pk,
    model A pk, model B pk, response A id, response B id, position shown, verdict (in the item's terms),
    annotator pk, seconds spent, submitted at, revised at, revision, comment (NULL unless ``with_comments``).
    """
    campaigns, params = _in_list(campaign_ids)
    comment = "rt.comment" if with_comments else "NULL"
    sql = f"""
        SELECT rt.id, i.id, i.campaign_id, {_uuid_text('i.public_id')}, p.id, {_uuid_text('p.public_id')},
               ra.id, rb.id, ra.model_id, rb.model_id, {_uuid_text('ra.public_id')}, {_uuid_text('rb.public_id')},
               rt.position, rt.verdict, rt.annotator_id, rt.seconds_spent, rt.submitted_at, rt.revised_at,
               rt.revision, {comment}
        FROM {_table(Item)} i
        JOIN {_table(Response)} ra ON ra.id = i.response_id
        JOIN {_table(Response)} rb ON rb.id = i.response_b_id
        JOIN {_table(Prompt)} p ON p.id = ra.prompt_id
        LEFT JOIN {_table(Rating)} rt ON rt.item_id = i.id AND rt.verdict <> ''
        WHERE i.campaign_id IN {campaigns} AND {counted_sql('i')}
        ORDER BY i.id, rt.id
    """
    return stream(sql, params)


def count_votes(campaign_ids):
    """How many rows vote_rows yields (the campaigns are pairwise ones), for progress: the votes plus the items
    nobody voted on."""
    votes = Rating.objects.filter(counted("item__"), item__campaign_id__in=campaign_ids).exclude(verdict="")
    items = Item.objects.filter(counted(), campaign_id__in=campaign_ids).exclude(
        pk__in=votes.values("item_id"))
    return votes.count() + items.count()


def adjudication_notes(campaign_ids):
    """{item pk: the adjudicator's note} of the campaigns' adjudicated items."""
    return dict(Adjudication.objects.filter(item__campaign_id__in=campaign_ids).values_list("item_id", "note"))


def pair_verdict_rows(campaign_ids):
    """Every judge verdict on the campaigns' pairwise items, scored or failed, in verdict order.

    Columns: verdict pk, item pk, campaign pk, item id, prompt id, model A pk, model B pk, judge pk, job pk,
    order shown, sample, parse status, error kind, verdict (in the item's terms; empty for a failure),
    rationale.
    """
    campaigns, params = _in_list(campaign_ids)
    sql = f"""
        SELECT v.id, i.id, i.campaign_id, {_uuid_text('i.public_id')}, {_uuid_text('p.public_id')}, ra.model_id,
               rb.model_id, v.judge_id, v.job_id, v."order", v.sample, v.parse_status, v.error_kind, v.verdict,
               v.rationale
        FROM {_table(Verdict)} v
        JOIN {_table(Item)} i ON i.id = v.item_id
        JOIN {_table(Response)} ra ON ra.id = i.response_id
        JOIN {_table(Response)} rb ON rb.id = i.response_b_id
        JOIN {_table(Prompt)} p ON p.id = ra.prompt_id
        WHERE i.campaign_id IN {campaigns} AND {counted_sql('i')}
        ORDER BY v.id
    """
    return stream(sql, params, TEXT_CHUNK_ROWS * 5)


def count_pair_verdicts(campaign_ids):
    """How many rows pair_verdict_rows yields (the campaigns are pairwise ones), for progress."""
    return Verdict.objects.filter(counted("item__"), item__campaign_id__in=campaign_ids).count()


# ---------------------------------------------------------------------------------------------------------
# Lookups: small tables a build joins in Python


@dataclass(frozen=True)
class AnnotatorRow:
    pk: int
    pseudonym: str
    tier: str
    is_external: bool
    username: str
    email: str


def release_campaigns(release):
    return list(release.campaigns.select_related("rubric").order_by("slug"))


def campaign_axes(campaigns):
    """{rubric pk: [RubricAxis, ...] in rubric order} for the campaigns' rubrics."""
    axes = {}
    for axis in RubricAxis.objects.filter(rubric__in={c.rubric_id for c in campaigns}).order_by("position", "id"):
        axes.setdefault(axis.rubric_id, []).append(axis)
    return axes


def rating_annotators(campaign_ids, with_checks=()):
    """The annotators with ratings in the campaigns (of gold and attention items too in the campaigns
    ``with_checks``, whose releases carry them); user name and e-mail of platform users, the handle of external
    raters as their user name."""
    rated = (Q(ratings__item__campaign_id__in=campaign_ids) & counted("ratings__item__")) | Q(
        ratings__item__campaign_id__in=list(with_checks))
    rows = (Annotator.objects.filter(rated).distinct()
            .values_list("id", "pseudonym", "tier", "is_external", "handle", "user__username", "user__email"))
    return {pk: AnnotatorRow(pk, str(pseudonym), tier, external, username or handle, email or "")
            for pk, pseudonym, tier, external, handle, username, email in rows}


def campaign_models(campaign_ids):
    """The language models behind the campaigns' items (either side of a pair) and those that answered their exam
    questions (annotation.models.ExamAnswer), by name."""
    shown = Response.objects.filter(_shown_in(campaign_ids)).values("model_id")
    answered = ExamAnswer.objects.filter(question__exam__campaign_id__in=campaign_ids).values("examinee_id")
    return list(LanguageModel.objects.filter(Q(pk__in=shown) | Q(pk__in=answered)).order_by("name"))


def verdict_judges(campaign_ids):
    """{pk: JudgeConfig} and {pk: JudgeJob} of the verdicts on the campaigns' items."""
    verdicts = Verdict.objects.filter(counted("item__"), item__campaign_id__in=campaign_ids)
    judges = JudgeConfig.objects.filter(pk__in=verdicts.values("judge_id").distinct())
    jobs = JudgeJob.objects.filter(pk__in=verdicts.exclude(job=None).values("job_id").distinct())
    return {judge.pk: judge for judge in judges}, {job.pk: job for job in jobs}


# ---------------------------------------------------------------------------------------------------------
# Releases for the pages and the API


def can_see_restricted(user):
    """Researchers, leads and superusers may see restricted releases."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or user.groups.filter(name__in=("researcher", "lead")).exists()


def visible_releases(user):
    """Releases a reader may list: published ones, and restricted ones only for those who may see them."""
    releases = Release.objects.filter(status=Release.Status.PUBLISHED)
    if not can_see_restricted(user):
        releases = releases.filter(restricted=False)
    return releases.prefetch_related("campaigns__rubric").order_by("-published_at", "name")


def release_for_reader(user, name, version):
    """The release a reader asked for, or None when it does not exist for them: a draft only for those who may
    read every campaign it holds (its leads and the researchers they granted access), restricted ones need a
    researcher; a withdrawn one stays readable (its page says why)."""
    release = Release.objects.filter(name=name, version=version).first()
    if release is None:
        return None
    if release.status == Release.Status.DRAFT:
        return release if user_reads_unpublished(user, release) else None
    if release.restricted and not can_see_restricted(user):
        return None
    return release


def release_files(release):
    return list(release.files.order_by("position", "path"))


# A release's report (exports.release_report): each campaign's report page, rendered when it was built.
REPORT_FILE = "report.html"


def report_is_served(release, files):
    """Whether the release's report is served, `files` being its release_files: releases built before reports
    were, and releases of model series, have none; a withdrawn release's files are no longer served."""
    return release.status != Release.Status.WITHDRAWN and any(file.path == REPORT_FILE for file in files)


def other_versions(release):
    return list(Release.objects.filter(name=release.name).exclude(pk=release.pk)
                .exclude(status=Release.Status.DRAFT).order_by("-published_at"))


def campaign_releases(campaign):
    return list(Release.objects.filter(campaigns=campaign).order_by("-created_at"))


def release_for_lead(user, public_id):
    """A release whose every campaign the user leads; 404 for anyone else (a draft's existence is private)."""
    release = Release.objects.filter(public_id=public_id).prefetch_related("campaigns").first()
    if release is None or not user_leads_release(user, release):
        raise Http404("no such release among your campaigns")
    return release


def user_reads_unpublished(user, release):
    campaigns = list(release.campaigns.all())
    if not campaigns:  # a release of model series: series are the leads'
        return is_lead(user)
    return user.is_authenticated and all(is_reader_of(user, campaign) for campaign in campaigns)


def user_leads_release(user, release):
    campaigns = list(release.campaigns.all())
    if not campaigns:  # a release of model series: series are the leads'
        return is_lead(user)
    return user.is_authenticated and all(is_lead_of(user, campaign) for campaign in campaigns)


def release_series(release):
    return list(ModelSeries.objects.filter(release_links__release=release).order_by("name"))
