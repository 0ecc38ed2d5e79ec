"""Fixtures for engine tests."""

from __future__ import annotations

import pytest

from engine_helpers import T


@pytest.fixture
def docs_resource() -> dict:
    """The example resource of Microsoft's "author policies for array properties" page."""
    return {
        "type": T,
        "name": "example",
        "tags": {"env": "prod"},
        "properties": {
            "stringArray": ["a", "b", "c"],
            "objectArray": [
                {"property": "value1", "nestedArray": [1, 2]},
                {"property": "value2", "nestedArray": [3, 4]},
            ],
        },
    }
