import pytest

from tests.factories import FundingApplicationFactory
from workflows.audit import verify_chain


@pytest.mark.django_db
def test_an_application_reaches_approval_with_an_intact_audit_chain():
    application = FundingApplicationFactory(approved=True)
    assert application.status == "approved"
    assert verify_chain().intact
