import pytest


@pytest.fixture
def store(redis_server):
    """A client of the session's private Redis, emptied for this test."""
    client = redis_server.client()
    yield client
    client.close()
