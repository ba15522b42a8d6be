"""The OpenAPI schema (/api/schema/): generated without a warning and valid, and true to the API: what it
documents of each request and answer is what the endpoints take and give (real answers are checked against it).
"""

import re
import uuid

import jsonschema
import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotation.models import Campaign, CampaignMembership
from exports.models import Release
from exports.services import release_build
from judging.testing.campaigns import campaign_for_judging

from .annotation.pairwise_factories import pairwise_campaign
from .annotation.workflow_factories import FULL_SCORES, annotators, campaign_with_items, open_for_pull
from .exports.release_factories import rated_campaign

RATING = "/api/items/{public_id}/rating/"
NEXT = "/api/campaigns/{slug}/next/"


pytestmark = pytest.mark.xdist_group("schema")  # one process runs the module, so its fixtures run once


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def request_schema(schema, path, method):
    content = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return resolved(schema, content)


def resolved(schema, node):
    """``node`` with every $ref replaced by the component it names (the API's components are not recursive)."""
    if isinstance(node, list):
        return [resolved(schema, value) for value in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return resolved(schema, schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]])
    return {key: resolved(schema, value) for key, value in node.items()}


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_the_schema_command_passes_without_warnings(tmp_path):
    """`manage.py spectacular --validate --fail-on-warn`, as CI would run it."""
    GENERATOR_STATS.reset()  # warnings are collected process-wide; count only this run's
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/items/{public_id}/rating/:" in (tmp_path / "schema.yaml").read_text()


class TestWhatTheSchemaSays:
    def test_the_rating_submit_takes_scores_or_a_verdict_and_needs_only_an_idempotency_key(self, schema):
        body = request_schema(schema, RATING, "post")
        assert {"scores", "verdict", "checks", "idempotency_key", "comment", "flags", "seconds_spent"} == set(
            body["properties"])
        assert body["required"] == ["idempotency_key"]
        # axis → score, or in a campaign that scores each turn, turn → {axis → score}
        shapes = body["properties"]["scores"]["additionalProperties"]["oneOf"]
        assert [shape["type"] for shape in shapes] == ["integer", "object"]
        assert shapes[1]["additionalProperties"]["type"] == "integer"
        answers = schema["paths"][RATING]["post"]["responses"]
        for code in ("201", "200"):
            stored = resolved(schema, answers[code]["content"]["application/json"]["schema"])
            assert set(stored["properties"]) == {"id", "revision", "created"}

    def test_the_next_item_call_is_documented_without_a_body_answering_an_item_or_nothing(self, schema):
        operation = schema["paths"][NEXT]["post"]
        assert "requestBody" not in operation
        item = resolved(schema, operation["responses"]["200"]["content"]["application/json"]["schema"])
        assert {"prompt", "response", "left", "right", "axes", "verdicts", "draft", "rating"} <= set(item["properties"])
        assert set(item["properties"]["prompt"]["properties"]) == {"turns", "context", "category"}
        assert "content" not in operation["responses"]["204"]

    def test_each_endpoint_documents_its_own_body(self, schema):
        """Before, the nested InputSerializer classes shared the component "Input", so most bodies read
        {annotator}: each body must list its own fields."""
        expected = {
            ("/api/items/{public_id}/draft/", "put"): {"scores", "verdict", "checks", "comment", "flags",
                                                        "seconds_spent"},
            ("/api/items/{public_id}/skip/", "post"): {"reason", "note"},
            ("/api/campaigns/{slug}/batches/", "post"): {"size", "order", "seed", "raters"},
            ("/api/campaigns/{slug}/assign/", "post"): {"annotators"},
            ("/api/campaigns/{slug}/open/", "post"): {"mode"},
            ("/api/assignments/{public_id}/reassign/", "post"): {"annotator"},
            ("/api/campaigns/{slug}/judge-jobs/", "post"): {"config", "api_error_as_lowest"},
            ("/api/judge-jobs/{public_id}/resume/", "post"): {"budget"},
            ("/api/releases/{public_id}/withdraw/", "post"): {"reason"},
        }
        for (path, method), fields in expected.items():
            assert set(request_schema(schema, path, method)["properties"]) == fields, path
        created = request_schema(schema, "/api/judge-configs/", "post")
        changed = request_schema(schema, "/api/judge-configs/{name}/", "patch")
        assert set(created["properties"]) == set(changed["properties"]) | {"name"}
        assert set(created["required"]) == {"name", "base_url", "model"} and "required" not in changed

    def test_no_two_serializers_share_a_component_name(self, capsys):
        GENERATOR_STATS.reset()
        SchemaGenerator().get_schema(request=None, public=True)
        assert "identical names" not in capsys.readouterr().err  # drf-spectacular's warning of a clash

    def test_every_operation_documents_its_answers(self, schema):
        for path, method, operation in operations(schema):
            codes = set(operation["responses"])
            assert any(code.startswith("2") for code in codes), (method, path)
            for code, answer in operation["responses"].items():
                if code == "204":
                    assert "content" not in answer, (method, path)
                else:
                    assert answer["content"] and all("schema" in body for body in answer["content"].values()), (
                        method, path, code)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method != "get":
                assert "400" in codes, (method, path)


# Real answers against the schema ---------------------------------------------------------------------------


def json_schema(schema, node):
    """The OpenAPI 3.0 schema ``node`` as a JSON Schema: refs resolved, ``nullable`` as a null alternative, and
    objects closed (a key the schema does not document fails), unless they declare additionalProperties."""

    def convert(node):
        node = dict(node)
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                node[key] = convert(node[key])
        for key in ("allOf", "anyOf", "oneOf"):
            if key in node:
                node[key] = [convert(part) for part in node[key]]
        if "properties" in node:
            node["properties"] = {name: convert(part) for name, part in node["properties"].items()}
            node.setdefault("additionalProperties", False)
        if node.pop("nullable", False):
            node = {"anyOf": [node, {"type": "null"}]}
        return node

    return convert(resolved(schema, node))


class Documented:
    """Checks a test client's answers against what the schema documents for their path, method and status."""

    def __init__(self, schema):
        self.schema = schema

    def __call__(self, response, status=None):
        if status is not None:
            assert response.status_code == status, (response.status_code, getattr(response, "content", b"")[:500])
        path, method = self._operation(response)
        answers = self.schema["paths"][path][method]["responses"]
        code = str(response.status_code)
        assert code in answers, f"{method.upper()} {path} answered {code}, which the schema does not document"
        content = answers[code].get("content")
        if content is None:
            assert not response.content, f"{method.upper()} {path} {code} has a body the schema does not document"
            return response
        if "application/json" not in content:  # a file, documented as binary
            assert response.get("Content-Disposition", "").startswith("attachment")
            return response
        jsonschema.validate(response.json(), json_schema(self.schema, content["application/json"]["schema"]))
        return response

    def _operation(self, response):
        url, method = response.request["PATH_INFO"], response.request["REQUEST_METHOD"].lower()
        for path in self.schema["paths"]:
            if re.fullmatch(path_pattern(path), url):
                return path, method
        raise AssertionError(f"{url} is not in the schema")


def path_pattern(path):
    """A regular expression for the URLs of a schema path: a parameter is one segment, {path} any number."""
    parts = re.split(r"{([^}]+)}", path)  # literal, name, literal, name, ..., literal
    return "".join(re.escape(part) if index % 2 == 0 else (".+" if part == "path" else "[^/]+")
                   for index, part in enumerate(parts))


@pytest.fixture
def documented(schema):
    return Documented(schema)


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def session_client(user):
    client = APIClient()
    client.force_login(user)
    return client


class TestRealAnswersMatchTheSchema:
    def test_an_annotator_takes_drafts_submits_revises_and_skips(self, db, documented):
        campaign = open_for_pull(campaign_with_items(slug="doc", items=4))
        Campaign.objects.filter(pk=campaign.pk).update(show_model_names=True)
        alice, = annotators(1, campaign, prefix="alice")
        token, session = token_client(alice.user), session_client(alice.user)

        # The hot path (a token on PostgreSQL) and the DRF view answer the same documented item.
        item = documented(token.post("/api/campaigns/doc/next/"), 200).json()
        assert documented(session.post("/api/campaigns/doc/next/"), 200).json()["id"] == item["id"]
        url = f"/api/items/{item['id']}/"
        documented(token.put(url + "draft/", {"scores": {"relevance": 4, "fluency": None}, "comment": "途中",
                                              "flags": ["broken"]}, format="json"), 204)
        assert documented(token.get(url), 200).json()["draft"]["scores"] == {"relevance": 4}

        submit = {"scores": FULL_SCORES, "idempotency_key": str(uuid.uuid4())}
        documented(token.post(url + "rating/", submit, format="json"), 201)  # the hot path's answer
        documented(token.post(url + "rating/", submit, format="json"), 200)  # a retry, answered by DRF
        revision = {"scores": {**FULL_SCORES, "overall": 2}, "idempotency_key": str(uuid.uuid4()), "comment": "直し"}
        assert documented(session.post(url + "rating/", revision, format="json"), 201).json()["revision"] == 2
        assert documented(token.get(url), 200).json()["rating"]["scores"]["overall"] == 2

        following = documented(token.post("/api/campaigns/doc/next/"), 200).json()
        documented(token.post(f"/api/items/{following['id']}/skip/", {"reason": "broken"}, format="json"), 204)
        assert documented(token.get("/api/my-work/"), 200).json()[0]["campaign"] == "doc"

    def test_the_rating_submit_requires_what_the_schema_says_and_no_more(self, db, documented, schema):
        campaign = open_for_pull(campaign_with_items(slug="req", items=4))
        alice, = annotators(1, campaign, prefix="alice")
        api = token_client(alice.user)
        item = api.post("/api/campaigns/req/next/").json()
        url = f"/api/items/{item['id']}/rating/"
        assert request_schema(schema, RATING, "post")["required"] == ["idempotency_key"]

        refused = documented(api.post(url, {"scores": FULL_SCORES}, format="json"), 400)
        assert list(refused.json()) == ["idempotency_key"]
        # Scores, documented as required on likert items, are refused when missing there.
        refused = documented(api.post(url, {"idempotency_key": str(uuid.uuid4())}, format="json"), 400)
        assert refused.json()["detail"].startswith("scores")
        # The idempotency key and the scores are enough.
        documented(api.post(url, {"idempotency_key": str(uuid.uuid4()), "scores": FULL_SCORES}, format="json"), 201)

    def test_a_pairwise_item_with_its_draft_and_rating(self, db, documented):
        campaign = open_for_pull(pairwise_campaign(slug="pw-doc", prompts=2))
        bea, = annotators(1, campaign, prefix="bea")
        api = token_client(bea.user)
        item = documented(api.post("/api/campaigns/pw-doc/next/"), 200).json()
        assert item["kind"] == "pairwise" and item["left"] and item["verdicts"]
        url = f"/api/items/{item['id']}/"
        documented(api.put(url + "draft/", {"verdict": "left"}, format="json"), 204)
        assert documented(api.get(url), 200).json()["draft"]["verdict"] == "left"
        documented(api.post(url + "rating/", {"verdict": "right", "idempotency_key": str(uuid.uuid4())},
                            format="json"), 201)
        assert documented(api.get(url), 200).json()["rating"]["verdict"] == "right"

    def test_a_lead_cuts_assigns_opens_reads_progress_reassigns_and_closes(self, db, documented, lead):
        campaign = campaign_with_items(slug="led", items=4)
        CampaignMembership.objects.create(campaign=campaign, user=lead, role=CampaignMembership.Role.LEAD)
        people = annotators(3, campaign)
        api = token_client(lead)
        batches = documented(api.post("/api/campaigns/led/batches/", {"size": 2, "seed": 5}, format="json"), 201)
        documented(api.post("/api/campaigns/led/assign/", {"annotators": [p.handle for p in people[:2]]},
                            format="json"), 201)
        documented(api.post("/api/campaigns/led/open/", {"mode": "batches"}, format="json"), 200)
        first = token_client(people[0].user).post("/api/campaigns/led/next/").json()
        token_client(people[0].user).post(f"/api/items/{first['id']}/rating/", {
            "scores": FULL_SCORES, "idempotency_key": str(uuid.uuid4()), "seconds_spent": 20}, format="json")
        progress = documented(api.get("/api/campaigns/led/progress/"), 200).json()
        assert progress["rated"] == 1 and progress["by_annotator"]

        assignment = campaign.batches.get(number=2).assignments.first()
        documented(api.post(f"/api/assignments/{assignment.public_id}/reassign/", {"annotator": people[2].handle},
                            format="json"), 201)
        documented(api.post(f"/api/batches/{batches.json()[0]['id']}/close/"), 200)

    def test_errors_are_documented_as_they_are_answered(self, db, documented, lead):
        campaign = campaign_with_items(slug="err", items=2)
        CampaignMembership.objects.create(campaign=campaign, user=lead, role=CampaignMembership.Role.LEAD)
        api = token_client(lead)
        documented(api.post("/api/campaigns/err/batches/", {"size": 0}, format="json"), 400)  # does not validate
        documented(api.post("/api/campaigns/err/assign/", {"annotators": ["nobody"]}, format="json"), 400)
        documented(APIClient().get("/api/campaigns/err/progress/"), 403)
        documented(api.get("/api/campaigns/no-such/progress/"), 404)
        documented(api.post(f"/api/items/{uuid.uuid4()}/rating/", {}, format="json"), 404)

    def test_judge_configs_estimates_and_jobs(self, db, documented, lead, django_capture_on_commit_callbacks):
        campaign = campaign_for_judging(slug="judged", items=2)
        campaign.created_by = lead
        campaign.save(update_fields=["created_by"])
        api = token_client(lead)
        config = {"name": "doc-judge", "base_url": "http://127.0.0.1:9/v1", "model": "m", "api_key_env": ""}
        documented(api.post("/api/judge-configs/", config, format="json"), 201)
        documented(api.post("/api/judge-configs/", config | {"samples": 2}, format="json"), 200)
        documented(api.patch("/api/judge-configs/doc-judge/", {"budget": "2.5"}, format="json"), 200)
        documented(api.get("/api/judge-configs/"), 200)
        documented(api.get("/api/judge-configs/doc-judge/"), 200)
        documented(api.get("/api/campaigns/judged/judge-estimate/", {"config": "doc-judge"}), 200)
        with django_capture_on_commit_callbacks():  # queued, never run
            job = documented(api.post("/api/campaigns/judged/judge-jobs/", {"config": "doc-judge"}, format="json"),
                             201).json()
        documented(api.get("/api/campaigns/judged/judge-jobs/"), 200)
        documented(api.get(f"/api/judge-jobs/{job['id']}/"), 200)
        documented(api.post(f"/api/judge-jobs/{job['id']}/pause/"), 200)
        documented(api.post(f"/api/judge-jobs/{job['id']}/resume/", {"budget": "3"}, format="json"), 200)

    def test_releases_from_creation_to_withdrawal_and_the_public_datasets(self, db, documented, lead, settings,
                                                                          tmp_path, monkeypatch,
                                                                          django_capture_on_commit_callbacks):
        settings.RELEASES_ROOT = tmp_path / "releases"
        monkeypatch.setattr("exports.statistics.REPLICATES", 50)  # the figures' shape is what counts here
        campaign = rated_campaign(lead=lead)
        api = token_client(lead)
        with django_capture_on_commit_callbacks():  # the build is queued; the test builds it below
            created = documented(api.post(f"/api/campaigns/{campaign.slug}/releases/", {"version": "1.0.0"},
                                          format="json"), 202).json()
        release_build(release_id=Release.objects.get(public_id=created["id"]).pk)
        assert documented(api.get(f"/api/releases/{created['id']}/"), 200).json()["build_status"] == "succeeded"
        documented(api.post(f"/api/releases/{created['id']}/publish/"), 200)

        anyone = APIClient()
        listed = documented(anyone.get("/api/datasets/"), 200).json()
        detail = documented(anyone.get(listed[0]["url"]), 200).json()
        table = next(file for file in detail["files"] if file["path"].startswith("data/"))
        documented(anyone.get(table["url"]), 200)
        documented(anyone.get("/api/datasets/no-such/1.0.0/"), 404)

        documented(api.post(f"/api/releases/{created['id']}/withdraw/", {"reason": ""}, format="json"), 400)
        documented(api.post(f"/api/releases/{created['id']}/withdraw/", {"reason": "誤り"}, format="json"), 200)
        documented(anyone.get(table["url"]), 410)
