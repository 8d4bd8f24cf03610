"""The backend's API against the stack's database: `make test-backend` runs
these in a one-off backend container (devstack run --rm backend ...), whose
entrypoint has brought the migrations up to date first."""
import uuid

import pytest
from fastapi.testclient import TestClient

from app.core.database import SessionLocal
from app.features.notes.models import Note
from app.main import app


@pytest.fixture(scope="module")
def client():
    # one client for the module: the async engine's pool stays on one event loop
    with TestClient(app) as c:
        yield c


def test_root_says_hello(client):
    r = client.get("/")
    assert r.status_code == 200
    assert r.json() == {"message": "Hello from FastAPI"}


def test_health_reaches_the_database(client):
    r = client.get("/health")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ok", "database": "reachable"}


def test_a_created_note_is_listed(client):
    title = f"pytest-{uuid.uuid4().hex}"
    r = client.post("/notes", json={"title": title, "body": "from the tests"})
    assert r.status_code == 201, r.text
    created = r.json()
    try:
        assert created["title"] == title
        assert created["body"] == "from the tests"
        assert isinstance(created["id"], int)
        assert created in client.get("/notes").json()
    finally:
        # the stack's database is the developer's: leave it as it was
        with SessionLocal() as session:
            session.query(Note).filter(Note.id == created["id"]).delete()
            session.commit()


def test_a_note_needs_a_title(client):
    r = client.post("/notes", json={"body": "no title"})
    assert r.status_code == 422
