"""Read-only Azure access shared by ``check --from-azure``, ``scan`` and ``aliases sync``.

Clients are built like publish's (clients.py): our endpoint and token scope, capped retries that
honour Retry-After, and request counting; errors become one line naming the scope and the role
(Reader) the caller lacks, instead of an SDK traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from generator.azure.clients import RequestStats, counting_policies, make_retry_policy, origin_guard
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
        "retry_policy": make_retry_policy(total=retry_total, backoff=retry_backoff, budget=stats.budget),
        "per_call_policies": [call_counter],
        "per_retry_policies": [attempt_counter, origin_guard(settings)],
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


MAX_EMPTY_PAGES = 100  # consecutive empty pages that still name a nextLink: an endless listing


def _path_of(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path or url


def malformed(what: str, problem: str) -> RemoteError:
    """A RemoteError (exit 3) for an answer that is not what Resource Manager sends, naming the request."""
    return RemoteError(f"malformed answer from Azure to {what}: {problem}")


def answer_json(response: Any, what: str) -> Any:
    """The JSON body of an answer; a body that is not JSON (or nests absurdly) is RemoteError naming ``what``."""
    try:
        return response.json()
    except RecursionError:
        raise malformed(what, "the JSON nests too deeply") from None
    except ValueError as exc:
        first = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise malformed(what, f"not JSON ({first})") from None


def _skip_token(url: str) -> str | None:
    from urllib.parse import parse_qsl, urlsplit

    for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if key.lower() == "$skiptoken":
            return value
    return None


class PageGuard:
    """Checks each page of one listing: a nextLink that repeats (or repeats its $skipToken), leaves the
    Resource Manager endpoint, or an endless run of empty pages stops the listing (RemoteError, exit 3)."""

    def __init__(self, what: str, endpoint: str) -> None:
        from generator.azure.clients import _origin

        self.what = what
        self.endpoint = endpoint
        self._allowed = _origin(endpoint)
        self._origin = _origin
        self._links: set[str] = set()
        self._tokens: set[str] = set()
        self._empty = 0

    def next(self, link: Any, items: int) -> str | None:
        """Check the page's nextLink (and its item count); return the link to follow, or None at the end."""
        if link is None or link == "":
            return None
        if not isinstance(link, str):
            raise malformed(self.what, f"nextLink is {type(link).__name__}, not a URL")
        if link.startswith(("http://", "https://")) or "://" in link:
            if self._origin(link) != self._allowed:
                raise RemoteError(f"Azure's answer to {self.what} names a nextLink outside the Resource Manager "
                                  f"endpoint {self.endpoint}; not followed (the token is only sent there)")
        token = _skip_token(link)
        if link in self._links or (token is not None and token in self._tokens):
            raise RemoteError(f"Azure's answer to {self.what} repeats a nextLink{' $skipToken' if token else ''}; "
                              f"stopped instead of listing forever")
        self._empty = 0 if items else self._empty + 1
        if self._empty >= MAX_EMPTY_PAGES:
            raise RemoteError(f"Azure's answer to {self.what} gave {MAX_EMPTY_PAGES} empty pages in a row, each "
                              f"with a new nextLink; stopped instead of listing forever")
        self._links.add(link)
        if token is not None:
            self._tokens.add(token)
        return link


def page_items(payload: Any, what: str) -> list[dict[str, Any]]:
    """The ``value`` of a list page: a list of objects (missing means empty), else RemoteError naming ``what``."""
    if not isinstance(payload, dict):
        raise malformed(what, f"expected a JSON object, got {type(payload).__name__}")
    value = payload.get("value")
    if value is None:
        return []
    if not isinstance(value, list):
        raise malformed(what, f"'value' is {type(value).__name__}, not a list")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise malformed(what, f"value[{i}] is {type(item).__name__}, not an object")
    return value


def collect_pages(pager: Any, what: str, endpoint: str) -> list[Any]:
    """Every item of an SDK pager, page by page, with the PageGuard checks on each continuation token."""
    guard = PageGuard(what, endpoint)
    pages = pager.by_page()
    out: list[Any] = []
    for page in pages:
        items = list(page)
        out.extend(items)
        guard.next(getattr(pages, "continuation_token", None), len(items))
    return out


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
        doc = answer_json(response, f"GET {_path_of(path)}")
        if not isinstance(doc, dict):
            raise malformed(f"GET {_path_of(path)}", f"expected a JSON object, got {type(doc).__name__}")
        return doc

    def pages(self, path: str, api_version: str, query: str = "") -> Iterator[list[dict[str, Any]]]:
        """Each page of a LIST, following ``nextLink`` (checked by PageGuard); malformed pages are RemoteError."""
        from azure.core.exceptions import HttpResponseError
        from azure.core.rest import HttpRequest

        what = f"GET {_path_of(path)}"
        guard = PageGuard(what, self.settings.arm_endpoint)
        url: str | None = f"{path}?api-version={api_version}" + (f"&{query}" if query else "")
        while url:
            response = self.client.send_request(HttpRequest("GET", url))
            if response.status_code >= 400:
                raise HttpResponseError(response=response)
            payload = answer_json(response, what)
            items = page_items(payload, what)
            yield items
            url = guard.next(payload.get("nextLink"), len(items))

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
        from azure.core.exceptions import (
            AzureError,
            ClientAuthenticationError,
            DecodeError,
            HttpResponseError,
            ServiceRequestError,
        )

        from generator.azure.credentials import credential_error, redact

        if isinstance(exc, RemoteError):
            return exc
        if isinstance(exc, (DecodeError, ValueError, RecursionError, TypeError, AttributeError, KeyError)):
            # The answer could not be read as what Resource Manager sends (not JSON, wrong shape).
            first = redact(str(exc)).splitlines()[0][:160] if str(exc) else type(exc).__name__
            return RemoteError(f"malformed answer from Azure while reading {what} at {scope}: {first}")
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
