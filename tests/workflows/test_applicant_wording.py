"""What the applicant reads about their request, and the step tracker's stages, are data of the
review path: every status has them."""

import pytest

from workflows.review_path import STAGE, STATE, Status


@pytest.mark.parametrize("status", list(Status))
def test_every_status_has_a_plain_sentence_for_the_applicant_in_both_languages(status):
    sentence = STATE[status].for_applicant

    assert sentence.zh.strip() and sentence.en.strip()


@pytest.mark.parametrize("status", list(Status))
def test_every_status_stands_at_a_stage_of_the_tracker_or_stays_where_it_was(status):
    state = STATE[status]

    assert state.stage in STAGE or (state.stage is None and (state.final or state.applicant_edits))
