"""SDK client construction: endpoint, token scope, retries that honour Retry-After, request counting.

Two guards sit in every client's pipeline: requests go only to the Resource Manager endpoint's scheme
and host (a ``nextLink`` or redirect pointing elsewhere is refused before the token leaves), and
retries of server errors (5xx, dropped connections) share one time budget per run (``--retry-budget``,
default 20 s); when it is spent the failure is reported at once instead of retried for minutes.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from generator.azure.settings import AzureSettings
from generator.errors import RemoteError

# PolicyClient insists on a subscription id even for management-group calls, which never use it.
NO_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
WRITE_METHODS = frozenset({"PUT", "PATCH", "POST", "DELETE"})
MAX_RETRY_AFTER = 120.0  # seconds: never sleep longer than this on one Retry-After
DEFAULT_RETRY_BUDGET = 20.0  # seconds of retrying server errors per run
_configured_budget = DEFAULT_RETRY_BUDGET


def configure_retry_budget(seconds: float) -> None:
    """Set the retry budget runs of this process get (the CLI's ``--retry-budget``)."""
    global _configured_budget
    _configured_budget = float(seconds)


class RetryBudget:
    """Seconds a run may spend retrying server errors, shared by every client and thread of the run."""

    def __init__(self, seconds: float | None = None) -> None:
        self.total = _configured_budget if seconds is None else float(seconds)
        self.used = 0.0
        self.spent = False  # set when a retry was refused because the budget ran out
        self._lock = threading.Lock()

    def add(self, seconds: float) -> None:
        """Count time spent between a server error and the next attempt's failure."""
        with self._lock:
            self.used += max(0.0, seconds)

    def remaining(self) -> float:
        """Seconds left (0 when spent)."""
        with self._lock:
            return max(0.0, self.total - self.used)


@dataclass
class RequestStats:
    """What went over the wire: operations, HTTP attempts, writes, throttling and other retries."""

    operations: int = 0  # logical calls (one per SDK call or page), counted before the retry policy
    requests: int = 0  # HTTP attempts actually sent, retries included
    writes: int = 0  # attempts with PUT/PATCH/POST/DELETE
    throttled: int = 0  # 429 answers (each one retried after Retry-After)
    server_errors: int = 0  # 5xx answers
    connection_errors: int = 0  # dropped connections and timeouts
    budget: RetryBudget = field(default_factory=RetryBudget)

    @property
    def retries(self) -> int:
        """Attempts beyond the first of each operation."""
        return max(0, self.requests - self.operations)

    def to_json(self) -> dict[str, int]:
        """The counters as a JSON object."""
        return {"operations": self.operations, "requests": self.requests, "writes": self.writes,
                "retries": self.retries, "throttled": self.throttled, "serverErrors": self.server_errors,
                "connectionErrors": self.connection_errors}


def counting_policies(stats: RequestStats) -> tuple[Any, Any]:
    """(per-call, per-retry) pipeline policies that fill ``stats``; pass them as per_call_policies /
    per_retry_policies to any azure-mgmt client. Updates take a lock: scan lists from a thread pool."""
    import threading

    from azure.core.exceptions import AzureError
    from azure.core.pipeline.policies import HTTPPolicy, SansIOHTTPPolicy

    lock = threading.Lock()

    class CallCounter(SansIOHTTPPolicy):  # type: ignore[misc,type-arg]
        """Per call (before the retry policy): one count per logical request."""

        def on_request(self, request: Any) -> None:
            with lock:
                stats.operations += 1

    class AttemptCounter(HTTPPolicy):  # type: ignore[misc,type-arg]
        """Per retry (after the retry policy): every attempt and how it ended."""

        def send(self, request: Any) -> Any:
            with lock:
                stats.requests += 1
                if request.http_request.method.upper() in WRITE_METHODS:
                    stats.writes += 1
            try:
                response = self.next.send(request)
            except AzureError:
                with lock:
                    stats.connection_errors += 1
                raise
            status = response.http_response.status_code
            with lock:
                if status == 429:
                    stats.throttled += 1
                elif status >= 500:
                    stats.server_errors += 1
            return response

    return CallCounter(), AttemptCounter()


def _request_text(request: Any) -> str:
    """'GET /path' of an HTTP request (no query: it may carry tokens), for messages."""
    try:
        parts = urlsplit(str(request.url))
        return f"{request.method} {parts.path or '/'}"
    except Exception:  # noqa: BLE001 - a message must never fail
        return "a request"


def make_retry_policy(total: int = 6, backoff: float = 0.8, backoff_max: float = 60.0,
                      budget: RetryBudget | None = None) -> Any:
    """azure-core's RetryPolicy (429, 408, 5xx, connection errors; honours Retry-After), capped; retries of
    server errors stop when ``budget`` is spent (RemoteError naming the request, exit 3)."""
    from azure.core.pipeline import PipelineResponse
    from azure.core.pipeline.policies import RetryPolicy

    class CappedRetryPolicy(RetryPolicy):  # type: ignore[misc]
        """Honour Retry-After, but never wait longer than MAX_RETRY_AFTER for one answer."""

        def get_retry_after(self, response: Any) -> float | None:
            value = super().get_retry_after(response)
            return None if value is None else min(float(value), MAX_RETRY_AFTER)

        def increment(self, settings: dict[str, Any], response: Any = None, error: Any = None) -> bool:
            status = response.http_response.status_code if isinstance(response, PipelineResponse) else None
            server = error is not None or (status is not None and status >= 500)
            if budget is not None and server:
                now = time.monotonic()
                last = settings.get("cg_last")
                if last is not None:
                    budget.add(now - last)
                settings["cg_last"] = now
                if budget.remaining() <= 0:
                    budget.spent = True
                    request = response.http_request if response is not None else None
                    what = _request_text(request) if request is not None else "a request"
                    answer = f"HTTP {status}" if status is not None else type(error).__name__
                    raise RemoteError(
                        f"Azure kept failing ({answer}) for {what}; the retry budget of {budget.total:g} s for "
                        f"server errors is spent", hint="try again later, or raise it with --retry-budget SECONDS")
            else:
                settings["cg_last"] = None
            return bool(super().increment(settings, response=response, error=error))

        def sleep(self, settings: dict[str, Any], transport: Any, response: Any = None) -> None:
            wait = self.get_retry_after(response) if response is not None else None
            if not wait:
                wait = self.get_backoff_time(settings)
            if budget is not None and settings.get("cg_last") is not None:
                wait = min(wait, budget.remaining())  # never sleep past the budget
            if wait and wait > 0:
                transport.sleep(wait)

    # retry_status defaults to 3 in azure-core; throttled management groups need the whole budget.
    return CappedRetryPolicy(retry_total=total, retry_status=total, retry_backoff_factor=backoff,
                             retry_backoff_max=backoff_max)


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


def origin_guard(settings: AzureSettings) -> Any:
    """A per-retry pipeline policy (after authentication, before the wire) refusing any request that is not
    for the Resource Manager endpoint's scheme, host and port: a ``nextLink`` or redirect pointing elsewhere
    never receives the bearer token (RemoteError, exit 3)."""
    from azure.core.pipeline.policies import HTTPPolicy

    allowed = _origin(settings.arm_endpoint)

    class OriginGuard(HTTPPolicy):  # type: ignore[misc,type-arg]
        def send(self, request: Any) -> Any:
            url = str(request.http_request.url)
            if _origin(url) != allowed:
                parts = urlsplit(url)
                raise RemoteError(
                    f"refused to send {request.http_request.method} to {parts.scheme}://{parts.netloc}{parts.path[:80]}: "
                    f"an answer pointed outside the Resource Manager endpoint {settings.arm_endpoint} "
                    f"(a nextLink or redirect elsewhere; the token is only sent to that endpoint)")
            return self.next.send(request)

    return OriginGuard()


def make_policy_client(settings: AzureSettings, credential: Any, subscription_id: str | None,
                       stats: RequestStats, *, debug: bool = False, retry_total: int = 6,
                       read_timeout: float = 120.0) -> Any:
    """A PolicyClient against ``settings.arm_endpoint`` with counting, capped retries and our token scope."""
    from azure.mgmt.resource.policy import PolicyClient

    call_counter, attempt_counter = counting_policies(stats)
    return PolicyClient(
        credential,
        subscription_id or NO_SUBSCRIPTION,
        base_url=settings.arm_endpoint,
        credential_scopes=[settings.scope],
        retry_policy=make_retry_policy(total=retry_total, budget=stats.budget),
        per_call_policies=[call_counter],
        per_retry_policies=[attempt_counter, origin_guard(settings)],
        read_timeout=read_timeout,
        # Full request/response tracing only with --debug; the record factory redacts it.
        logging_enable=debug,
    )
