from django import forms
from django.utils.translation import gettext_lazy as _

from annotation.models import Campaign
from annotation.rubric_axes import rubric_axes


class QualitySettingsForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["gold_share", "gold_training", "gold_warn_after", "gold_pause_after", "release_quality_items"]
        widgets = {"gold_share": forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "0.99"})}


class GoldAnswerForm(forms.Form):
    """One known answer, as a gold import record: the item by prompt id and model (a pair: two models), and a
    score per axis or a verdict."""

    prompt_id = forms.CharField(label=_("Prompt id"), max_length=200)
    model = forms.CharField(label=_("Model"), max_length=200,
                            help_text=_("For a pair, the model of response A."))
    model_b = forms.CharField(label=_("Model B (pairs only)"), max_length=200, required=False)
    verdict = forms.CharField(label=_("Known verdict (pairs only)"), max_length=10, required=False)
    tolerance = forms.IntegerField(label=_("Tolerance (points)"), min_value=0, max_value=100, initial=0)
    explanation = forms.CharField(label=_("Explanation (shown in training mode)"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.axis_keys = [axis.key for axis in rubric_axes(campaign.rubric)]
        for axis in rubric_axes(campaign.rubric):
            self.fields[f"score_{axis.key}"] = forms.IntegerField(
                label=axis.key, required=False, min_value=axis.min_score, max_value=axis.max_score)

    def record(self):
        data = self.cleaned_data
        record = {"prompt_id": data["prompt_id"], "tolerance": data["tolerance"],
                  "explanation": data["explanation"], "verdict": data["verdict"],
                  "scores": {key: data[f"score_{key}"] for key in self.axis_keys if data[f"score_{key}"] is not None}}
        if data["model_b"]:
            record.update(model_a=data["model"], model_b=data["model_b"])
        else:
            record["model"] = data["model"]
        return record
