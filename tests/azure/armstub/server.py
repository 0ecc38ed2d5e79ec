"""An HTTPS Azure Resource Manager stand-in on 127.0.0.1 with a route registry, a request log and faults.

The real Azure SDK clients talk to it over TLS (certificate from trustme, trusted via
``REQUESTS_CA_BUNDLE``) and a real ``DefaultAzureCredential`` gets its token from the App Service
style managed-identity endpoint it serves (``IDENTITY_ENDPOINT`` / ``IDENTITY_HEADER``).

Handlers are plain functions registered with :func:`route`; any module can add more (Resource Graph,
subscriptions, providers ...) and keep its state under ``stub.state[<name>]``.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import ssl
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

# --------------------------------------------------------------------------------------------------
# Requests, responses, errors


@dataclass
class StubRequest:
    """One parsed request as handlers see it."""

    method: str
    path: str  # URL path, percent-decoded, without the query
    query: dict[str, str]  # first value of each parameter; keys as sent
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, or None
    raw_body: bytes
    params: dict[str, str] = field(default_factory=dict)  # named groups of the matched route

    def q(self, name: str, default: str | None = None) -> str | None:
        """A query parameter, case-insensitively (ARM treats ``$filter`` and ``$Filter`` alike)."""
        for key, value in self.query.items():
            if key.lower() == name.lower():
                return value
        return default


@dataclass
class StubResponse:
    """What a handler returns: status, JSON body (or None), extra headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent as is instead of ``body`` (hostile-answer tests: broken JSON)


class ArmError(Exception):
    """Raised by handlers to answer with an ARM error envelope ``{"error": {"code", "message"}}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class RecordedRequest:
    """One request as it reached the stand-in, and what it answered."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int | None = None
    fault: str | None = None
    has_authorization: bool = False

    @property
    def is_write(self) -> bool:
        """True for PUT, PATCH, POST and DELETE on Resource Manager paths (not the token endpoint)."""
        return self.method in ("PUT", "PATCH", "DELETE", "POST") and not self.path.startswith("/msi/")


Handler = Callable[["ArmStub", StubRequest], StubResponse]


@dataclass
class Route:
    """A method plus a regular expression over the path (case-insensitive, like ARM)."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    name: str


# Global registry: modules register handlers at import time; each ArmStub copies it when created.
ROUTES: list[Route] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    """Register ``handler`` for ``method`` and a full-path regex (named groups become ``req.params``)."""

    def deco(fn: Handler) -> Handler:
        ROUTES.append(Route(method.upper(), re.compile(pattern + r"\Z", re.IGNORECASE), fn, fn.__name__))
        return fn

    return deco


# --------------------------------------------------------------------------------------------------
# Faults


@dataclass
class Fault:
    """A fault for requests matching ``method`` and ``path`` (regex search), after ``skip`` matches, ``times`` times.

    kind: ``throttle`` (429 + Retry-After), ``error`` (``status``, default 500), ``drop`` (close the connection without an
    answer), ``slow`` (sleep ``delay`` seconds, then answer normally).
    """

    kind: str
    method: str | None = None
    path: str | None = None
    skip: int = 0
    times: int = 1
    retry_after: float = 0  # seconds; for "error" only sent when non-zero
    delay: float = 0.0
    status: int = 500  # for "error"
    seen: int = 0
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Count a matching request and say whether this one gets the fault."""
        if self.method and self.method.upper() != method:
            return False
        if self.path and not re.search(self.path, path, re.IGNORECASE):
            return False
        self.seen += 1
        if self.seen <= self.skip or self.fired >= self.times:
            return False
        self.fired += 1
        return True


# --------------------------------------------------------------------------------------------------
# The server


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], handler: type, stub: "ArmStub", ctx: ssl.SSLContext) -> None:
        super().__init__(addr, handler)
        self.stub = stub
        self.ssl_ctx = ctx

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake happens here, in the per-connection thread, so one slow client
        # cannot stall accept().
        try:
            tls = self.ssl_ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        self.RequestHandlerClass(tls, client_address, self)

    def handle_error(self, request: Any, client_address: Any) -> None:  # keep test output quiet
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _TLSServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def _dispatch(self) -> None:
        stub = self.server.stub
        parsed = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(parsed.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(parsed.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        rec = RecordedRequest(
            self.command, path, query, body, has_authorization="authorization" in headers
        )
        with stub.lock:
            stub.requests.append(rec)
            fault = next((f for f in stub.faults if f.matches(self.command, path)), None)
        if fault is not None:
            rec.fault = fault.kind
            if fault.kind == "drop":
                # Close without any answer: the client sees a dropped connection.
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            if fault.kind == "slow":
                time.sleep(fault.delay)
            elif fault.kind == "throttle":
                retry_after = f"{fault.retry_after:g}"
                self._send(rec, StubResponse(429, _error_body("TooManyRequests", "throttled by the stand-in"),
                                             {"Retry-After": retry_after}))
                return
            elif fault.kind == "error":
                headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after else {}
                self._send(rec, StubResponse(fault.status, _error_body("InternalServerError", "injected failure"),
                                             headers))
                return
        req = StubRequest(self.command, path, query, headers, body, raw)
        self._send(rec, stub.handle(req))

    def _send(self, rec: RecordedRequest, resp: StubResponse) -> None:
        rec.status = resp.status
        payload = resp.raw if resp.raw is not None else b"" if resp.body is None else json.dumps(resp.body).encode()
        self.send_response(resp.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        for key, value in resp.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST = do_HEAD = _dispatch


def _error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class ArmStub:
    """The stand-in: start() it, point clients at ``endpoint``, inspect ``requests``, add ``faults``."""

    def __init__(self, ca: Any, workdir: Path) -> None:
        self.routes: list[Route] = list(ROUTES)
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self.state: dict[str, Any] = {}  # per-feature state, e.g. state["policy"]
        self.lock = threading.RLock()
        self.identity_header = secrets.token_hex(16)
        # Looks like a JWT so that redaction patterns for real tokens are exercised.
        self.token = "eyJ0eXAiOiJKV1QifQ." + secrets.token_urlsafe(32) + "." + secrets.token_urlsafe(16)
        self.refuse_tokens = False  # the identity endpoint answers 400 (credential refused)
        self.principal = "clausegate-test-principal"
        self.page_size = 100
        self._ca = ca
        self._workdir = workdir
        self._server: _TLSServer | None = None
        self._thread: threading.Thread | None = None
        self.ca_bundle = workdir / "stub-ca.pem"

    # lifecycle -----------------------------------------------------------------------------------
    def start(self) -> "ArmStub":
        """Create the certificate, bind 127.0.0.1 on a free port and serve in a daemon thread."""
        cert = self._ca.issue_cert("127.0.0.1", "localhost")
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(ctx)
        self._ca.cert_pem.write_to_path(str(self.ca_bundle))
        self._server = _TLSServer(("127.0.0.1", 0), _Handler, self, ctx)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="armstub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def endpoint(self) -> str:
        """``https://127.0.0.1:<port>`` (use as CLAUSEGATE_ARM_ENDPOINT)."""
        assert self._server is not None
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def env(self) -> dict[str, str]:
        """Environment for a client process: ARM endpoint, CA bundle and the managed-identity endpoint."""
        return {
            "CLAUSEGATE_ARM_ENDPOINT": self.endpoint,
            "REQUESTS_CA_BUNDLE": str(self.ca_bundle),
            "IDENTITY_ENDPOINT": self.endpoint + "/msi/token",
            "IDENTITY_HEADER": self.identity_header,
        }

    # routing -------------------------------------------------------------------------------------
    def add_route(self, method: str, pattern: str, handler: Handler) -> None:
        """Add a handler to this instance only (checked before the global ones)."""
        self.routes.insert(0, Route(method.upper(), re.compile(pattern + r"\Z", re.IGNORECASE), handler,
                                    handler.__name__))

    def handle(self, req: StubRequest) -> StubResponse:
        """Authenticate, find the route and run it; ArmError becomes an ARM error envelope."""
        try:
            if not req.path.startswith("/msi/"):
                self._authenticate(req)
            if "//" in req.path:
                raise ArmError(400, "InvalidRequestUri", f"The request URI {req.path!r} is not valid.")
            path_matched = False
            for r in self.routes:
                m = r.pattern.match(req.path)
                if not m:
                    continue
                path_matched = True
                if r.method != req.method:
                    continue
                req.params = {k: v for k, v in m.groupdict().items() if v is not None}
                with self.lock:
                    return r.handler(self, req)
            if path_matched:
                raise ArmError(405, "MethodNotAllowed", f"{req.method} is not supported on {req.path}")
            raise ArmError(404, "NoRegisteredProviderFound", f"no stand-in route for {req.method} {req.path}")
        except ArmError as exc:
            return StubResponse(exc.status, _error_body(exc.code, exc.message))

    def _authenticate(self, req: StubRequest) -> None:
        auth = req.headers.get("authorization", "")
        if auth != f"Bearer {self.token}":
            raise ArmError(401, "AuthenticationFailed", "Authentication failed: missing or invalid bearer token.")

    # helpers for tests and handlers --------------------------------------------------------------
    def inject(self, kind: str, **kwargs: Any) -> Fault:
        """Add a fault (see :class:`Fault`) and return it, so a test can check it fired."""
        fault = Fault(kind, **kwargs)
        with self.lock:
            self.faults.append(fault)
        return fault

    def writes(self) -> list[RecordedRequest]:
        """Recorded PUT/PATCH/POST/DELETE requests to Resource Manager paths."""
        return [r for r in self.requests if r.is_write]

    def arm_requests(self) -> list[RecordedRequest]:
        """Recorded requests other than token requests."""
        return [r for r in self.requests if not r.path.startswith("/msi/")]

    def clear_log(self) -> None:
        """Forget recorded requests (state stays)."""
        with self.lock:
            self.requests.clear()

    def system_data(self, existing: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``systemData`` block ARM adds, keeping creation fields of an existing object."""
        now = now_iso()
        created = existing or {}
        return {
            "createdBy": created.get("createdBy", self.principal),
            "createdByType": "Application",
            "createdAt": created.get("createdAt", now),
            "lastModifiedBy": self.principal,
            "lastModifiedByType": "Application",
            "lastModifiedAt": now,
        }

    def paged(self, req: StubRequest, items: list[Any]) -> StubResponse:
        """A list answer with ``nextLink``/``$skipToken`` paging after ``page_size`` items."""
        start = int(req.q("$skipToken") or 0)
        page = items[start:start + self.page_size]
        body: dict[str, Any] = {"value": page}
        if start + self.page_size < len(items):
            query = dict(req.query)
            query["$skipToken"] = str(start + self.page_size)
            body["nextLink"] = self.endpoint + urllib.parse.quote(req.path) + "?" + urllib.parse.urlencode(query)
        return StubResponse(200, body)


def now_iso() -> str:
    """Current UTC time as ARM writes it."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --------------------------------------------------------------------------------------------------
# Managed identity (App Service style): GET /msi/token?api-version=2019-08-01&resource=...


@route("GET", r"/msi/token")
def _identity_token(stub: ArmStub, req: StubRequest) -> StubResponse:
    if req.headers.get("x-identity-header") != stub.identity_header:
        raise ArmError(401, "Unauthorized", "missing or wrong X-IDENTITY-HEADER")
    if stub.refuse_tokens:
        return StubResponse(400, {"error": "invalid_request",
                                  "error_description": "Identity not found for this resource"})
    resource = req.q("resource") or ""
    return StubResponse(200, {
        "access_token": stub.token,
        "expires_on": str(int(time.time()) + 3600),
        "resource": resource,
        "token_type": "Bearer",
        "client_id": str(uuid.UUID(int=1)),
    })
