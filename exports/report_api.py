"""The campaign report's numbers as JSON, for the leads of the campaign: the same objects as the
`agreement --json`, `meta_eval --json` and `ranking --json` commands print. Each answer is kept per request and
data version (`kept`), as the report page's figures are."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation import access
from annotation import statistics_options as stats
from annotation.trajectory_rule import (
    DEFAULT_WINDOW, RULE_THRESHOLDS, TypeRule, threshold_bounds, threshold_problem,
)
from judging.verdict_selectors import judge_for_report

# The reports (exports.reports) are imported by the methods that build them: they load pandas, numpy and
# scipy, which a web process serving other pages does not need.

MAX_REPLICATES = 10_000


class BootstrapSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=stats.LEVELS, default=stats.DEFAULT_LEVEL)
    replicates = serializers.IntegerField(min_value=0, max_value=MAX_REPLICATES, default=stats.DEFAULT_REPLICATES)
    seed = serializers.IntegerField(min_value=0, default=stats.DEFAULT_SEED)


def kept(campaign, name, params, compute):
    """The answer of a campaign's report API, computed once per request and data version and kept: a repeat
    call with the same parameters on unchanged data reads it back (exports.services.report_snapshots)."""
    from exports.services.report_snapshots import report_json_kept

    return Response(report_json_kept(campaign=campaign, name=name, params=params, compute=compute))


def query_options(serializer_class, request):
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


BOOTSTRAP_PARAMETERS = [
    OpenApiParameter("level", str, enum=list(stats.LEVELS), description="Level of measurement of alpha."),
    OpenApiParameter("replicates", int, description=f"Bootstrap replicates per interval, 0 to {MAX_REPLICATES}."),
    OpenApiParameter("seed", int, description="Seed of the bootstrap."),
]
REPORT_DESCRIPTION = (
    "One object keyed by axis key (every axis of the rubric, in rubric order) plus \"meta\": the run's "
    "parameters and counts, and \"reason\" (why nothing could be computed, or null). Statistics are "
    "{value, low, high, reason, replicates, dropped}; an undefined one has value null and a reason."
)
AGREEMENT_DESCRIPTION = REPORT_DESCRIPTION + (
    " For a pairwise campaign (meta.kind \"pairwise\"), the object holds \"meta\" and \"verdict\": nominal "
    "alpha over the verdicts in the item's terms, pair agreement, votes per verdict and per-annotator figures; "
    "the level defaults to (and must be) nominal."
)


class AgreementApi(APIView):
    class InputSerializer(BootstrapSerializer):
        # No default level: a likert campaign takes ordinal, a pairwise one nominal (its only level).
        level = serializers.ChoiceField(choices=stats.LEVELS, required=False)
        normalise = serializers.BooleanField(default=False)

    @extend_schema(
        parameters=[*BOOTSTRAP_PARAMETERS, OpenApiParameter("normalise", bool, description="z-score per annotator.")],
        responses={200: OpenApiTypes.OBJECT}, description=AGREEMENT_DESCRIPTION,
        summary="Agreement among the annotators, per axis, or on the verdicts of a pairwise campaign "
                "(as the agreement command's --json)",
    )
    def get(self, request, slug):
        from exports.reports.campaign import campaign_agreement

        campaign = access.campaign_for_reader(request.user, slug)
        options = query_options(self.InputSerializer, request)
        return kept(campaign, "agreement", options, lambda: campaign_agreement(campaign, **options))


class MetaEvalApi(APIView):
    class InputSerializer(BootstrapSerializer):
        judge = serializers.CharField(help_text="Name of the judge config or of the imported verdicts' judge.")

    @extend_schema(
        parameters=[OpenApiParameter("judge", str, required=True, description="Name of the judge."),
                    *BOOTSTRAP_PARAMETERS],
        responses={200: OpenApiTypes.OBJECT}, description=REPORT_DESCRIPTION,
        summary="A judge against the human ratings, per axis (as the meta_eval command's --json)",
    )
    def get(self, request, slug):
        from exports.reports.campaign import campaign_meta_eval

        campaign = access.campaign_for_reader(request.user, slug)
        options = query_options(self.InputSerializer, request)
        judge = judge_for_report(options.pop("judge"))
        return kept(campaign, "meta-eval", {**options, "judge": judge.name},
                    lambda: campaign_meta_eval(campaign, judge, **options))


class RankingApi(APIView):
    class InputSerializer(serializers.Serializer):
        judge = serializers.CharField(required=False, help_text="Name of a judge config or of imported verdicts.")
        neither = serializers.ChoiceField(choices=stats.NEITHER_OPTIONS, default=stats.DEFAULT_NEITHER)
        replicates = serializers.IntegerField(min_value=0, max_value=MAX_REPLICATES, default=stats.DEFAULT_REPLICATES)
        seed = serializers.IntegerField(min_value=0, default=stats.DEFAULT_SEED)

    @extend_schema(
        parameters=[OpenApiParameter("judge", str, description="A judge to rank by and compare with the humans."),
                    OpenApiParameter("neither", str, enum=list(stats.NEITHER_OPTIONS),
                                     description="Count 'neither' votes as ties, or drop them."),
                    *BOOTSTRAP_PARAMETERS[1:]],
        responses={200: OpenApiTypes.OBJECT},
        description="\"meta\", \"humans\" (win/tie/loss rates, Bradley–Terry ratings with intervals, ranks) and, "
                    "with a judge, \"judge\" and \"agreement\" (with each vote and the majority, with and without "
                    "ties, Cohen's kappa). 400 for a likert campaign or nothing to rank.",
        summary="A pairwise campaign's ranking (as the ranking command's --json)",
    )
    def get(self, request, slug):
        from annotation.ranking_selectors import campaign_for_ranking
        from exports.reports.ranking import campaign_ranking

        campaign = campaign_for_ranking(access.campaign_for_reader(request.user, slug).slug)
        options = query_options(self.InputSerializer, request)
        judge_name = options.pop("judge", None)
        judge = judge_for_report(judge_name) if judge_name else None
        return kept(campaign, "ranking", {**options, "judge": judge_name},
                    lambda: campaign_ranking(campaign, judge, **options))


class LeaderboardApi(APIView):
    class InputSerializer(serializers.Serializer):
        judge = serializers.CharField(required=False, help_text="Only this judge beside the humans.")
        replicates = serializers.IntegerField(min_value=0, max_value=MAX_REPLICATES,
                                              default=stats.DEFAULT_REPLICATES)
        seed = serializers.IntegerField(min_value=0, default=stats.DEFAULT_SEED)

    @extend_schema(
        parameters=[OpenApiParameter("judge", str, description="Only this judge beside the humans (default: every "
                                                                 "judge with scores in the campaign)."),
                    *BOOTSTRAP_PARAMETERS[1:]],
        responses={200: OpenApiTypes.OBJECT},
        description="\"meta\" (counts, the safety axes and thresholds, per judge its job, its verdicts by status "
                    "and api_error_as_lowest: whether its API errors count as score 1, with how many items) and "
                    "\"boards\": per axis (and per turn where scores carry one, turn null being the whole) the "
                    "rows of every model: \"standings\" of the humans and each judge (mean with a 95% bootstrap "
                    "interval over the model's items, n_items, and a rank that respects the intervals: 1 + the "
                    "models whose interval lies wholly above), \"safety\" on safety axes (violation: share of "
                    "scores below 3, acceptable: share of 4 or more, each {count, total, rate}), and \"systems\": "
                    "per judge the Pearson, Spearman and Kendall correlations of the model means with bootstrap "
                    "intervals; \"mt_bench\": where scores carry turns, per rater group and axis each model's "
                    "mean per turn and average over every scored turn (FastChat's MT-Bench table). 400 for a "
                    "pairwise campaign (see ranking).",
        summary="A likert campaign's leaderboard (as the leaderboard command's --json)",
    )
    def get(self, request, slug):
        from exports.reports.campaign import campaign_leaderboard

        campaign = access.campaign_for_reader(request.user, slug)
        options = query_options(self.InputSerializer, request)
        judge_name = options.pop("judge", None)
        judge = judge_for_report(judge_name) if judge_name else None
        return kept(campaign, "leaderboard", {**options, "judge": judge_name},
                    lambda: campaign_leaderboard(campaign, judge, **options))


class LengthsApi(APIView):
    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        description="\"meta\" (counts, the groups: \"humans\" then each judge, and how the context category is "
                    "read), \"longer_wins\": per group {n, count, rate, reason}: among the decisive votes or "
                    "verdicts on responses of different lengths, how many the longer response won; and "
                    "\"categories\": per context category (prompts with a context: metadata.context_category, "
                    "else the prompt's category) n_items, mean_len_a/b, median_len_a/b (characters over every "
                    "turn), a_longer and longer_wins per group. 400 for a likert campaign.",
        summary="A pairwise campaign's answer lengths: how often the longer response wins, per context category",
    )
    def get(self, request, slug):
        from exports.reports.campaign import campaign_lengths

        campaign = access.campaign_for_reader(request.user, slug)
        return kept(campaign, "lengths", {}, lambda: campaign_lengths(campaign))


class ChecklistApi(APIView):
    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        description="\"meta\" (counts, the scale's midpoint and which score the ticks are compared with; for a "
                    "pairwise campaign, why there is no comparison) and \"items\": per answered checklist item, its "
                    "prompt, position and text, how many raters answered and ticked it, the tick rate, the share of "
                    "answers where the tick agrees with the score being at or above the midpoint, and the "
                    "point-biserial correlation of tick and score. Pairwise campaigns, whose raters answer each "
                    "item for each response, add per item n_answered_a / n_ticked_a / tick_rate_a (and _b, in the "
                    "item's terms), n_side_unknown (answers from before per-response ticks) and, among the "
                    "n_preference votes for A or B that ticked the item yes for exactly one response, the share "
                    "where it is the preferred one (tracks_preference). \"judges\": per judge that answered "
                    "checklists, {\"meta\", \"items\"}: its answers analysed the same way, with per item n_pairs and "
                    "agreement_with_humans (the share of pairs of a rater's and the judge's answer to the item for the "
                    "same response that answer alike) beside n_human_pairs and human_agreement (the same among two "
                    "raters).",
        summary="Checklist items: ticks and how they track the raters' scores or preferences; the judges' answers "
                "and their agreement with the raters'",
    )
    def get(self, request, slug):
        from exports.reports.checklists import checklist_report

        campaign = access.campaign_for_reader(request.user, slug)
        return kept(campaign, "checklist", {}, lambda: checklist_report(campaign))


class ExamReportApi(APIView):
    class InputSerializer(serializers.Serializer):
        text_only = serializers.BooleanField(default=False, help_text="Only the questions that need no figure.")

    @extend_schema(
        parameters=[OpenApiParameter("text_only", bool, description="Every figure on the questions that need no "
                                                                     "figure only.")],
        responses={200: OpenApiTypes.OBJECT},
        description="\"meta\" (the examinees: each model, and \"humans\" for the annotators pooled, each one a "
                    "sample; counts; \"reason\" when there is nothing to report), \"exams\": per exam and "
                    "examinee the questions, scorable questions, accuracy and the points-weighted score normalised "
                    "by the scorable points ({value, samples, sd, low, high} in %), with parse failures left out "
                    "and counted as wrong, on every question and on the text-only ones, beside the students' "
                    "average; \"questions\": per question each examinee's answers and correctness and the "
                    "students' correct rate; \"tracking\": per examinee the correlation of its correctness with "
                    "the students' correct rate (with p and n) and how often its wrong answer is the students' "
                    "most common one; \"table\": the working group's table. 400 for a campaign that is not an "
                    "exam campaign.",
        summary="An exam campaign's report (as the exam_report command's --json)",
    )
    def get(self, request, slug):
        from exports.reports.campaign import campaign_exam_report

        campaign = access.campaign_for_reader(request.user, slug)
        options = query_options(self.InputSerializer, request)
        return kept(campaign, "exam-report", options, lambda: campaign_exam_report(campaign, **options))


def _threshold_validator(name):
    def validate(value):
        problem = threshold_problem(name, value)
        if problem:
            raise serializers.ValidationError(f"{name} {problem}")
    return validate


def _rule_parameters():
    return [OpenApiParameter(name, float, description=f"Trajectory type threshold: {TypeRule.words(name)} (default "
                                                      f"{getattr(TypeRule(), name)}; {threshold_bounds(name)}).")
            for name in RULE_THRESHOLDS]


class TrajectoryApi(APIView):
    class InputSerializer(serializers.Serializer):
        window = serializers.IntegerField(min_value=1, default=DEFAULT_WINDOW, help_text="Odd number of checkpoints.")
        compare = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list,
                                        help_text="Series to compare with.")

        def get_fields(self):
            """The window, and a number for each threshold of the type rule (annotation.trajectory_rule)."""
            fields = super().get_fields()
            for name in RULE_THRESHOLDS:
                fields[name] = serializers.FloatField(required=False, help_text=TypeRule.words(name),
                                                      validators=[_threshold_validator(name)])
            return fields

        def validate_window(self, value):
            if value % 2 == 0:
                raise serializers.ValidationError("The window must be an odd number of checkpoints.")
            return value

        def validate(self, data):
            return {"window": data["window"], "compare": data["compare"],
                    "rule": TypeRule(**{name: data[name] for name in RULE_THRESHOLDS if name in data})}

    @extend_schema(
        parameters=[OpenApiParameter("window", int, description="Checkpoints in the centred smoothing window (odd; "
                                                                 "default 3)."),
                    OpenApiParameter("compare", str, many=True, explode=True,
                                     description="A series to compare with, at the same window and rule (repeat "
                                                 "for more; 400 for one that does not exist): its report is added "
                                                 "under \"compared\"."),
                    *_rule_parameters()],
        responses={200: OpenApiTypes.OBJECT},
        description="\"series\", \"window\", \"rule\" (the thresholds of the trajectory type), \"checkpoints\" "
                    "(model, step, tokens) and \"tasks\": per task, metric and source (imported, outcomes, exam, "
                    "humans, judge NAME) the scores raw and smoothed (centred moving average, cut at the ends) with "
                    "their mean total variation, with per-example outcomes the flip rate raw and after majority voting "
                    "and the voted outcomes' accuracy, and the trajectory type (gradual, two-stage, late-onset, "
                    "unclassified) with what it was read from. Each threshold of the type's rule may be given (400 "
                    "for one out of its bounds). With compare, \"compared\": the same object for each series "
                    "compared. For leads.",
        summary="A model series' trajectories (as the trajectory command's --json)",
    )
    def get(self, request, name):
        from exports.reports.trajectory import trajectory_json

        series = access.series_for_lead(request.user, name)
        return Response(trajectory_json(series.name, **query_options(self.InputSerializer, request)))
