"""The reports layer: every report on a campaign, as JSON (what the agreement, meta_eval and ranking commands
print with --json and the report API returns), as text (the commands' tables) and as the report page.

- agreement.py, meta_eval.py, ranking.py, checklists.py: the JSON report builders, one per report and kind
  (likert_agreement, verdict_agreement, ...), each a dict ready for json.dumps;
- campaign.py: the entry points that ask the campaign's kind (exports.kinds) which builder to use;
- text.py: the commands' text tables of those dicts;
- page.py, likert_page.py, pairwise_page.py: the report page of each kind, built from the same builders (the
  page shows the numbers the commands and the API give) and shaped for its template.

They read through the selectors (annotation.agreement_selectors, annotation.ranking_selectors,
judging.meta_eval_selectors, judging.ranking_selectors: data only) and compute with the pure statistics
modules (annotation.agreement, annotation.ranking, judging.meta_eval, judging.pair_votes). This is the only
place that shapes their results for people and scripts. A kind module (exports.kinds.<kind>) names the
builders of its kind; nothing here compares kinds.
"""
