"""A campaign's reports, whatever its kind: each asks the campaign's kind (exports.kinds) for its builder."""

from annotation import agreement
from exports import kinds


def campaign_agreement(campaign, *, level=None, replicates=agreement.DEFAULT_REPLICATES, seed=agreement.DEFAULT_SEED,
                       normalise=False):
    """Agreement among the campaign's annotators as a JSON-ready dict (exports.reports.agreement); `level`
    None is the kind's default."""
    return kinds.for_campaign(campaign).agreement_report(campaign, level=level, replicates=replicates, seed=seed,
                                                         normalise=normalise)


def campaign_meta_eval(campaign, judge, *, level=agreement.DEFAULT_LEVEL, replicates=agreement.DEFAULT_REPLICATES,
                       seed=agreement.DEFAULT_SEED, inconsistent=None):
    """`judge` (a JudgeConfig) against the campaign's human raters as a JSON-ready dict
    (exports.reports.meta_eval). Each kind takes the options that apply to it: level, replicates and seed
    for scores, `inconsistent` (what a pair judged differently in the two orders counts as) for pairs."""
    return kinds.for_campaign(campaign).meta_eval_report(campaign, judge, level=level, replicates=replicates,
                                                         seed=seed, inconsistent=inconsistent)


def campaign_leaderboard(campaign, judge=None, *, replicates=agreement.DEFAULT_REPLICATES, seed=agreement.DEFAULT_SEED):
    """Per model and axis the humans' and the judges' means with intervals and ranks, safety rates and the
    system-level correlations (exports.reports.leaderboard); a HyokaError for a kind without scores."""
    return kinds.for_campaign(campaign).leaderboard_report(campaign, judge, replicates=replicates, seed=seed)


def campaign_lengths(campaign):
    """How often the longer response wins, for the humans and each judge, overall and per context category
    (exports.reports.lengths); a HyokaError for a kind without pairs."""
    return kinds.for_campaign(campaign).lengths_report(campaign)


def campaign_exam_report(campaign, *, text_only=False):
    """An exam campaign's report (exports.reports.exam): per exam and examinee the scores beside the students',
    per question every answer; a HyokaError for a campaign that is not an exam campaign."""
    return kinds.for_campaign(campaign).exam_report(campaign, text_only=text_only)
