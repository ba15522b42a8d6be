"""Checklists written by a judge: for each prompt of a campaign that has no checklist, a judge config's
model is asked for 3 to 5 yes/no questions a good answer should satisfy; they are stored as the prompt's
checklist (ChecklistItem, origin "generated", generated_by the config's name).

The calls run one after another in the calling process (a command, not a Celery job), through the same
client, cache and retry rules as judge jobs: an answer already paid for is read from the cache; 429, 5xx,
timeouts and connection errors are tried again up to the config's max_attempts with backoff (Retry-After
when sent); unparseable replies are asked again up to max_parse_retries; the config's requests per minute
spaces the calls and its budget stops them. A failure is never a checklist: a prompt whose reply never
parsed keeps none and is reported. An endpoint failure (401, 403, 404, quota) stops the run with what to
fix, storing nothing; what was paid for stays in the cache, so running again costs nothing twice. The
checklists are stored together at the end, in one transaction, skipping any prompt that got one meanwhile.
"""

import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from annotation.errors import HyokaError
from annotation.models import ChecklistItem, Item, Prompt
from annotation.services.checklists import ChecklistSet, store_checklists
from annotation.services.imports import ImportSummary
from judging.client import ChatRequest, JudgeCallError, client_for
from judging.models import JudgeCacheEntry
from judging.parsing import OK, PARSE_ERROR, PARSER_VERSION, checklist_parse
from judging.prompts import cache_key, checklist_request_messages, checklist_response_format, request_seed
from judging.services.jobs import judge_spec
from judging.services.engine import backoff_seconds, call_cost, endpoint_problem

FEWEST_QUESTIONS, MOST_QUESTIONS = 3, 5
GENERATION_TEMPLATE = "checklist"  # stands for the template in the cache key
GENERATION_VERSION = 1


@dataclass
class ChecklistGeneration:
    """What a run did: prompts asked about, checklists stored, and the calls it took."""

    asked: int = 0
    stored: int = 0
    questions: int = 0
    calls: int = 0
    cached: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: Decimal = Decimal(0)
    failures: dict = field(default_factory=dict)  # prompt external id -> why it got no checklist
    stopped: str = ""  # why the run stopped before asking about every prompt

    def describe(self):
        failed = "; ".join(f"{prompt}: {reason}" for prompt, reason in sorted(self.failures.items()))
        return (f"{self.stored} checklists written ({self.questions} questions) for {self.asked} prompts without one; "
                f"{self.calls} calls, {self.cached} cached, {self.tokens_in} input and {self.tokens_out} output "
                f"tokens, ${self.cost:.4f}" + (f"; no checklist for {failed}" if failed else "")
                + (f"; stopped: {self.stopped}" if self.stopped else ""))


def checklists_generate(*, campaign, config):
    """Ask `config`'s model for a checklist for every prompt of `campaign` without one; store them."""
    if config.is_external:
        raise HyokaError(f"judge {config.name} only holds imported verdicts; use a config with an endpoint.")
    problem = endpoint_problem(config)
    if problem:
        raise HyokaError(problem)
    generator = _Generator(config)
    try:
        written = {prompt.pk: (prompt.external_id, generator.checklist(prompt)) for prompt in prompts_without(campaign)}
    finally:
        generator.client.close()
    _store(written, config, generator.result)
    return generator.result


def prompts_without(campaign):
    """The campaign's prompts (either side of a pair) that have no checklist, in id order."""
    items = Item.objects.filter(campaign=campaign)
    ids = set(items.values_list("response__prompt_id", flat=True))
    return Prompt.objects.filter(pk__in=ids).exclude(pk__in=ChecklistItem.objects.values("prompt_id")).order_by("pk")


class _Generator:
    def __init__(self, config):
        self.config = config
        self.spec = {**judge_spec(config), "template": GENERATION_TEMPLATE, "template_version": GENERATION_VERSION}
        self.client = client_for(config)
        self.result = ChecklistGeneration()
        self.spacing = 60.0 / config.requests_per_minute if config.requests_per_minute else 0.0
        self.last_call = None

    def checklist(self, prompt):
        """The prompt's questions, or None (the reason is in result.failures, or result.stopped)."""
        if self.result.stopped:
            return None
        self.result.asked += 1
        messages = checklist_request_messages(prompt.turns, prompt.context, prompt.reference,
                                              self.spec["output_format"], FEWEST_QUESTIONS, MOST_QUESTIONS)
        for reask in range(self.config.max_parse_retries + 1):
            key = cache_key(spec=self.spec, messages=messages, sample=0, reask=reask, parser_version=PARSER_VERSION)
            answer = self.answer(key, messages, reask, prompt)
            if answer is None:
                return None
            result = checklist_parse(content=answer.content, output_format=self.spec["output_format"],
                                     fewest=FEWEST_QUESTIONS, most=MOST_QUESTIONS, finish_reason=answer.finish_reason,
                                     refusal=answer.refusal or None)
            if result.status == OK:
                return result.checks
            if result.status != PARSE_ERROR:
                break
        self.result.failures[prompt.external_id] = f"{result.status}: {result.error}"
        return None

    def answer(self, key, messages, reask, prompt):
        """The cached answer under `key`, else the endpoint's (cached now); None when there is none."""
        entry = JudgeCacheEntry.objects.filter(key=key).first()
        if entry is not None:
            self.result.cached += 1
            return entry
        request = ChatRequest(model=self.spec["model"], messages=messages, temperature=self.spec["temperature"],
                              max_tokens=self.spec["max_tokens"], seed=request_seed(self.spec["seed"], 0, reask),
                              response_format=checklist_response_format(self.spec["output_format"]))
        for attempt in range(1, self.config.max_attempts + 1):
            if self.config.budget is not None and self.result.cost >= self.config.budget:
                self.result.stopped = f"the budget of ${self.config.budget:.4f} is reached"
                return None
            try:
                completion = self.call(request)
            except JudgeCallError as failure:
                if failure.pauses_job:
                    raise HyokaError(
                        f"the endpoint of judge {self.config.name} ({self.config.endpoint_label}) failed with "
                        f"{failure.kind}: {failure.message[:300]}; check the base URL, model and API key "
                        f"(variable {self.config.api_key_env or '-'}), then run again. Nothing was stored."
                    ) from None
                if failure.permanent or attempt == self.config.max_attempts:
                    self.result.failures[prompt.external_id] = f"{failure.kind}: {failure.message[:300]}"
                    return None
                time.sleep(backoff_seconds(attempt, failure.retry_after))
                continue
            return self.cached(key, completion)
        return None

    def call(self, request):
        if self.spacing and self.last_call is not None:
            time.sleep(max(0.0, self.last_call + self.spacing - time.monotonic()))
        self.last_call = time.monotonic()
        self.result.calls += 1
        return self.client.complete(request)

    def cached(self, key, completion):
        self.result.tokens_in += completion.tokens_in
        self.result.tokens_out += completion.tokens_out
        self.result.cost += call_cost(self.spec, completion.tokens_in, completion.tokens_out)
        entry, _ = JudgeCacheEntry.objects.get_or_create(key=key, defaults={
            "content": completion.content, "refusal": completion.refusal, "finish_reason": completion.finish_reason,
            "model": completion.model[:200], "tokens_in": completion.tokens_in, "tokens_out": completion.tokens_out,
        })
        return entry


@transaction.atomic
def _store(written, config, result):
    """Store the questions of the prompts that still have no checklist, all in one transaction."""
    taken = set(ChecklistItem.objects.filter(prompt_id__in=written).values_list("prompt_id", flat=True))
    wanted = ChecklistSet(f"checklists generated by {config.name}")
    for prompt_pk, (external_id, questions) in written.items():
        if questions is not None and prompt_pk not in taken:
            wanted.add(prompt_pk, external_id, tuple(questions), 0)
    store_checklists(wanted, summary=ImportSummary(), origin=ChecklistItem.Origin.GENERATED,
                     generated_by=config.name)
    result.stored = len(wanted.by_prompt)
    result.questions = sum(len(texts) for _, texts, _ in wanted.by_prompt.values())
