"""Forms of the lead's release pages (what a new release is made of, and why one is withdrawn) and of the model
series' trajectory page (what it is asked for in its query string)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from annotation.trajectory_rule import DEFAULT_WINDOW, RULE_THRESHOLDS, TypeRule, check_window
from exports.models import Release, semver_validator


class ReleaseForm(forms.Form):
    campaigns = forms.ModelMultipleChoiceField(
        label=_("Campaigns"), queryset=None, widget=forms.CheckboxSelectMultiple,
        help_text=_("Campaigns you lead: scored (Likert) ones, or pairwise ones, not both in one release."),
    )
    version = forms.CharField(label=_("Version"), max_length=64, validators=[semver_validator],
                              help_text=_("A semantic version, e.g. 1.0.0. A correction is a new version."))
    name = forms.SlugField(label=_("Dataset name"), max_length=100, required=False,
                           help_text=_("The folder and URL name; empty for the first campaign's slug."))
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    license = forms.ChoiceField(label=_("License"), choices=Release.License.choices,
                                initial=Release.License.CC_BY_4_0)
    citation = forms.CharField(label=_("Citation"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
                               help_text=_("BibTeX or plain text, shown in the dataset card."))
    restricted = forms.BooleanField(label=_("Only for signed-in researchers"), required=False)
    include_usernames = forms.BooleanField(label=_("Include annotators' user names"), required=False)
    include_emails = forms.BooleanField(label=_("Include annotators' e-mail addresses"), required=False)
    include_comments = forms.BooleanField(label=_("Include annotators' comments"), required=False)
    dpo_threshold = forms.FloatField(
        label=_("Preference pair threshold"), min_value=0.01, initial=1.0,
        help_text=_("Two responses to a prompt form a pair when their mean overall scores differ by at least this "
                    "(Likert campaigns; pairwise ones take the human majority)."),
    )

    def __init__(self, *args, campaigns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaigns"].queryset = campaigns.order_by("slug")

    def service_arguments(self):
        data = dict(self.cleaned_data)
        data["campaigns"] = list(data["campaigns"])
        return data


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Why is it withdrawn?"), widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Shown on the release's page to everyone who finds it."))


RULE_LABELS = {
    "min_rise": _("Least rise (in the score's units)"),
    "max_fall": _("Largest fall at the end (share of the rise)"),
    "onset_progress": _("Onset: progress reached"),
    "late_onset_after": _("Late onset from (share of training)"),
    "plateau_span": _("Plateau: least length (share of training)"),
    "plateau_change": _("Plateau: progress moves less than"),
    "first_stage": _("Two-stage: progress before the plateau"),
    "second_stage": _("Two-stage: rise after the plateau"),
    "steepest_share": _("Gradual: most of the rise in one stretch"),
}


class TrajectoryOptionsForm(forms.Form):
    """The series page's query: the smoothing window, the horizontal axis, the series compared and the type
    rule's thresholds (each 0 or more, the shares at most 1: annotation.trajectory_rule.TypeRule). A value left
    empty takes its default; a bad one is shown at its field, and the page answers 400 without applying it."""

    window = forms.IntegerField(label=_("Smoothing window (checkpoints, odd)"), min_value=1, required=False)
    x = forms.ChoiceField(label=_("Horizontal axis"), required=False,
                          choices=[("step", _("Training step")), ("tokens", _("Tokens seen"))])
    compare = forms.MultipleChoiceField(label=_("Compare with"), required=False)

    def __init__(self, data, *, other_series):
        super().__init__(data)
        self.fields["compare"].choices = [(name, name) for name in other_series]
        for name in RULE_THRESHOLDS:
            self.fields[name] = forms.FloatField(
                label=RULE_LABELS[name], required=False, min_value=0, max_value=TypeRule.highest(name),
                widget=forms.NumberInput(attrs={"step": "any", "placeholder": getattr(TypeRule(), name)}),
                help_text=name)

    def clean_window(self):
        window = self.cleaned_data["window"]
        if window is not None:
            try:
                check_window(window)
            except ValueError:
                raise forms.ValidationError(_("The window must be an odd number of checkpoints.")) from None
        return window

    def options(self):
        """(window, x, compared series, TypeRule) asked for, the defaults standing for what is empty or bad."""
        self.is_valid()
        data = self.cleaned_data
        window = check_window(data.get("window") or DEFAULT_WINDOW)
        rule = TypeRule(**{name: data[name] for name in RULE_THRESHOLDS if data.get(name) is not None})
        return window, data.get("x") or "step", tuple(data.get("compare") or ()), rule

    def threshold_fields(self):
        return [self[name] for name in RULE_THRESHOLDS]
