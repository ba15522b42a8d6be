"""Why a figure is undefined, said in the page's language.

The statistics modules are pure (no Django, so no translation) and the JSON reports and the commands give their
reasons in English, as scripts read them. The report pages show a reason through ``translated_reason``, which
knows the shape of each reason the statistics and the report builders give; one it does not know is shown as
given (tests/exports/test_reasons.py holds the shapes to what the statistics say).
"""

import re

from django.utils.translation import gettext, gettext_lazy as _

# (the English reason as a pattern, its message); the pattern's named groups fill the message's parameters.
SHAPES = [(re.compile(f"^{pattern}$"), message) for pattern, message in [
    (r"no scores on this axis", _("no scores on this axis")),
    (r"no human scores on this axis", _("no human scores on this axis")),
    (r"only one annotator scored this axis", _("only one annotator scored this axis")),
    (r"no item was scored by two or more annotators", _("no item was scored by two or more annotators")),
    (r"only one item was scored by two or more annotators: alpha needs at least two",
     _("only one item was scored by two or more annotators: alpha needs at least two")),
    (r"only one item: no interval", _("only one item: no interval")),
    (r"every paired score is the same value: alpha is undefined without variation",
     _("every paired score is the same value: alpha is undefined without variation")),
    (r"no pair of annotators has (?P<count>\d+) or more items in common with some variation",
     _("no pair of annotators has %(count)s or more items in common with some variation")),
    (r"fewer than (?P<count>\d+) bootstrap replicates were defined: no interval",
     _("fewer than %(count)s bootstrap replicates were defined: no interval")),
    (r"fewer than 3 items \((?P<count>\d+)\): a correlation needs at least 3",
     _("fewer than 3 items (%(count)s): a correlation needs at least 3")),
    (r"fewer than 3 models \((?P<count>\d+)\): a correlation needs at least 3",
     _("fewer than 3 models (%(count)s): a correlation needs at least 3")),
    (r"fewer than 3 answers \((?P<count>\d+)\): a correlation needs at least 3",
     _("fewer than 3 answers (%(count)s): a correlation needs at least 3")),
    (r"fewer than 3 questions \((?P<count>\d+)\): a correlation needs at least 3",
     _("fewer than 3 questions (%(count)s): a correlation needs at least 3")),
    (r"campaign (?P<campaign>\S+) has no exam questions yet", _("campaign %(campaign)s has no exam questions yet")),
    (r"campaign (?P<campaign>\S+) has no answers yet: run a generation job or have annotators answer",
     _("campaign %(campaign)s has no answers yet: run a generation job or have annotators answer")),
    (r"no votes", _("no votes")),
    (r"no ratings", _("no ratings")),
    (r"no human ratings", _("no human ratings")),
    (r"campaign (?P<campaign>\S+) has no ratings yet", _("campaign %(campaign)s has no ratings yet")),
    (r"campaign (?P<campaign>\S+) has no pairwise votes yet", _("campaign %(campaign)s has no pairwise votes yet")),
    (r"only one annotator has rated in campaign (?P<campaign>\S+): agreement needs two or more",
     _("only one annotator has rated in campaign %(campaign)s: agreement needs two or more")),
    (r"only one annotator has voted in campaign (?P<campaign>\S+): agreement needs two or more",
     _("only one annotator has voted in campaign %(campaign)s: agreement needs two or more")),
    (r"judge (?P<judge>\S+) has no scores in campaign (?P<campaign>\S+)",
     _("judge %(judge)s has no scores in campaign %(campaign)s")),
    (r"judge (?P<judge>\S+) has no scores in campaign (?P<campaign>\S+) \((?P<failed>\d+) verdicts failed and have "
     r"no scores\)",
     _("judge %(judge)s has no scores in campaign %(campaign)s (%(failed)s verdicts failed and have no scores)")),
    (r"judge (?P<judge>\S+) scored none of the items the humans rated in campaign (?P<campaign>\S+)",
     _("judge %(judge)s scored none of the items the humans rated in campaign %(campaign)s")),
    (r"judge (?P<judge>\S+) judged none of the items the humans voted on in campaign (?P<campaign>\S+)",
     _("judge %(judge)s judged none of the items the humans voted on in campaign %(campaign)s")),
    (r"no item has both a reference score and a score under test",
     _("no item has both a reference score and a score under test")),
    (r"never lost or tied: its strength has no finite estimate and rests on the prior; read its rating as a lower "
     r"bound", _("never lost or tied: its strength has no finite estimate and rests on the prior; read its rating as "
                 "a lower bound")),
    (r"never won or tied: its strength has no finite estimate and rests on the prior; read its rating as an upper "
     r"bound", _("never won or tied: its strength has no finite estimate and rests on the prior; read its rating as "
                 "an upper bound")),
]]
# What a correlation is undefined for when one side is constant ("X are all the same: ...").
CONSTANT_SIDES = {
    "this annotator's scores": _("this annotator's scores"), "the others' mean scores": _("the others' mean scores"),
    "the reference scores": _("the reference scores"), "the scores under test": _("the scores under test"),
    "the models' human means": _("the models' human means"), "the models' judge means": _("the models' judge means"),
    "the ticks": _("the ticks"), "the scores": _("the scores"),
    "the examinee's marks": _("the examinee's marks"), "the students' correct rates": _("the students' correct rates"),
}
CONSTANT_SIDE = re.compile(r"^(?P<side>.+) are all the same: the correlation is undefined$")
WITHOUT_ANNOTATOR = re.compile(r"^without this annotator, (?P<reason>.+)$")


def translated_reason(reason):
    """``reason`` in the active language when its shape is known, else as given (None and "" stay as they are)."""
    if not reason:
        return reason
    if found := WITHOUT_ANNOTATOR.match(reason):
        return gettext("without this annotator, %(reason)s") % {"reason": translated_reason(found["reason"])}
    if (found := CONSTANT_SIDE.match(reason)) and found["side"] in CONSTANT_SIDES:
        return gettext("%(side)s are all the same: the correlation is undefined") % {
            "side": CONSTANT_SIDES[found["side"]]}
    for pattern, message in SHAPES:
        if found := pattern.match(reason):
            return str(message) % found.groupdict() if found.groupdict() else str(message)
    return reason
