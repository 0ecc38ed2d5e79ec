"""The few Resource Manager calls ``publish`` makes, hardened against hostile answers, and the ordered apply.

Reading: every LIST goes through the page checks of arm_read (a repeating or foreign ``nextLink`` stops
with exit 3) and every listed object is checked: an item that is not an object with a policy-object id
is a malformed answer (exit 3, naming the request); an object at another scope than the one listed
(``atExactScope()`` was asked for) is ignored and noted, so ``--prune`` can never delete it.

Writing: ``apply_plan`` writes in dependency order and, while it runs, SIGINT/SIGTERM only ask it to
stop: the request in flight completes, no further request is sent, and the result says what was
written, so the next run converges from a known state.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from generator.azure.publish import (
    EXEMPTION_API_VERSION,
    KIND_PATH,
    Change,
    Plan,
    RemoteState,
    Scope,
    object_id,
    split_object_id,
)
from generator.errors import InputError, RemoteError

# A policy object name as publish will put it back into a URL: no path, query or fragment characters.
_SAFE_NAME = re.compile(r"^[^/\\?#%\x00-\x1f\x7f]{1,260}$")


class PolicyApi:
    """The few calls publish makes, over the real PolicyClient (exemptions through its pipeline)."""

    def __init__(self, client: Any, scope: Scope, describe_error: Callable[[BaseException, str], Exception],
                 endpoint: str = "") -> None:
        self.client = client
        self.scope = scope
        self._describe = describe_error
        self.endpoint = endpoint or str(getattr(getattr(client, "_config", None), "endpoint", "") or "")

    # reading ------------------------------------------------------------------------------------
    def read(self, kinds: Any, extra_exemption_scopes: Any = ()) -> RemoteState:
        """LIST each kind at exactly the scope (one call per kind and page), exemptions also at extra scopes."""
        state = RemoteState()
        for kind in kinds:
            self._keep(state, kind, self.scope.id)
        for ex_scope in extra_exemption_scopes:
            self._keep(state, "exemption", ex_scope)
        return state

    def _keep(self, state: RemoteState, kind: str, scope_id: str) -> None:
        what = f"list policy {KIND_PATH[kind]} at {scope_id}"
        for i, obj in enumerate(self._list(kind, scope_id)):
            obj_id, name = obj.get("id"), obj.get("name")
            if not isinstance(obj_id, str) or not isinstance(name, str):
                raise RemoteError(f"malformed answer from Azure to {what}: item {i} has no 'id' and 'name' strings")
            try:
                at, found_kind, id_name = split_object_id(obj_id)
            except InputError:
                raise RemoteError(f"malformed answer from Azure to {what}: item {i} id {obj_id[:120]!r} is not a "
                                  f"policy object id") from None
            if (found_kind != kind or at.lower() != scope_id.lower() or id_name.lower() != name.lower()
                    or not _SAFE_NAME.match(id_name)):
                # Not what was asked for (atExactScope() at this scope): never planned, never deleted.
                state.ignored.append(f"{obj_id[:200]} (listed at {scope_id})")
                continue
            state.objects[obj_id.lower()] = obj

    def _list(self, kind: str, scope_id: str) -> list[dict[str, Any]]:
        from generator.azure.arm_read import collect_pages

        ops = self.client
        mg = self.scope.name if self.scope.kind == "managementGroup" else None
        what = f"list policy {KIND_PATH[kind]} at {scope_id}"
        try:
            if kind == "exemption":
                return self._raw_list(f"{scope_id}/providers/Microsoft.Authorization/policyExemptions", what)
            if kind == "definition":
                pager = (ops.policy_definitions.list_by_management_group(mg, filter="atExactScope()") if mg
                         else ops.policy_definitions.list(filter="atExactScope()"))
            elif kind == "set":
                pager = (ops.policy_set_definitions.list_by_management_group(mg, filter="atExactScope()") if mg
                         else ops.policy_set_definitions.list(filter="atExactScope()"))
            else:
                pager = (ops.policy_assignments.list_for_management_group(mg, filter="atExactScope()") if mg
                         else ops.policy_assignments.list(filter="atExactScope()"))
            items = [_plain(item) for item in collect_pages(pager, what, self.endpoint)]
        except Exception as exc:
            raise self._describe(exc, what) from None
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise RemoteError(f"malformed answer from Azure to {what}: item {i} is not an object")
        return items

    def _raw_list(self, path: str, what: str) -> list[dict[str, Any]]:
        from azure.core.rest import HttpRequest

        from generator.azure.arm_read import PageGuard, answer_json, page_items

        guard = PageGuard(what, self.endpoint)
        out: list[dict[str, Any]] = []
        url: str | None = f"{path}?api-version={EXEMPTION_API_VERSION}&$filter=atExactScope()"
        while url:
            response = self._send(HttpRequest("GET", url))
            payload = answer_json(response, what)
            items = page_items(payload, what)
            out.extend(items)
            url = guard.next(payload.get("nextLink"), len(items))
        return out

    def _send(self, request: Any, allow_404: bool = False) -> Any:
        from azure.core.exceptions import HttpResponseError

        response = self.client.send_request(request)
        if response.status_code == 404 and allow_404:
            return response
        if response.status_code >= 400:
            raise HttpResponseError(response=response)
        return response

    # writing ------------------------------------------------------------------------------------
    def put(self, change: Change) -> None:
        """Create or replace one object."""
        scope_id, kind, name = split_object_id(change.id)
        body = change.body or {}
        mg = self.scope.name if self.scope.kind == "managementGroup" else None
        ops = self.client
        try:
            if kind == "definition":
                (ops.policy_definitions.create_or_update_at_management_group(mg, name, body) if mg
                 else ops.policy_definitions.create_or_update(name, body))
            elif kind == "set":
                (ops.policy_set_definitions.create_or_update_at_management_group(mg, name, body) if mg
                 else ops.policy_set_definitions.create_or_update(name, body))
            elif kind == "assignment":
                # The operation's URL template is "/{scope}/providers/...": pass the scope without its slash.
                ops.policy_assignments.create(scope_id.lstrip("/"), name, body)
            else:
                from azure.core.rest import HttpRequest

                self._send(HttpRequest("PUT", f"{change.id}?api-version={EXEMPTION_API_VERSION}", json=body))
        except Exception as exc:
            raise self._describe(exc, f"{'create' if change.action == 'create' else 'update'} {kind} {name!r}") from None

    def delete(self, change: Change) -> None:
        """Delete one object (already gone is fine: reruns converge)."""
        scope_id, kind, name = split_object_id(change.id)
        mg = self.scope.name if self.scope.kind == "managementGroup" else None
        ops = self.client
        try:
            if kind == "definition":
                (ops.policy_definitions.delete_at_management_group(mg, name) if mg
                 else ops.policy_definitions.delete(name))
            elif kind == "set":
                (ops.policy_set_definitions.delete_at_management_group(mg, name) if mg
                 else ops.policy_set_definitions.delete(name))
            elif kind == "assignment":
                ops.policy_assignments.delete(scope_id.lstrip("/"), name)
            else:
                from azure.core.rest import HttpRequest

                self._send(HttpRequest("DELETE", f"{change.id}?api-version={EXEMPTION_API_VERSION}"))
        except Exception as exc:
            raise self._describe(exc, f"delete {kind} {name!r}") from None


def _plain(item: Any) -> dict[str, Any]:
    """An SDK model as the ARM JSON it came from."""
    if isinstance(item, dict):
        return item
    as_dict = getattr(item, "as_dict", None)
    return as_dict() if callable(as_dict) else dict(item)


def rebuilt_delete_id(change: Change, plan: Plan, exemption_scopes: Any = ()) -> str:
    """The id a delete is sent to, built from the scope publish was given, the kind and the name.

    An id from an answer is never sent as is: a delete outside the scope (or the exemption scopes of the
    run) is refused (RemoteError), so a hostile list answer cannot point a delete anywhere else.
    """
    scope_id, kind, name = split_object_id(change.id)
    allowed = {plan.scope.id.lower()} | ({s.lower() for s in exemption_scopes} if kind == "exemption" else set())
    if scope_id.lower() not in allowed or not _SAFE_NAME.match(name):
        raise RemoteError(f"refused to delete {change.id[:200]!r}: it is not at the scope {plan.scope.id}")
    return object_id(plan.scope.id if scope_id.lower() == plan.scope.id.lower() else scope_id, kind, name)


class StopRequest:
    """Set by SIGINT/SIGTERM while writes run: the signal number, else None."""

    def __init__(self) -> None:
        self.signal: int | None = None


@contextmanager
def deferred_interrupts() -> Iterator[StopRequest]:
    """While writes run, SIGINT/SIGTERM only ask to stop between requests (a second SIGINT aborts at once)."""
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def ask(signum: int, _frame: Any) -> None:
        if stop.signal is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # asked twice: stop now
        stop.signal = signum

    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in old:
        signal.signal(s, ask)
    try:
        yield stop
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def apply_plan(plan: Plan, api: PolicyApi, on_applied: Callable[[Change], None] | None = None,
               stop: StopRequest | None = None, exemption_scopes: Any = ()) -> list[Change]:
    """Write the plan's changes in dependency order; stop at the first failure or when ``stop`` is set
    (checked between requests), so a rerun converges."""
    done: list[Change] = []
    for change in plan.writes():
        if stop is not None and stop.signal is not None:
            break
        if change.action == "delete":
            target = rebuilt_delete_id(change, plan, exemption_scopes)
            api.delete(Change(change.kind, target, change.name, change.action))
        else:
            api.put(change)
        done.append(change)
        if on_applied:
            on_applied(change)
    return done


def describe_azure_error(settings: Any) -> Callable[[BaseException, str], Exception]:
    """Map SDK exceptions to ClausegateErrors: credentials, permissions, refusals, unreachable (exit 3)."""

    def describe(exc: BaseException, what: str) -> Exception:
        from azure.core.exceptions import ClientAuthenticationError, DecodeError, HttpResponseError, ServiceRequestError

        from generator.azure.credentials import credential_error, redact

        if isinstance(exc, ClientAuthenticationError) and not _from_arm(exc, settings.arm_endpoint):
            # Raised by the credential (token endpoint, developer tool), not by Resource Manager.
            return credential_error(exc, settings)
        if isinstance(exc, DecodeError) or isinstance(exc, (ValueError, RecursionError, TypeError, AttributeError)):
            # The SDK could not read the answer (not JSON, or not the shape of a list page).
            first = redact(str(exc)).splitlines()[0][:160] if str(exc) else type(exc).__name__
            return RemoteError(f"malformed answer from Azure while trying to {what}: {first}")
        if isinstance(exc, HttpResponseError) and exc.status_code is not None:
            code, message = _error_parts(exc)
            status = exc.status_code
            if status == 401:
                return RemoteError(f"Resource Manager rejected the token ({code}) while trying to {what}",
                                   hint=credential_error(exc, settings).hint)
            if status == 403:
                return RemoteError(
                    f"permission denied while trying to {what}: {redact(message)}",
                    hint="the identity needs Resource Policy Contributor at the scope "
                         "(and Microsoft.Authorization/policyExemptions/write for exemptions)")
            return RemoteError(f"Azure refused to {what}: HTTP {status} {code}: {redact(message)}")
        if isinstance(exc, ServiceRequestError):
            return RemoteError(f"Azure Resource Manager is unreachable at {settings.arm_endpoint} while trying "
                               f"to {what}: {redact(str(exc)).splitlines()[0] if str(exc) else type(exc).__name__}")
        from azure.core.exceptions import AzureError

        if isinstance(exc, AzureError):
            text = redact(str(exc)).splitlines()
            return RemoteError(f"Azure request failed while trying to {what}: {text[0] if text else type(exc).__name__}")
        if isinstance(exc, (RemoteError, InputError)):
            return exc
        return exc if isinstance(exc, Exception) else RemoteError(str(exc))

    return describe


def _from_arm(exc: Any, endpoint: str) -> bool:
    response = getattr(exc, "response", None)
    url = str(getattr(getattr(response, "request", None), "url", "") or "")
    return bool(response is not None and url.lower().startswith(endpoint.lower()) and "/msi/" not in url)


def _error_parts(exc: Any) -> tuple[str, str]:
    code = getattr(getattr(exc, "error", None), "code", None) or ""
    message = getattr(getattr(exc, "error", None), "message", None) or ""
    if not code:
        try:
            body = exc.response.json()
            code = body.get("error", {}).get("code", "") or ""
            message = body.get("error", {}).get("message", "") or message
        except Exception:
            pass
    if not message:
        message = (str(getattr(exc, "reason", "")) or str(exc)).splitlines()[0]
    return code or "Error", message.splitlines()[0] if message else ""
