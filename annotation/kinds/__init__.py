"""Campaign kinds, the annotation side: what an item of each kind is and how an annotator answers it.

A campaign's kind is its rubric's kind (``Rubric.Kind``). Everything that differs by kind lives in one module
per kind, in each app that needs it (as a database backend is a package of small modules the ORM consults):
``annotation.kinds.<kind>`` for items, rating pages, rating checks and agreement; ``judging.kinds.<kind>`` for
judge jobs and human–judge figures; ``exports.kinds.<kind>`` for report pages, release tables and dataset
card sections. A higher app's kind module may use the lower app's module of the same kind, never the reverse.
Code outside the kind modules asks ``for_campaign(campaign)`` and calls what it gets; it never compares kinds.

Every kind module of an app defines the names in that app's ``CONTRACT`` (tests/test_kinds.py holds them to it).
"""

from annotation.kinds import exam, likert, pairwise

KINDS = {module.NAME: module for module in (likert, pairwise, exam)}

# The names every annotation kind module defines.
CONTRACT = (
    "NAME",
    # The item as its annotator sees it (workflow_selectors.item_for_rating), and the pages that show it.
    "shown_order", "item_payload", "page_turns", "answer_label", "verdict_in_screen_terms", "checks_in_screen_terms",
    "RATE_TEMPLATE", "MY_RATINGS_TEMPLATE", "RUBRIC_TEMPLATE", "RUBRIC_SUMMARY_TEMPLATE", "MODEL_COUNTS_NOTE",
    "CREATE_NOTE",
    # What a rating carries, checked and stored in the item's terms (services.workflow.clean_entry).
    "clean_verdict", "clean_check", "CHECK_SHAPE", "verdict_in_item_terms", "checks_in_item_terms",
    # The rubric's part (rubric_definitions, the rubric form), imports and the models an item answers for.
    "RUBRIC_PART", "parse_rubric_part", "TURN_SCORES", "RESPONSE_FIELDS", "ITEM_PER_RESPONSE", "check_pair_option", "score_importer",
    "items_after_import", "rating_importer", "items_for_generated", "check_exam_import",
    # What a lead may upload on the campaign's page (annotation.services.uploads), in the order offered.
    "UPLOAD_KINDS",
    # The kind's own section of the campaign's Manage page ("" for none) and its context (forms unbound).
    "MANAGE_TEMPLATE", "manage_context",
    # Reports (annotation.ranking_selectors)
    "check_rankable",
    # The rating hot path (annotation.hot_paths): the kind's part of the next-item and submit statements.
    # HOT_ITEM_COLUMNS by database vendor; HOT_ANSWER_SQL is PostgreSQL's (SQLite's way checks an answer with the
    # service's rules); SQLITE_FUNCTIONS: {SQL name: (number of arguments, Python function)} the kind's SQLite SQL
    # calls, registered on every SQLite connection (register_sqlite_functions).
    "HOT_ITEM_JOINS", "HOT_ITEM_COLUMNS", "hot_item_shown", "HOT_ANSWER_FIELDS", "hot_answer", "HOT_ANSWER_SQL",
    "SQLITE_FUNCTIONS",
    # The quick export of a campaign's ratings (exports.rating_export): the kind's columns and fields, and the same
    # fields as SQL for PostgreSQL's path (export_sql: joins and (key, SQL value) pairs).
    "EXPORT_LOOKUPS", "export_columns", "export_records", "export_sql",
    # Adjudication (annotation.final_labels): an answer as a dict, how far answers disagree, the page, the label.
    "final_answer", "disagreement", "final_label_text", "ADJUDICATE_TEMPLATE",
)


def lookups(kinds):
    """for_name, for_rubric and for_campaign over ``kinds`` (name → kind module): what every app's kinds package
    offers, with the same LookupError for an unknown name everywhere."""

    def for_name(name):
        """The kind module called ``name`` (a Rubric.Kind value)."""
        try:
            return kinds[name]
        except KeyError:
            raise LookupError(f"no campaign kind {name!r}; known: {', '.join(kinds)}") from None

    def for_rubric(rubric):
        return for_name(rubric.kind)

    def for_campaign(campaign):
        return for_name(campaign.rubric.kind)

    return for_name, for_rubric, for_campaign


for_name, for_rubric, for_campaign = lookups(KINDS)


def register_sqlite_functions(sender, connection, **kwargs):
    """``connection_created`` receiver: give SQLite connections the functions the kinds' SQL calls."""
    if connection.vendor == "sqlite":
        for kind in KINDS.values():
            for name, (arguments, function) in kind.SQLITE_FUNCTIONS.items():
                connection.connection.create_function(name, arguments, function, deterministic=True)
