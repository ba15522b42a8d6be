import pytest

from judging.services import judge_config_save
from judging.testing.campaigns import campaign_for_judging
from judging.testing.fake_server import FakeLLMServer


@pytest.fixture
def fake_llm():
    with FakeLLMServer() as server:
        yield server


@pytest.fixture(autouse=True)
def quick_backoff(settings):
    """Backoff waits a few milliseconds in tests; Retry-After is still honoured in full."""
    settings.HYOKA_JUDGE_BACKOFF_SECONDS = 0.01


@pytest.fixture
def judged_campaign(db, lead):
    campaign = campaign_for_judging(slug="judged", items=4)
    campaign.created_by = lead
    campaign.save(update_fields=["created_by"])
    return campaign


def make_config(server, name="fake-judge", **fields):
    defaults = {"base_url": server.base_url, "model": "fake-judge", "api_key_env": "", "concurrency": 1,
                "timeout_seconds": 5, "price_input_per_million": 2, "price_output_per_million": 8}
    config, _ = judge_config_save(name=name, **{**defaults, **fields})
    return config


@pytest.fixture
def judge_config(db, fake_llm):
    return make_config(fake_llm)
