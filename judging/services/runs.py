"""What a judge job's unit asks and stores, on the one engine of LLM jobs (judging.services.engine).

Per unit (one item, one sample; for a pair also one order shown; for a template grading per turn
also one turn, the conversation shown up to it) the judge template renders
the messages (with the prompt's checklist); the lane asks the cache, then the endpoint.
Unparseable output is asked again (a new cache key each time) up to ``max_parse_retries``
times, then recorded as a parse failure; truncated output and refusals are recorded as such
at once. Whatever happens, a finished unit is a Verdict: scores for a parsed one, a failed
status and no scores otherwise.
"""

from functools import partial

from django.utils.translation import gettext_lazy

from annotation.checklists import prompt_checklists
from judging import kinds
from judging.client import ChatRequest
from judging.models import JudgeCall, JudgeJob, JudgeUnit, Verdict, VerdictCheck, VerdictScore
from judging.parsing import OK, PARSE_ERROR, PARSER_VERSION
from judging.prompts import cache_key, request_seed, template_for, verdict_in_item_terms
from judging.services.engine import UnitOutcome, cached_answers, llm_job_run, register_work

judge_job_run = partial(llm_job_run, label=JudgeJob._meta.label_lower)


@register_work
class JudgeWork:
    """A judge job's units: (item, order, turn, sample) → a Verdict with its scores, verdict and checklist answers."""

    job_model, unit_model, call_model = JudgeJob, JudgeUnit, JudgeCall
    unit_related = ("item__response__prompt", "item__response_b")
    NOT_FOUND_MESSAGE = gettext_lazy(
        "The endpoint answered 404 for %(where)s: check the base URL and the model name in the judge config, "
        "then resume the job.")

    def __init__(self, job):
        self.job, self.spec = job, job.spec
        self.template = template_for(self.spec["template"], self.spec["template_version"])
        rubric = job.campaign.rubric
        self.scale = kinds.for_campaign(job.campaign).template_scale(rubric)  # axes, or verdicts
        self.axis_ids = {axis.key: axis.id for axis in rubric.axes.order_by("position")}

    def prepare(self, units):
        """Render each unit's messages (with its prompt's checklist) and look up the first answers in the cache,
        one query for each."""
        checklists = prompt_checklists({unit.item.response.prompt_id for unit in units})
        for unit in units:
            unit.checklist = checklists.get(unit.item.response.prompt_id, [])
            unit.messages = self.template.item_messages(self.scale, unit.item, unit.order, self.spec["output_format"],
                                                        [question.text for question in unit.checklist], unit.turn)
            unit.first_key = cache_key(spec=self.spec, messages=unit.messages, sample=unit.sample, reask=0,
                                       parser_version=PARSER_VERSION)
        answers = cached_answers(unit.first_key for unit in units)
        for unit in units:
            unit.first_answer = answers.get(unit.first_key)

    def call_identity(self, unit):
        return {"job_id": self.job.pk, "item_id": unit.item_id, "order": unit.order, "turn": unit.turn,
                "sample": unit.sample}

    def unit_run(self, lane, unit):
        """Judge one unit (see the module docstring); returns its outcome, to be recorded."""
        outcome = UnitOutcome(unit.pk)
        for reask in range(self.spec["max_parse_retries"] + 1):
            if reask == 0:
                key, answer = unit.first_key, unit.first_answer
            else:
                key = cache_key(spec=self.spec, messages=unit.messages, sample=unit.sample, reask=reask,
                                parser_version=PARSER_VERSION)
                answer = lane.cached(key)
            cached = answer is not None
            if answer is None:
                answer = lane.call(unit, self.request(unit, reask), key, outcome)
            if answer is None:
                break  # stopped, paused, or failed for good (outcome.result says which)
            result = self.parse(answer, unit)
            outcome.calls.append(lane.call_row(unit, outcome, answer, result.status, cached))
            if result.status == PARSE_ERROR and reask < self.spec["max_parse_retries"]:
                continue
            self.conclude(outcome, unit, answer, result)
            break
        return outcome

    def request(self, unit, reask):
        return ChatRequest(
            model=self.spec["model"], messages=unit.messages, temperature=self.spec["temperature"],
            max_tokens=self.spec["max_tokens"], seed=request_seed(self.spec["seed"], unit.sample, reask),
            response_format=self.template.response_format(self.scale, self.spec["output_format"],
                                                          len(unit.checklist)),
            top_p=self.spec.get("top_p"),
        )

    def parse(self, answer, unit):
        return self.template.parse(self.scale, answer.content, self.spec["output_format"], answer.finish_reason,
                                   answer.refusal or None, len(unit.checklist))

    def conclude(self, outcome, unit, answer, result):
        status = Verdict.ParseStatus.OK if result.status == OK else result.status
        outcome.result = self.verdict_fields(
            unit, status=status, rationale=result.rationale, raw_output=answer.content or answer.refusal,
            error_kind="" if result.status == OK else result.status, error_message=result.error,
        )
        outcome.extra["scores"] = result.scores
        if result.verdict:
            outcome.result["verdict"] = verdict_in_item_terms(result.verdict, unit.order)
        outcome.extra["checks"] = [(unit.checklist[number - 1].id, verdict_in_item_terms(side, unit.order), answer)
                                   for number, side, answer in result.checks]

    def api_error(self, unit, failure):
        return self.verdict_fields(unit, status=Verdict.ParseStatus.API_ERROR, error_kind=failure.kind,
                                   error_message=failure.message[:2000])

    def verdict_fields(self, unit, *, status, rationale="", raw_output="", error_kind="", error_message=""):
        return {
            "judge_id": self.job.config_id, "job_id": self.job.pk, "item_id": unit.item_id, "sample": unit.sample,
            "order": unit.order, "turn": unit.turn,
            "rationale": rationale, "raw_output": raw_output, "parse_status": status,
            "parser_version": PARSER_VERSION, "error_kind": error_kind, "error_message": error_message,
        }

    def store(self, finished):
        """The verdicts of finished units, with their scores and checklist answers (inside the lane's
        transaction)."""
        verdicts = Verdict.objects.bulk_create([Verdict(**outcome.result) for outcome in finished])
        VerdictScore.objects.bulk_create(
            VerdictScore(verdict_id=verdict.pk, axis_id=self.axis_ids[key], score=score)
            for verdict, outcome in zip(verdicts, finished) for key, score in outcome.extra.get("scores", {}).items()
        )
        VerdictCheck.objects.bulk_create(
            VerdictCheck(verdict_id=verdict.pk, checklist_item_id=item_id, side=side, checked=answer)
            for verdict, outcome in zip(verdicts, finished) for item_id, side, answer in outcome.extra.get("checks", ())
        )
