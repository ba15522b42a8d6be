"""Forms of the judging pages. They shape the input; judging.services decides whether it makes sense."""

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from annotation.models import Rubric
from judging.models import JudgeConfig, ModelEndpoint
from judging.prompts import TEMPLATE_CHOICES
from annotation.errors import HyokaError
from judging.services.configs import SETTABLE_FIELDS, judge_config_validate
from judging.services.endpoints import SETTABLE_FIELDS as ENDPOINT_FIELDS


def https_by_default(field, **kwargs):
    """Form fields of the model's fields, with URLs read as https when no scheme is typed (Django 6's default)."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class JudgeConfigForm(forms.ModelForm):
    rubric_key = forms.ModelChoiceField(
        label=_("Rubric"), queryset=Rubric.objects.order_by("key"),
        to_field_name="key",
        help_text=_("The judge scores the axes of this rubric, or compares pairs with its verdicts; jobs run on "
                    "its campaigns."),
    )
    template = forms.ChoiceField(
        label=_("Prompt template"), choices=TEMPLATE_CHOICES,
        help_text=_("Built-in Japanese templates; the version in use is recorded with every call."),
    )

    class Meta:
        model = JudgeConfig
        fields = ("name", *SETTABLE_FIELDS)
        formfield_callback = https_by_default
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, instance=None, **kwargs):
        super().__init__(*args, instance=instance, **kwargs)
        if instance is not None and instance.pk:
            self.fields["name"].disabled = True
            self.initial["rubric_key"] = instance.rubric.key if instance.rubric_id else None
            self.initial["template"] = instance.template
        self.fields["api_key_env"].required = False
        self.fields["inconsistent"].required = False  # only pairwise judges use it; absent keeps the default

    def clean_name(self):
        name = self.cleaned_data["name"]
        if self.instance.pk is None and JudgeConfig.objects.filter(name=name).exists():
            raise forms.ValidationError(_("A judge config named %(name)s exists already."), params={"name": name})
        return name

    def service_arguments(self):
        """The keyword arguments of judging.services.judge_config_save."""
        data = self.cleaned_data
        fields = {name: data[name] for name in SETTABLE_FIELDS if name in data}
        if not fields.get("inconsistent"):
            fields.pop("inconsistent", None)
        return {"name": data["name"], "rubric_key": data["rubric_key"].key, "template": data["template"], **fields}

    def _post_clean(self):
        pass  # the service validates the whole config and saves it; the form only checks each field


class JudgeJobStartForm(forms.Form):
    config = forms.ModelChoiceField(label=_("Judge config"), queryset=JudgeConfig.objects.none(), to_field_name="name")

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["config"].queryset = JudgeConfig.objects.filter(
            is_external=False, rubric=campaign.rubric).order_by("name")


class JudgeJobResumeForm(forms.Form):
    budget = forms.DecimalField(
        label=_("New budget (USD)"), required=False, min_value=0, max_digits=12, decimal_places=4,
        help_text=_("Leave empty to keep the current budget."),
    )


class JudgeConfigAdminForm(forms.ModelForm):
    """The admin's form: the same checks as the command and the pages (judging.services.configs)."""

    template = forms.ChoiceField(label=_("Prompt template"), choices=[("", "—"), *TEMPLATE_CHOICES], required=False,
                                 help_text=_("Empty for external judges (imported verdicts)."))

    class Meta:
        model = JudgeConfig
        exclude = ["template_version"]
        formfield_callback = https_by_default

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            judge_config_validate(self.instance, template=self.cleaned_data.get("template") or None)
        except HyokaError as error:
            self.add_error(None, str(error))


class ModelEndpointForm(forms.ModelForm):
    answers_as = forms.CharField(
        label=_("Answers as"), max_length=200, required=False,
        help_text=_("The evaluated model its answers are stored as (made when missing); empty: the endpoint's name."),
    )

    class Meta:
        model = ModelEndpoint
        fields = ("name", *ENDPOINT_FIELDS)
        formfield_callback = https_by_default
        widgets = {"description": forms.Textarea(attrs={"rows": 2}), "system_prompt": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, instance=None, **kwargs):
        super().__init__(*args, instance=instance, **kwargs)
        if instance is not None and instance.pk:
            self.fields["name"].disabled = True
            self.initial["answers_as"] = instance.language_model.name
        self.fields["api_key_env"].required = False
        self.fields["output_format"].required = False  # not given: the endpoint's, text for a new one

    def clean_name(self):
        name = self.cleaned_data["name"]
        if self.instance.pk is None and ModelEndpoint.objects.filter(name=name).exists():
            raise forms.ValidationError(_("A model endpoint named %(name)s exists already."), params={"name": name})
        return name

    def service_arguments(self):
        """The keyword arguments of judging.services.model_endpoint_save."""
        data = self.cleaned_data
        return {"name": data["name"], "answers_as": data["answers_as"] or None,
                **{name: data[name] for name in ENDPOINT_FIELDS if name in data},
                "output_format": data.get("output_format") or None}

    def _post_clean(self):
        pass  # the service validates the whole endpoint and saves it; the form only checks each field


class GenerationJobStartForm(forms.Form):
    endpoint = forms.ModelChoiceField(label=_("Model endpoint"), queryset=ModelEndpoint.objects.order_by("name"),
                                      to_field_name="name")
    new_sample = forms.BooleanField(
        label=_("As a new sample"), required=False,
        help_text=_("Store the answers as the model's next free sample (MODEL#n), beside the responses it has."),
    )
    # Exam campaigns only (judging.kinds: generation_options); shown on exam campaigns' page.
    output_format = forms.ChoiceField(
        label=_("Output format"), required=False,
        choices=[("", _("The endpoint's")), ("text", _("Text ending in 「答え: N」")),
                 ("json_schema", _("JSON with a schema (structured output)"))],
    )
    text_only = forms.BooleanField(label=_("Text-only"), required=False,
                                   help_text=_("Leave out the questions that need a figure."))
    no_figures = forms.BooleanField(
        label=_("Send no figures"), required=False,
        help_text=_("Ask every question by its text alone, even where the endpoint accepts images."),
    )

    def service_arguments(self):
        """The keyword arguments of generation_job_create and generation_job_estimate (besides the campaign)."""
        data = self.cleaned_data
        return {"endpoint": data["endpoint"], "new_sample": data["new_sample"], "options": {
            "output_format": data.get("output_format") or None, "text_only": data.get("text_only", False),
            "figures": False if data.get("no_figures") else None}}
