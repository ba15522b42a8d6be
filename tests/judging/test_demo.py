import json
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from annotation.models import Annotator, Campaign, Item, LanguageModel, Prompt, Rating, Response, Rubric
from judging.models import Verdict

DEMO_PROMPTS = 24  # 4 questions from each of 6 categories, turn 1 only
PAIRWISE_PROMPTS = 8  # two-turn questions, GPT-4 against GPT-4o
DEMO_MODELS = 5  # gpt-4, gpt-4o and three Stability AI 7B models
DEMO_VERDICTS = 73  # 24 questions x 3 judged 7B models, plus one upstream repeat kept as sample 1
SUMMEVAL_SUMMARIES = 100  # 25 articles x 4 systems, each rated by 3 experts and judged by the crowd's mean
SUMMEVAL_SYSTEMS = 4


def run(command):
    out = StringIO()
    call_command(command, stdout=out)
    return out.getvalue()


def demo_counts():
    return {
        "prompts": Prompt.objects.count(),
        "models": LanguageModel.objects.count(),
        "responses": Response.objects.count(),
        "items": Item.objects.count(),
        "verdicts": Verdict.objects.count(),
        "ratings": Rating.objects.count(),
        "campaigns": Campaign.objects.count(),
        "rubrics": Rubric.objects.count(),
    }


@pytest.fixture
def fast_passwords(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.VAR_DIR = tmp_path
    return tmp_path / "demo-accounts.json"


def test_load_demo_loads_three_campaigns_and_the_gpt4_verdicts(db):
    output = run("load_demo")

    assert "Demo ready" in output
    assert Prompt.objects.filter(source="japanese-mt-bench").count() == DEMO_PROMPTS + PAIRWISE_PROMPTS
    assert LanguageModel.objects.count() == DEMO_MODELS + SUMMEVAL_SYSTEMS
    assert Response.objects.count() == DEMO_PROMPTS * DEMO_MODELS + PAIRWISE_PROMPTS * 2 + SUMMEVAL_SUMMARIES
    for slug, rubric in (("demo-quality", "quality-5x5"), ("demo-mtbench", "mt-bench-10")):
        campaign = Campaign.objects.get(slug=slug)
        assert campaign.rubric.key == rubric
        assert campaign.name.startswith("デモ")
        assert campaign.items.count() == DEMO_PROMPTS * DEMO_MODELS
    verdicts = Verdict.objects.filter(judge__name="gpt-4-mtbench", item__campaign__slug="demo-mtbench")
    assert verdicts.count() == DEMO_VERDICTS
    assert not Rating.objects.exclude(item__campaign__slug="demo-summeval").exists(), \
        "only the SummEval demo ships human ratings"
    assert Rating.objects.count() == SUMMEVAL_SUMMARIES * 3
    pairwise = Campaign.objects.get(slug="demo-pairwise")
    assert pairwise.rubric.key == "preference-3" and pairwise.items.count() == PAIRWISE_PROMPTS
    for item in pairwise.items.select_related("response__model", "response_b__model", "response__prompt"):
        assert (item.response.model.name, item.response_b.model.name) == ("gpt-4", "gpt-4o")
        assert len(item.response.prompt.turns) == 2 and item.response.prompt.checklist.count() >= 2


def test_load_demo_twice_creates_nothing_new(db):
    run("load_demo")
    first = demo_counts()
    renamed = Campaign.objects.get(slug="demo-quality")
    renamed.name = "A lead's own name"
    renamed.save()

    output = run("load_demo")

    assert demo_counts() == first
    assert "created nothing new" in output
    assert Campaign.objects.get(slug="demo-quality").name == "A lead's own name"


def test_every_demo_response_answers_every_turn_of_its_prompt(db):
    run("load_demo")

    for response in Response.objects.select_related("prompt"):
        assert len(response.turns) == len(response.prompt.turns) in (1, 2)
        assert all(text.strip() for text in response.turns)


def test_demo_accounts_have_roles_and_working_passwords(db, fast_passwords):
    output = run("create_demo_accounts")

    passwords = json.loads(fast_passwords.read_text())
    assert fast_passwords.stat().st_mode & 0o777 == 0o600
    assert "local use only" in output
    for username, password in passwords.items():
        assert password in output
        assert User.objects.get(username=username).check_password(password)
    lead = User.objects.get(username="demo-lead")
    assert lead.is_staff and lead.groups.filter(name="lead").exists()
    annotators = Annotator.objects.filter(user__groups__name="annotator")
    assert sorted(annotators.values_list("handle", flat=True)) == ["demo-annotator-1", "demo-annotator-2"]
    assert not annotators.filter(is_external=True).exists()
    assert User.objects.get(username="demo-researcher").groups.filter(name="researcher").exists()


def test_demo_accounts_twice_keeps_users_and_passwords(db, fast_passwords):
    run("create_demo_accounts")
    passwords = json.loads(fast_passwords.read_text())

    run("create_demo_accounts")

    assert json.loads(fast_passwords.read_text()) == passwords
    assert User.objects.filter(username__startswith="demo-").count() == 4
    assert Annotator.objects.count() == 2
    for username, password in passwords.items():
        assert User.objects.get(username=username).check_password(password)


def test_demo_accounts_never_reset_a_password_the_user_changed(db, fast_passwords):
    run("create_demo_accounts")
    lead = User.objects.get(username="demo-lead")
    lead.set_password("chosen by the lead")
    lead.save()

    output = run("create_demo_accounts")

    assert User.objects.get(username="demo-lead").check_password("chosen by the lead")
    assert "changepassword demo-lead" in output


def test_demo_annotators_can_rate_the_demo_campaigns_right_away(db, fast_passwords):
    from annotation.models import ItemSlot
    from annotation.services.workflow import item_next

    run("load_demo")
    opened = run("create_demo_accounts")
    assert "Opened for rating by the demo annotators: demo-quality, demo-mtbench, demo-pairwise" in opened
    campaign = Campaign.objects.get(slug="demo-quality")
    assert campaign.status == Campaign.Status.ACTIVE and campaign.batches.count() == 6
    holders = {User.objects.get(username=name).annotator for name in ("demo-annotator-1", "demo-annotator-2")}
    for annotator in holders:
        assert ItemSlot.objects.filter(campaign=campaign, annotator=annotator).count() == 120
        assert item_next(annotator=annotator, campaign=campaign) is not None
    pairwise = Campaign.objects.get(slug="demo-pairwise")
    for annotator in holders:
        assert ItemSlot.objects.filter(campaign=pairwise, annotator=annotator).count() == 8
        assert item_next(annotator=annotator, campaign=pairwise).response_b is not None
    assert "Opened" not in run("create_demo_accounts") and campaign.batches.count() == 6
    roles = dict(campaign.memberships.values_list("user__username", "role"))
    assert roles == {"demo-lead": "lead", "demo-annotator-1": "annotator", "demo-annotator-2": "annotator",
                     "demo-researcher": "researcher"}  # the researcher reads the demo's reports
