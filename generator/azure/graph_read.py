"""Resource Graph reading for ``scan``: paged queries with subscription batching and quota pacing, and the
checks that keep a hostile answer from breaking the run.

A page that fails after retries, a page whose rows are not objects, or a ``$skipToken`` that repeats is
recorded in ``incomplete`` (the rows read before it are kept; the run exits 3 after reporting); rows
missing the columns scan relies on are left out and counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

GRAPH_PAGE_SIZE = 1000            # the service's maximum $top
SUBSCRIPTION_BATCH = 1000         # subscriptions named per Resource Graph request
# A Resource Graph query is a read sent as POST: retry it after a dropped connection or a read
# timeout too (azure-core retries POST only on 429/500/503/504 answers by default).
_GRAPH_RETRY_METHODS = frozenset({"HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE", "POST"})


class _Graph:
    """Paged Resource Graph queries with subscription batching, page counting and failure capture."""

    def __init__(self, client: Any, describe: Callable[[BaseException, str, str], Exception],
                 incomplete: list[str], progress: Callable[[str], None] | None) -> None:
        self.client = client
        self.describe = describe
        self.incomplete = incomplete
        self.progress = progress
        self.pages = 0
        self.paced = 0  # waits for the per-user quota (x-ms-user-quota-remaining: 0)

    def rows(self, query: str, label: str, *, subscriptions: list[str] | None = None,
             management_groups: list[str] | None = None, scope_text: str = "the tenant") -> Iterator[dict[str, Any]]:
        """Every row of ``query``; a page that fails after retries is recorded, the rows before it kept."""
        from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

        batches: list[list[str] | None] = [None]
        if subscriptions is not None:
            batches = [subscriptions[i:i + SUBSCRIPTION_BATCH]
                       for i in range(0, len(subscriptions), SUBSCRIPTION_BATCH)]
        for n, batch in enumerate(batches, 1):
            token: str | None = None
            page = read = 0
            seen_tokens: set[str] = set()
            where = f"batch {n} of {len(batches)}, " if len(batches) > 1 else ""
            while True:
                page += 1
                request = QueryRequest(
                    query=query, subscriptions=batch, management_groups=management_groups,
                    options=QueryRequestOptions(top=GRAPH_PAGE_SIZE, skip_token=token, result_format="objectArray"))
                try:
                    response, headers = self.client.resources(
                        request, cls=lambda pipeline, model, _: (model, pipeline.http_response.headers),
                        retry_on_methods=_GRAPH_RETRY_METHODS)
                except Exception as exc:  # noqa: BLE001 - recorded; later batches still run
                    err = self.describe(exc, label, scope_text)
                    if _fatal(exc):
                        raise err from None  # no credentials: every later request would fail alike
                    where = f"batch {n} of {len(batches)}, " if len(batches) > 1 else ""
                    self.incomplete.append(f"{label}: {where}page {page} failed ({err}); the {read} row(s) read "
                                           f"before it are kept, the rest of this query is missing")
                    break
                self.pages += 1
                data = response.data if response.data is not None else []
                problem = _bad_rows(data)
                if problem:
                    # What was read before stays; this query's rest is missing (exit 3 after reporting).
                    self.incomplete.append(f"{label}: {where}page {page}: malformed answer from Azure Resource Graph "
                                           f"({problem}); the {read} row(s) read before it are kept, the rest of "
                                           f"this query is missing")
                    break
                read += len(data)
                if self.progress:
                    batch_text = f" (batch {n}/{len(batches)})" if len(batches) > 1 else ""
                    self.progress(f"{label}: {read} row(s){batch_text}")
                yield from data
                token = response.skip_token
                if not token:
                    break
                if not isinstance(token, str) or token in seen_tokens:
                    self.incomplete.append(f"{label}: {where}page {page}: Azure Resource Graph repeated a $skipToken; "
                                           f"stopped instead of paging forever (the {read} row(s) read are kept)")
                    break
                seen_tokens.add(token)
                self._pace(headers)


    def _pace(self, headers: Any) -> None:
        """Wait out Resource Graph's per-user quota before the next page, instead of being throttled."""
        remaining = headers.get("x-ms-user-quota-remaining")
        resets = headers.get("x-ms-user-quota-resets-after")
        if remaining is None or resets is None or not str(remaining).strip().isdigit() or int(remaining) > 0:
            return
        wait = _duration(str(resets))
        if wait > 0:
            import time

            from generator.azure.clients import MAX_RETRY_AFTER

            if self.progress:
                self.progress(f"Resource Graph quota used up: waiting {wait:g}s")
            self.paced += 1
            time.sleep(min(wait, MAX_RETRY_AFTER))


def _bad_rows(data: Any) -> str | None:
    """Why a Resource Graph page's rows are unusable (not a list of objects), or None."""
    if not isinstance(data, list):
        return f"rows are {type(data).__name__}, not a list"
    for i, row in enumerate(data):
        if not isinstance(row, dict):
            return f"row {i} is {type(row).__name__}, not an object"
    return None


_OBJECT_COLUMNS = ("tags", "properties", "sku", "identity")


def _row_problem(row: dict[str, Any], required: tuple[str, ...]) -> str | None:
    """What makes one row unusable: a required column that is not a non-empty string, or an object column
    (tags, properties ...) that is not an object; None when it is usable."""
    for col in required:
        value = row.get(col)
        if not isinstance(value, str) or not value:
            return f"no '{col}' string"
    for col in _OBJECT_COLUMNS:
        if row.get(col) is not None and not isinstance(row.get(col), dict):
            return f"'{col}' is {type(row.get(col)).__name__}, not an object"
    tags = row.get("tags") or {}
    if any(not isinstance(v, (str, int, float, bool)) and v is not None for v in tags.values()):
        return "a tag value is not text"
    return None


class _Rows:
    """Rows of one query filtered to usable ones; the unusable are counted and reported as incomplete."""

    def __init__(self, label: str, required: tuple[str, ...], incomplete: list[str]) -> None:
        self.label = label
        self.required = required
        self.incomplete = incomplete
        self.bad = 0
        self.first = ""

    def keep(self, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Yield the usable rows."""
        for row in rows:
            problem = _row_problem(row, self.required)
            if problem is None:
                yield row
                continue
            self.bad += 1
            self.first = self.first or problem
        if self.bad:
            self.incomplete.append(f"{self.label}: {self.bad} row(s) of Azure Resource Graph's answer were malformed "
                                   f"(first: {self.first}) and were left out")


def _duration(text: str) -> float:
    """Seconds of an ``hh:mm:ss`` (optionally fractional) duration; 0 when unreadable."""
    parts = text.strip().split(":")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        return 0.0
    seconds = 0.0
    for v in values:
        seconds = seconds * 60 + v
    return seconds


def _fatal(exc: BaseException) -> bool:
    """True for failures no later request can avoid: missing or refused credentials (401)."""
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

    if isinstance(exc, HttpResponseError) and getattr(exc, "status_code", None) == 401:
        return True
    return isinstance(exc, ClientAuthenticationError) and getattr(exc, "status_code", None) != 403
