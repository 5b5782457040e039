from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from approvals import expert_pool, group_review
from approvals.models import ExpertAssignment, ExpertDraw, ExpertField, ExpertProfile
from tests.factories import FundingApplicationFactory, make_user
from workflows import assignments
from workflows.errors import InvalidInput

pytestmark = pytest.mark.django_db


@pytest.fixture
def application():
    application = FundingApplicationFactory(at_group_review=True)
    assignments.claim_task(application_id=application.pk, actor=application.people.group_chair)
    return application


def _expert(field: str | None = None, *, affiliation="某大学", group=""):
    user = make_user("group_member")
    profile = ExpertProfile.objects.create(
        user=user, affiliation=affiliation, affiliation_group=group
    )
    if field:
        profile.fields.add(ExpertField.objects.get_or_create(code=field, name=field)[0])
    return user


def _candidates(application, **kwargs):
    chair = application.people.group_chair
    return [c.expert for c in expert_pool.pool_candidates(application, chair, **kwargs)]


def test_the_chair_filters_the_pool_by_field(application):
    chips = _expert("ic")
    _expert("pharma")

    assert _candidates(application, field_codes=["ic"]) == [chips]


def test_an_expert_of_the_applicants_group_is_left_out_of_the_pool(application):
    organisation = application.organisation
    organisation.affiliation_group = "中国航天产业集团"
    organisation.save(update_fields=["affiliation_group"])
    same_group = _expert(group="中国航天产业集团")

    assert same_group not in _candidates(application)


def test_an_expert_working_for_the_applicant_is_left_out_of_the_pool(application):
    colleague = _expert(affiliation=application.organisation.name)

    assert colleague not in _candidates(application)


def test_the_pool_shows_each_experts_open_workload(application):
    busy = _expert("ic")
    other = FundingApplicationFactory(at_group_review=True)
    ExpertAssignment.objects.create(
        application=other, revision=1, expert=busy, assigned_by=other.people.group_chair
    )

    (candidate,) = expert_pool.pool_candidates(
        application, application.people.group_chair, field_codes=["ic"]
    )
    assert candidate.open_workload == 1


def test_a_random_draw_asks_the_calls_number_of_experts_to_score(application):
    draw = group_review.draw_experts(
        application_id=application.pk, actor=application.people.group_chair
    )

    asked = set(
        ExpertAssignment.objects.filter(application=application).values_list("expert_id", flat=True)
    )
    assert asked == set(draw.drawn_ids)
    assert len(asked) == application.call.experts_required


def test_a_recorded_draw_replays_from_its_seed(application):
    _expert()
    _expert()
    draw = group_review.draw_experts(
        application_id=application.pk, actor=application.people.group_chair
    )

    assert expert_pool.replay_draw(ExpertDraw.objects.get(pk=draw.pk))


def test_the_same_seed_over_the_same_candidates_draws_the_same_experts():
    assert expert_pool.draw_from([1, 2, 3, 4, 5], seed="abc", count=3) == expert_pool.draw_from(
        [1, 2, 3, 4, 5], seed="abc", count=3
    )


def test_the_replay_command_confirms_a_draw(application):
    draw = group_review.draw_experts(
        application_id=application.pk, actor=application.people.group_chair
    )
    out = StringIO()

    call_command("replay_expert_draw", str(draw.pk), stdout=out)

    assert "replays" in out.getvalue()


def test_a_draw_from_too_few_eligible_experts_is_refused(application):
    with pytest.raises(InvalidInput):
        group_review.draw_experts(
            application_id=application.pk,
            actor=application.people.group_chair,
            field_codes=["nobody-has-this"],
        )

    assert not ExpertDraw.objects.exists()


def test_the_chair_draws_from_the_pool_page(client, application):
    client.force_login(application.people.group_chair)

    response = client.post(reverse("approvals:expert-pool", args=[application.pk]), {})

    assert response.status_code == 302
    assert ExpertDraw.objects.filter(application=application).exists()


def test_an_applicant_may_not_see_the_pool(client, application):
    client.force_login(application.people.applicant)

    response = client.get(reverse("approvals:expert-pool", args=[application.pk]))

    assert response.status_code == 403
