"""Test helpers: an HTTPS Azure Resource Manager stand-in for the real SDK clients.

Extend it by adding a module here with ``@route(METHOD, PATH_REGEX)`` handlers that keep their state
under ``stub.state[<name>]``, and importing that module below so its routes register.
"""

from __future__ import annotations

from . import policy  # noqa: F401  (registers the Microsoft.Authorization routes)
from . import subscriptions, resources, graph, providers  # noqa: F401,E401  (issue 7 routes)
from . import models  # noqa: F401,E402  (issue 15: the regional model list)
from .aliases import ALIASES
from .policy import PolicyState, policy_state
from .server import ROUTES, ArmError, ArmStub, Fault, RecordedRequest, StubRequest, StubResponse, route

__all__ = [
    "ALIASES", "ROUTES", "ArmError", "ArmStub", "Fault", "PolicyState", "RecordedRequest",
    "StubRequest", "StubResponse", "policy_state", "route",
]
