"""Credentials (DefaultAzureCredential with ``--tenant``), sign-in hints, and redaction of secrets in logs."""

from __future__ import annotations

import logging
import os
import re
from typing import Any

from generator.azure.settings import AzureSettings
from generator.errors import RemoteError

# Secrets that may sit in the environment; their literal values are redacted wherever they appear.
SECRET_ENV = ("AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_PASSWORD",
              "IDENTITY_HEADER", "MSI_SECRET")

_PATTERNS = [
    # Authorization headers and bearer tokens in any quoting.
    (re.compile(r"(?i)\b(bearer|pop)\s+[A-Za-z0-9\-._~+/]+=*"), r"\1 ***"),
    # JWTs (access and id tokens, client assertions) wherever they appear.
    (re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), "***"),
    # key=value / "key": "value" forms of token endpoint fields and secret headers.
    (re.compile(r"(?i)(['\"]?(?:access_token|refresh_token|id_token|client_secret|client_assertion|password"
                r"|x-identity-header|secret|authorization)['\"]?\s*[:=]\s*['\"]?)(?!(?:bearer|pop)\s\*\*\*)([^'\"&\s,}]+)"),
     r"\1***"),
]


def redact(text: str) -> str:
    """Replace bearer tokens, JWTs, token-endpoint secrets and secret environment values with ``***``."""
    for name in SECRET_ENV:
        value = os.environ.get(name)
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts secrets from the formatted message (attach it to handlers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it to logging's own error path
        return
    clean = redact(message)
    if clean != message or record.args:
        record.msg, record.args = clean, None
    if record.exc_text:
        record.exc_text = redact(record.exc_text)


_installed = False


def install_log_redaction() -> None:
    """Redact secrets in every log record of this process, at any level, whatever handler prints it.

    A filter on the ``azure`` logger would not see records its child loggers propagate to the
    root handlers, and handlers added later (pytest's caplog, a user's config) would miss it, so
    the redaction runs in the record factory instead: every record is clean before any handler.
    """
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


class _TenantCredential:
    """Ask the wrapped credential for tokens in one tenant (DefaultAzureCredential has no tenant_id)."""

    def __init__(self, inner: Any, tenant: str) -> None:
        self._inner = inner
        self._tenant = tenant

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        kwargs.setdefault("tenant_id", self._tenant)
        return self._inner.get_token(*scopes, **kwargs)

    def get_token_info(self, *scopes: str, options: dict[str, Any] | None = None) -> Any:
        opts = dict(options or {})
        opts.setdefault("tenant_id", self._tenant)
        return self._inner.get_token_info(*scopes, options=opts)

    def close(self) -> None:
        self._inner.close()


def make_credential(settings: AzureSettings) -> Any:
    """A DefaultAzureCredential for the cloud's authority, pinned to ``settings.tenant`` when given."""
    from azure.identity import DefaultAzureCredential

    kwargs: dict[str, Any] = {
        "authority": os.environ.get("AZURE_AUTHORITY_HOST") or settings.cloud.authority,
    }
    if settings.tenant:
        kwargs.update(
            additionally_allowed_tenants=[settings.tenant],
            shared_cache_tenant_id=settings.tenant,
            workload_identity_tenant_id=settings.tenant,
            interactive_browser_tenant_id=settings.tenant,
        )
    try:
        credential = DefaultAzureCredential(**kwargs)
    except ValueError as exc:  # e.g. an invalid AZURE_TOKEN_CREDENTIALS value
        raise RemoteError(f"cannot set up Azure credentials: {redact(str(exc))}", hint=sign_in_hint(settings)) from None
    # Managed identities ignore the tenant (they belong to one); every other source honours it.
    return _TenantCredential(credential, settings.tenant) if settings.tenant else credential


def sign_in_hint(settings: AzureSettings) -> str:
    """One line telling people how to sign in for this cloud and tenant."""
    tenant = f" --tenant {settings.tenant}" if settings.tenant else ""
    cloud = ""
    if settings.cloud.name != "AzureCloud":
        cloud = f"'az cloud set --name {settings.cloud.name}', then "
    return (f"sign in with {cloud}'az login{tenant}', or set AZURE_CLIENT_ID, AZURE_TENANT_ID and "
            f"AZURE_CLIENT_SECRET (or a federated token file) for a service principal, or run where a "
            f"managed identity is available")


def credential_error(exc: BaseException, settings: AzureSettings) -> RemoteError:
    """Turn an azure-identity failure into one line plus a sign-in hint (exit 3)."""
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import CredentialUnavailableError

    text = redact(str(getattr(exc, "message", None) or exc)).strip()
    # DefaultAzureCredential reports each source it tried as "\tName: reason" lines.
    attempts = [line.strip() for line in text.splitlines() if line.startswith("\t")]
    # The chain moves on only past sources that are unavailable and stops at the first that fails, so
    # every attempt but the last was unavailable (whatever its wording, e.g. "Azure CLI not found on
    # path", "requires the 'azure-identity-broker' package"), and the last one decides.
    if isinstance(exc, CredentialUnavailableError) or (attempts and _unavailable(attempts[-1])):
        tried = ", ".join(a.split(":", 1)[0] for a in attempts)
        return RemoteError("no Azure credentials found" + (f" (tried {tried})" if tried else ""),
                           hint=sign_in_hint(settings))
    if _network_failure(exc, text):
        # Not a refusal: the sign-in endpoint was never reached (DNS, proxy, firewall, no network).
        host = _host_in(text) or settings.cloud.authority
        return RemoteError(f"network failure reaching the sign-in endpoint {host}: cannot connect",
                           hint="check the network, proxy (HTTPS_PROXY) and firewall; rerun with --debug for details")
    failed = attempts[-1:]
    lines = text.splitlines()
    reason = failed[0] if failed else (lines[0] if lines else type(exc).__name__)
    if isinstance(exc, ClientAuthenticationError) and len(reason) > 200:
        reason = reason[:200] + "..."
    return RemoteError(f"Azure refused the credentials: {reason}", hint=sign_in_hint(settings))


_NETWORK_WORDS = ("failed to establish a new connection", "name or service not known", "nodename nor servname",
                  "temporary failure in name resolution", "connection refused", "connection reset",
                  "max retries exceeded", "timed out", "network is unreachable", "no route to host",
                  "getaddrinfo failed", "connection aborted")


def _network_failure(exc: BaseException, text: str) -> bool:
    """True when the sign-in request never got an answer (a connection error somewhere in the chain)."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        name = type(cur).__name__
        if name in ("ServiceRequestError", "ConnectionError", "ConnectTimeout", "NewConnectionError",
                    "NameResolutionError", "MaxRetryError") or isinstance(cur, (ConnectionError, TimeoutError)):
            return True
        cur = cur.__cause__ or cur.__context__
    low = text.lower()
    return any(w in low for w in _NETWORK_WORDS)


def _host_in(text: str) -> str | None:
    import re

    m = re.search(r"host='([^']+)'", text) or re.search(r"https?://([^/\s:'\"]+)", text)
    return m.group(1) if m else None


_UNAVAILABLE_WORDS = ("unavailable", "not found on path", "could not be found", "not installed",
                      "not fully configured", "no accounts were found", "is required to use", "requires the '")


def _unavailable(attempt: str) -> bool:
    """Whether one "Name: reason" line of DefaultAzureCredential says the source is not set up here."""
    low = attempt.lower()
    return any(w in low for w in _UNAVAILABLE_WORDS)
