"""Read-only Azure access shared by ``check --from-azure``, ``scan`` and ``aliases sync``.

Clients are built like publish's (clients.py): our endpoint and token scope, capped retries that
honour Retry-After, and request counting; errors become one line naming the scope and the role
(Reader) the caller lacks, instead of an SDK traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from generator.azure.clients import RequestStats, counting_policies, make_retry_policy
from generator.azure.settings import AzureSettings
from generator.errors import RemoteError

READ_ROLE = "Reader"
EXEMPTION_API_VERSION = "2022-07-01-preview"


def client_kwargs(settings: AzureSettings, stats: RequestStats, *, debug: bool = False, retry_total: int = 6,
                  retry_backoff: float = 0.8, read_timeout: float = 120.0) -> dict[str, Any]:
    """Keyword arguments every management client takes: endpoint, scope, retry, counting, logging."""
    call_counter, attempt_counter = counting_policies(stats)
    return {
        "base_url": settings.arm_endpoint,
        "credential_scopes": [settings.scope],
        "retry_policy": make_retry_policy(total=retry_total, backoff=retry_backoff),
        "per_call_policies": [call_counter],
        "per_retry_policies": [attempt_counter],
        "read_timeout": read_timeout,
        "logging_enable": debug,
    }


def plain(model: Any) -> dict[str, Any]:
    """An SDK model (msrest style or the newer Mapping style) as the ARM JSON (camelCase) it came from."""
    from collections.abc import Mapping

    if isinstance(model, dict):
        return model
    serialize = getattr(model, "serialize", None)
    if callable(serialize):  # msrest models: serialize() keeps the wire names, as_dict() would not
        return serialize(keep_readonly=True)  # type: ignore[no-any-return]
    if isinstance(model, Mapping):  # new-style models are mappings of the wire JSON
        import json

        return json.loads(json.dumps(dict(model), default=lambda o: dict(o) if isinstance(o, Mapping) else str(o)))
    return model.as_dict()  # type: ignore[no-any-return]


class ArmReader:
    """GET and paged LIST of arbitrary ARM paths through one management client's pipeline."""

    def __init__(self, client: Any, settings: AzureSettings) -> None:
        self.client = client
        self.settings = settings

    def get(self, path: str, api_version: str, *, allow_404: bool = False) -> dict[str, Any] | None:
        """GET ``path``; None on 404 when ``allow_404``; HttpResponseError otherwise on failure."""
        from azure.core.exceptions import HttpResponseError
        from azure.core.rest import HttpRequest

        sep = "&" if "?" in path else "?"
        response = self.client.send_request(HttpRequest("GET", f"{path}{sep}api-version={api_version}"))
        if response.status_code == 404 and allow_404:
            return None
        if response.status_code >= 400:
            raise HttpResponseError(response=response)
        return response.json()  # type: ignore[no-any-return]

    def pages(self, path: str, api_version: str, query: str = "") -> Iterator[list[dict[str, Any]]]:
        """Each page of a LIST, following ``nextLink``."""
        from azure.core.exceptions import HttpResponseError
        from azure.core.rest import HttpRequest

        url: str | None = f"{path}?api-version={api_version}" + (f"&{query}" if query else "")
        while url:
            response = self.client.send_request(HttpRequest("GET", url))
            if response.status_code >= 400:
                raise HttpResponseError(response=response)
            payload = response.json()
            yield list(payload.get("value") or [])
            url = payload.get("nextLink")

    def list(self, path: str, api_version: str, query: str = "") -> list[dict[str, Any]]:
        """Every item of a LIST."""
        return [item for page in self.pages(path, api_version, query) for item in page]


def error_parts(exc: Any) -> tuple[str, str]:
    """(code, first line of message) of an ARM error answer."""
    code = getattr(getattr(exc, "error", None), "code", None) or ""
    message = getattr(getattr(exc, "error", None), "message", None) or ""
    if not code or not message:
        try:
            body = exc.response.json()
            code = code or body.get("error", {}).get("code", "") or ""
            message = message or body.get("error", {}).get("message", "") or ""
        except Exception:
            pass
    if not message:
        message = (str(getattr(exc, "reason", "")) or str(exc)).splitlines()[0] if str(exc) else ""
    return code or "Error", (message.splitlines()[0] if message else "")


FROM_AZURE_ADVICE = "or leave out --from-azure"


def read_error(settings: AzureSettings, advice: str = FROM_AZURE_ADVICE,
               above: bool = True) -> Callable[[BaseException, str, str], RemoteError]:
    """Map an SDK failure while reading ``what`` at ``scope`` to one RemoteError line (exit 3).

    ``advice`` ends the 403 hint (what else the caller can do); ``above`` adds "or on a management
    group above it" (meaningful for subscription and resource-group scopes only).
    """

    def describe(exc: BaseException, what: str, scope: str) -> RemoteError:
        from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError, ServiceRequestError

        from generator.azure.credentials import credential_error, redact

        if isinstance(exc, RemoteError):
            return exc
        if isinstance(exc, ClientAuthenticationError) and getattr(exc, "status_code", None) not in (401, 403):
            return credential_error(exc, settings)
        if isinstance(exc, HttpResponseError) and exc.status_code is not None:
            code, message = error_parts(exc)
            if exc.status_code == 401:
                return RemoteError(f"Resource Manager rejected the token ({code}) while reading {what} at {scope}",
                                   hint=credential_error(exc, settings).hint)
            if exc.status_code == 403:
                return RemoteError(
                    f"permission denied reading {what} at {scope} ({code}: {redact(message)})",
                    hint=f"the signed-in identity needs the {READ_ROLE} role on {scope}"
                         + (" (or on a management group above it)" if above else "")
                         + "; ask an owner to grant it" + (f", {advice}" if advice else ""))
            return RemoteError(f"Azure refused to read {what} at {scope}: HTTP {exc.status_code} {code}: "
                               f"{redact(message)}")
        if isinstance(exc, ServiceRequestError):
            first = redact(str(exc)).splitlines()[0] if str(exc) else type(exc).__name__
            return RemoteError(f"Azure Resource Manager is unreachable at {settings.arm_endpoint} while reading "
                               f"{what} at {scope}: {first}")
        if isinstance(exc, AzureError):
            text = redact(str(exc)).splitlines()
            return RemoteError(f"Azure request failed while reading {what} at {scope}: "
                               f"{text[0] if text else type(exc).__name__}")
        raise exc

    return describe


def quiet_azure_logs(debug: bool) -> Callable[[], None]:
    """Keep azure-identity's multi-line warnings off stderr (or trace requests with --debug); returns undo."""
    import logging

    from generator.azure.credentials import RedactingFilter, install_log_redaction

    install_log_redaction()
    azure_logger = logging.getLogger("azure")
    old_level = azure_logger.level
    added: list[logging.Handler] = []
    if debug:
        handler: logging.Handler = logging.StreamHandler()
        handler.addFilter(RedactingFilter())
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        azure_logger.setLevel(logging.DEBUG)
    else:
        handler = logging.NullHandler()
    azure_logger.addHandler(handler)
    added.append(handler)

    def undo() -> None:
        for h in added:
            azure_logger.removeHandler(h)
        azure_logger.setLevel(old_level)

    return undo
