"""SDK client construction: endpoint, token scope, retries that honour Retry-After, request counting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.azure.settings import AzureSettings

# PolicyClient insists on a subscription id even for management-group calls, which never use it.
NO_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
WRITE_METHODS = frozenset({"PUT", "PATCH", "POST", "DELETE"})
MAX_RETRY_AFTER = 120.0  # seconds: never sleep longer than this on one Retry-After


@dataclass
class RequestStats:
    """What went over the wire: operations, HTTP attempts, writes, throttling and other retries."""

    operations: int = 0  # logical calls (one per SDK call or page), counted before the retry policy
    requests: int = 0  # HTTP attempts actually sent, retries included
    writes: int = 0  # attempts with PUT/PATCH/POST/DELETE
    throttled: int = 0  # 429 answers (each one retried after Retry-After)
    server_errors: int = 0  # 5xx answers
    connection_errors: int = 0  # dropped connections and timeouts

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


def make_retry_policy(total: int = 6, backoff: float = 0.8, backoff_max: float = 60.0) -> Any:
    """azure-core's RetryPolicy (429, 408, 5xx, connection errors; honours Retry-After), capped."""
    from azure.core.pipeline.policies import RetryPolicy

    class CappedRetryPolicy(RetryPolicy):  # type: ignore[misc]
        """Honour Retry-After, but never wait longer than MAX_RETRY_AFTER for one answer."""

        def get_retry_after(self, response: Any) -> float | None:
            value = super().get_retry_after(response)
            return None if value is None else min(float(value), MAX_RETRY_AFTER)

    # retry_status defaults to 3 in azure-core; throttled management groups need the whole budget.
    return CappedRetryPolicy(retry_total=total, retry_status=total, retry_backoff_factor=backoff,
                             retry_backoff_max=backoff_max)


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
        retry_policy=make_retry_policy(total=retry_total),
        per_call_policies=[call_counter],
        per_retry_policies=[attempt_counter],
        read_timeout=read_timeout,
        # Full request/response tracing only with --debug; the record factory redacts it.
        logging_enable=debug,
    )
