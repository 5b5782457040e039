"""The public verification page counts a client's request before it parses the upload."""

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadhandler import FileUploadHandler
from django.urls import reverse

pytestmark = pytest.mark.django_db

VERIFY = reverse("document-verify")
PARSED: list[str] = []


class RecordingHandler(FileUploadHandler):
    """Notes every file the request parser starts reading."""

    def new_file(self, field_name, *args, **kwargs):
        PARSED.append(field_name)

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    PARSED.clear()
    yield
    cache.clear()


def test_an_upload_over_the_rate_limit_is_refused_without_being_parsed(client, settings):
    settings.DOCUMENT_VERIFY_RATE_LIMIT = 1
    settings.FILE_UPLOAD_HANDLERS = [
        "tests.documents.test_verify_throttle.RecordingHandler",
        *settings.FILE_UPLOAD_HANDLERS,
    ]
    client.get(VERIFY, {"number": "京科配〔2026〕1号"})
    upload = io.BytesIO(b"%PDF-1.7 not ours")
    upload.name = "received.pdf"

    response = client.post(VERIFY, {"file": upload})

    assert (response.status_code, PARSED) == (429, [])


def test_an_upload_within_the_rate_limit_is_parsed_and_checked(client, settings):
    settings.FILE_UPLOAD_HANDLERS = [
        "tests.documents.test_verify_throttle.RecordingHandler",
        *settings.FILE_UPLOAD_HANDLERS,
    ]
    upload = io.BytesIO(b"%PDF-1.7 not ours")
    upload.name = "received.pdf"

    response = client.post(VERIFY, {"file": upload})

    assert (response.status_code, PARSED) == (200, ["file"])
