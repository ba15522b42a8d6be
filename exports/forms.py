"""Forms of the lead's release pages: what a new release is made of, and why one is withdrawn."""

from django import forms
from django.utils.translation import gettext_lazy as _

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
