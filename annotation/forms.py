"""The rubric form: what a lead types, turned into the definition dict that import_rubric also reads.

These forms only shape the input (numbers, one descriptor per line, comma-separated
verdicts). Whether the definition makes sense is decided by
``annotation.rubric_definitions.parse_rubric_definition`` and ``rubric_import``;
their errors come back through ``RubricDefinitionForms.add_definition_error``.
"""

import re

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from annotation import kinds
from annotation.access import campaign_annotators
from annotation.errors import FieldError
from annotation.models import Annotator, Batch, Campaign, CampaignMembership, Rubric
from annotation.services.workflow import Raters

# Japanese keyboards type full-width punctuation; accept it wherever a separator is expected.
POINT_LINE = re.compile(r"^\s*(?P<score>[^:：]+?)\s*[:：]\s*(?P<text>.*)$")
LANGUAGE_SEPARATOR = re.compile(r"\s*[|｜]\s*")
VERDICT_SEPARATOR = re.compile(r"[,，、]")
AXIS_ERROR_FIELD = re.compile(r"^axes\[(?P<index>\d+)\]\.(?P<part>[a-z]+)(?:\.(?P<language>ja|en))?")
AXIS_FIELD_OF_PART = {"key": "key", "min": "min_score", "max": "max_score", "points": "points"}


def point_lines_to_dict(text):
    """Parse "5: 日本語 | English" lines into {"5": {"ja": ..., "en": ...}}; a line without "|" serves both."""
    points = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = POINT_LINE.match(line)
        if match is None:
            raise forms.ValidationError(
                _("Line %(line)d: write “score: Japanese | English”, for example “5: 的確に答えている | Answers squarely”."),
                params={"line": number},
            )
        score = match["score"]
        if score in points:
            raise forms.ValidationError(_("Line %(line)d: score %(score)s is described twice."),
                                        params={"line": number, "score": score})
        languages = LANGUAGE_SEPARATOR.split(match["text"], maxsplit=1)
        points[score] = {"ja": languages[0], "en": languages[1]} if len(languages) == 2 else match["text"]
    return points


def points_dict_to_lines(points):
    """The inverse of point_lines_to_dict, for filling the form from a stored axis."""
    lines = []
    for score, text in sorted(points.items(), key=lambda pair: int(pair[0])):
        ja, en = text.get("ja", ""), text.get("en", "")
        lines.append(f"{score}: {ja}" if ja == en else f"{score}: {ja} | {en}")
    return "\n".join(lines)


class RubricForm(forms.Form):
    key = forms.CharField(
        label=_("Key"), max_length=100,
        help_text=_("Lowercase letters, digits, “-” and “_”, for example summeval-4. Campaigns and imports name the rubric by it."),
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Rubric.Kind.choices,
                             initial=Rubric._meta.get_field("kind").default, widget=forms.RadioSelect)
    description_ja = forms.CharField(label=_("Description (Japanese)"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}),
                                     help_text=_("Shown to annotators above the verdict options; Markdown."))
    description_en = forms.CharField(label=_("Description (English)"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}),
                                     help_text=_("Shown on English pages; leave empty to show the Japanese one."))
    verdicts = forms.CharField(
        label=_("Verdict options"), required=False,
        help_text=_("Pairwise rubrics only: the options separated by commas, for example “A, B, tie” or “A, B, both, neither”."),
    )

    def __init__(self, *args, editing_key=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing_key = editing_key

    def clean_key(self):
        # Saving under the key of another rubric would overwrite it; the edited rubric's own key is fine.
        key = self.cleaned_data["key"].strip()
        if key != self.editing_key and Rubric.objects.filter(key=key).exists():
            raise forms.ValidationError(_("A rubric with this key already exists; choose another key."))
        return key

    def clean_verdicts(self):
        parts = VERDICT_SEPARATOR.split(self.cleaned_data["verdicts"])
        return [part.strip() for part in parts if part.strip()]


class AxisForm(forms.Form):
    key = forms.CharField(label=_("Key"), required=False, max_length=100,
                          help_text=_("Lowercase letters, digits, “-” and “_”; score files name the axis by it."))
    label_ja = forms.CharField(label=_("Label (Japanese)"), required=False, max_length=200)
    label_en = forms.CharField(label=_("Label (English)"), required=False, max_length=200)
    criterion_ja = forms.CharField(label=_("Criterion (Japanese)"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 2}))
    criterion_en = forms.CharField(label=_("Criterion (English)"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 2}))
    min_score = forms.IntegerField(label=_("Lowest score"), initial=1)
    max_score = forms.IntegerField(label=_("Highest score"), initial=5)
    points = forms.CharField(
        label=_("Point descriptors"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One point per line: “score: Japanese | English”. Points you leave out have no descriptor."),
    )

    def clean_points(self):
        return point_lines_to_dict(self.cleaned_data["points"])

    def definition_data(self):
        data = self.cleaned_data
        return {
            "key": data["key"],
            "label": {"ja": data["label_ja"], "en": data["label_en"]},
            "criterion": {"ja": data["criterion_ja"], "en": data["criterion_en"]},
            "min": data["min_score"],
            "max": data["max_score"],
            "points": data["points"],
        }


AxisFormSet = formset_factory(AxisForm, extra=1, can_delete=True)


class RubricDefinitionForms:
    """The rubric form and its axis formset, filled in together and turned into one definition dict."""

    def __init__(self, data=None, rubric=None):
        self.rubric = rubric
        # Labels stand above their inputs, so they need no trailing colon.
        self.form = RubricForm(
            data, initial=_rubric_initial(rubric), editing_key=rubric.key if rubric else None, label_suffix=""
        )
        self.axes = AxisFormSet(data, initial=_axes_initial(rubric), prefix="axes", form_kwargs={"label_suffix": ""})

    def is_valid(self):
        axes_valid = self.axes.is_valid()  # checked even when the form is not, to show all mistakes at once
        if not self.form.is_valid():
            return False
        return axes_valid or self._part() != "axes"  # the axis forms count only for a kind defined by axes

    def filled_axis_forms(self):
        """The axis forms the lead filled in and did not mark for removal, in order."""
        stored = self.axes.initial_form_count()
        return [
            form for index, form in enumerate(self.axes.forms)
            if (index < stored or form.has_changed()) and not form.cleaned_data.get("DELETE")
        ]

    def definition_data(self):
        """The rubric as import_rubric reads it; call after is_valid()."""
        data = {field: self.form.cleaned_data[field] for field in ("key", "name", "kind")}
        data["description"] = {"ja": self.form.cleaned_data["description_ja"], "en": self.form.cleaned_data["description_en"]}
        # The page shows only the section of the chosen kind's part (axes, or the verdict options field), so the
        # other section's input is ignored.
        part = self._part()
        if part == "axes":
            data[part] = [form.definition_data() for form in self.filled_axis_forms()]
        else:
            data[part] = self.form.cleaned_data[part]
        return data

    def _part(self):
        """What a rubric of the chosen kind holds (annotation.kinds): "axes" or "verdicts"."""
        return kinds.for_name(self.form.cleaned_data["kind"]).RUBRIC_PART

    def add_definition_error(self, error):
        """Show a FieldError next to the field it names, and above the form; any other HyokaError above the form."""
        target = self._error_target(error) if isinstance(error, FieldError) else None
        if target is None:
            self.form.add_error(None, str(error))
            return
        form, field = target
        form.add_error(field, error.reason)
        summary = _("%(place)s (%(path)s): %(reason)s")
        self.form.add_error(None, summary % {"place": self._place(form, field), "path": error.field, "reason": error.reason})

    def _error_target(self, error):
        """(form, field name) for the field that a FieldError's path (``key``, ``axes[2].points.5``) names."""
        if error.field in self.form.fields:
            return self.form, error.field
        if error.field.startswith("verdicts"):
            return self.form, "verdicts"
        match = AXIS_ERROR_FIELD.match(error.field)
        axis_forms = self.filled_axis_forms()
        if match is None or int(match["index"]) >= len(axis_forms):
            return None
        part = match["part"]
        field = AXIS_FIELD_OF_PART.get(part) or f"{part}_{match['language'] or 'ja'}"
        return axis_forms[int(match["index"])], field

    def _place(self, form, field):
        """The field as the page labels it, e.g. "Axis 2, Highest score"."""
        if form is self.form:
            return form[field].label
        number = self.axes.forms.index(form) + 1
        return _("Axis %(number)d, %(label)s") % {"number": number, "label": form[field].label}


def _rubric_initial(rubric):
    if rubric is None:
        return {}  # the fields' own initial values
    return {
        "key": rubric.key,
        "name": rubric.name,
        "kind": rubric.kind,
        "description_ja": rubric.description_ja,
        "description_en": rubric.description_en,
        "verdicts": ", ".join(rubric.verdicts),
    }


def _axes_initial(rubric):
    if rubric is None:
        return []
    return [
        {
            "key": axis.key,
            "label_ja": axis.label_ja,
            "label_en": axis.label_en,
            "criterion_ja": axis.criterion_ja,
            "criterion_en": axis.criterion_en,
            "min_score": axis.min_score,
            "max_score": axis.max_score,
            "points": points_dict_to_lines(axis.points),
        }
        for axis in rubric.axes.order_by("position")
    ]


# The rating workflow's lead forms. They shape the input; the services decide whether it makes sense,
# and their errors come back through add_service_error.


class WorkflowForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")  # labels stand above their inputs, as on the rubric form
        super().__init__(*args, **kwargs)


USERNAME_SEPARATOR = re.compile(r"[\s,，、]+")


class CampaignForm(WorkflowForm):
    """A new campaign. Its kind is its rubric's: the rubrics are offered grouped by kind. What makes sense is
    decided by services.campaigns.campaign_create, whose errors come back on the field they name."""

    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.SlugField(label=_("Slug"), max_length=100,
                           help_text=_("Lowercase letters, digits, - and _: the campaign's name in URLs and commands."))
    rubric = forms.ChoiceField(label=_("Kind and rubric"))
    overlap = forms.IntegerField(label=_("Overlap k"), min_value=2, max_value=100, initial=2,
                                 help_text=_("How many distinct annotators rate each item."))
    show_model_names = forms.BooleanField(label=_("Show model names to annotators"), required=False,
                                          help_text=_("Leave unticked for a blind study."))
    per_turn_scores = forms.BooleanField(
        label=_("Score each turn"), required=False,
        help_text=_("Likert campaigns: on a conversation of several turns, annotators score every axis for each "
                    "turn (as MT-Bench grades turn 1 and turn 2), instead of once for the whole conversation."))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text=_("Markdown, shown on the campaign's page."))
    instructions = forms.CharField(label=_("Instructions for the annotators"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 6}),
                                   help_text=_("Markdown, shown above the texts on every rating page."))
    leads = forms.CharField(label=_("Co-leads"), required=False,
                            help_text=_("Usernames of other leads, separated by commas or spaces; you lead it too."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rubric"].choices = rubric_choices_by_kind()

    def clean_leads(self):
        return [name for name in USERNAME_SEPARATOR.split(self.cleaned_data["leads"]) if name]

    def service_arguments(self):
        data = self.cleaned_data
        return {"slug": data["slug"], "name": data["name"], "rubric_key": data["rubric"],
                "overlap": data["overlap"], "show_model_names": data["show_model_names"],
                "per_turn_scores": data["per_turn_scores"],
                "description": data["description"], "instructions": data["instructions"], "leads": data["leads"]}


def rubric_choices_by_kind():
    """Every rubric's key and name, in one group per campaign kind (named by the kind)."""
    groups = {}
    for rubric in Rubric.objects.order_by("kind", "key"):
        groups.setdefault(rubric.get_kind_display(), []).append((rubric.key, f"{rubric.key}: {rubric.name}"))
    return list(groups.items())


class MemberAddForm(WorkflowForm):
    username = forms.CharField(label=_("Username"), max_length=150, help_text=_("Their account name."))
    role = forms.ChoiceField(label=_("Role"), choices=CampaignMembership.Role.choices, required=False,
                             initial=CampaignMembership.Role.ANNOTATOR)
    tier = forms.ChoiceField(label=_("Tier"), required=False,
                             choices=[("", _("(keep, or professional for a new annotator)")), *Annotator.Tier.choices],
                             help_text=_("Annotators only."))

    def clean_role(self):
        return self.cleaned_data["role"] or CampaignMembership.Role.ANNOTATOR


class TierForm(WorkflowForm):
    tier = forms.ChoiceField(label=_("Tier"), choices=Annotator.Tier.choices)


class CutBatchesForm(WorkflowForm):
    size = forms.IntegerField(label=_("Batch size"), min_value=1, max_value=100000, initial=50,
                              help_text=_("Items per batch; the last batch takes what is left."))
    order = forms.ChoiceField(label=_("Order"), choices=Batch.Order.choices, initial=Batch.Order.RANDOM,
                              widget=forms.RadioSelect)
    seed = forms.IntegerField(label=_("Seed"), required=False, min_value=0, max_value=2**31 - 1,
                              help_text=_("For seeded-random order; leave empty for a new random seed (it is recorded)."))
    raters = forms.ChoiceField(
        label=_("Items that already have raters"), choices=Raters.choices, initial=Raters.UP_TO_K, required=False,
        widget=forms.RadioSelect,
        help_text=_("Imported ratings hold no places to rate. Up to k in all: an item with j imported raters gets "
                    "k − j places (none at k or more). k more: every item gets k places."),
    )

    def clean_raters(self):
        return self.cleaned_data["raters"] or Raters.UP_TO_K


class AssignForm(WorkflowForm):
    annotators = forms.ModelMultipleChoiceField(
        label=_("Annotators"), queryset=Annotator.objects.none(), to_field_name="handle",
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each unassigned batch goes to k of them, the least loaded first."),
    )

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["annotators"].queryset = campaign_annotators(campaign)


class ExamLicenseForm(WorkflowForm):
    """The source's license of an exam campaign's exams (what import_exam --license records)."""

    license = forms.CharField(
        label=_("Source license"), max_length=100,
        help_text=_("The license of the source the questions come from, e.g. cc-by-nc-4.0 for center-examination-jp "
                    "(non-commercial). A release carries it; a non-commercial or unknown one forbids releasing the "
                    "campaign under a license that allows commercial use."))
    exams = forms.MultipleChoiceField(label=_("Exams"), required=False, widget=forms.CheckboxSelectMultiple,
                                      help_text=_("None ticked: every exam of the campaign."))

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        keys = campaign.exams.order_by("key").values_list("key", flat=True)
        self.fields["exams"].choices = [(key, key) for key in keys]


class OpenForm(WorkflowForm):
    mode = forms.ChoiceField(label=_("Assignment mode"), choices=Campaign.Mode.choices, widget=forms.RadioSelect)


class ReassignForm(WorkflowForm):
    annotator = forms.ChoiceField(label=_("New annotator"))

    def __init__(self, *args, assignment, candidates, **kwargs):
        """``candidates``: the Annotators who may take over (see selectors.reassignment_candidates)."""
        super().__init__(*args, prefix=f"reassign-{assignment.public_id}", **kwargs)
        self.assignment = assignment
        self.candidates = {annotator.handle: annotator for annotator in candidates}
        self.fields["annotator"].choices = [("", "—")] + [(handle, handle) for handle in self.candidates]

    def clean_annotator(self):
        return self.candidates[self.cleaned_data["annotator"]]


def add_service_error(form, error, field=None):
    """Show a service's HyokaError on the form: on the field a FieldError names, else on ``field``, else on top."""
    if isinstance(error, FieldError) and error.field in form.fields:
        form.add_error(error.field, error.reason)
    else:
        form.add_error(field, str(error))


class SeriesForm(forms.Form):
    """A new model series (annotation.services.series.series_create decides whether it can be made)."""

    name = forms.SlugField(label=_("Name"), max_length=100,
                           help_text=_("Lowercase letters, digits, - and _: the series' name in URLs and commands."))
    family = forms.CharField(label=_("Model family"), max_length=100, required=False)
    size = forms.CharField(label=_("Size"), max_length=50, required=False, help_text=_("For example 7B or 70B."))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CheckpointForm(forms.Form):
    """A checkpoint added to a series by hand (imports add the checkpoints their files name)."""

    step = forms.IntegerField(label=_("Training step"), min_value=0)
    tokens = forms.IntegerField(label=_("Tokens seen"), min_value=0, required=False)
    name = forms.CharField(label=_("Model name"), max_length=200, required=False,
                           help_text=_("Default: the series' name and the step, e.g. llm-jp-3-1.8b-step10000."))
