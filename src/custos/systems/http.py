"""The `http` kind: a system reached through templated REST calls written in the policy.

A URL template names the identity it is called with: `{email}`, `{phone}` or `{external_id}`. Each call is
made once per value of that kind the person has (URL-quoted), so a person with two addresses is looked up
under both. The token is the value of an environment variable put in one header; it never enters the
database or the policy. A 404 on delete means "nothing here" — an erasure repeated finds nothing and
succeeds — and any other non-2xx status is a failure to record and retry.

Plain `urllib` keeps the product free of an HTTP client dependency for a few calls per request.
"""

from __future__ import annotations

import json
import string
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from custos.errors import ConfigurationError
from custos.policy.models import HttpCall, HttpCalls, System
from custos.systems.keys import IdentityKind, SubjectKeys

_FIELDS: dict[str, IdentityKind] = {"email": "email", "phone": "phone", "external_id": "external_id"}
TIMEOUT = 30.0
# A response larger than this is refused rather than held in memory.
MAX_BODY = 16 * 1024 * 1024


class HttpSystemError(Exception):
    """The endpoint failed; the message has the method, the URL's host and path, and the status, not the query."""


@dataclass(frozen=True)
class HttpResult:
    records: list[Any]
    deleted: int


def export_records(system: System, keys: SubjectKeys, env: Mapping[str, str]) -> list[Any]:
    """Every record the export (or, without one, the find) call returns for the person."""
    calls = _calls(system)
    call = calls.export or calls.find
    if call is None:
        raise ConfigurationError(f"system {system.id!r}: http has no export or find call")
    records: list[Any] = []
    for url in _urls(call, keys):
        status, body = _send(call.method, url, _headers(calls, system, env))
        if status == 404:
            continue
        _ok(call.method, url, status)
        records += _as_records(body)
    return records


def delete_records(system: System, keys: SubjectKeys, env: Mapping[str, str]) -> int:
    """Ask the system to delete the person; the count is what it says it deleted (or the calls that did)."""
    calls = _calls(system)
    assert calls.delete is not None  # the policy model requires it
    deleted = 0
    for url in _urls(calls.delete, keys):
        status, body = _send(calls.delete.method, url, _headers(calls, system, env))
        if status == 404:
            continue
        _ok(calls.delete.method, url, status)
        deleted += _deleted_count(body)
    return deleted


def _calls(system: System) -> HttpCalls:
    if system.http is None:
        raise ConfigurationError(f"system {system.id!r} has no `http:` calls in the policy")
    return system.http


def _headers(calls: HttpCalls, system: System, env: Mapping[str, str]) -> dict[str, str]:
    headers = {"Accept": "application/json", "User-Agent": "custos"}
    if calls.auth is not None:
        token = env.get(calls.auth.env, "")
        if not token:
            raise ConfigurationError(f"system {system.id!r}: set {calls.auth.env} to its API token (it is not set)")
        headers[calls.auth.header] = f"{calls.auth.scheme} {token}" if calls.auth.scheme else token
    return headers


def _urls(call: HttpCall, keys: SubjectKeys) -> Iterator[str]:
    names = {name for _, name, _, _ in string.Formatter().parse(call.url) if name}
    unknown = names - set(_FIELDS)
    if unknown or len(names) != 1:
        raise ConfigurationError(
            f"the URL template {call.url!r} must use exactly one of {{email}}, {{phone}}, {{external_id}}"
        )
    (name,) = names
    for value in keys.values(_FIELDS[name]):
        yield call.url.format(**{name: quote(value, safe="")})


def _send(method: str, url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return int(response.status), response.read(MAX_BODY + 1)
    except urllib.error.HTTPError as error:
        return int(error.code), b""
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise HttpSystemError(f"{method} {_where(url)}: {type(reason).__name__}") from None


def _ok(method: str, url: str, status: int) -> None:
    if not 200 <= status < 300:
        raise HttpSystemError(f"{method} {_where(url)} answered {status}")


def _where(url: str) -> str:
    """Scheme, host and path only: the query and the path's last part may hold the person's identity."""
    base = url.split("?", 1)[0]
    head, _, _last = base.rpartition("/")
    return head + "/…" if head.count("/") >= 3 else base


def _as_records(body: bytes) -> list[Any]:
    if len(body) > MAX_BODY:
        raise HttpSystemError("the response is larger than 16 MiB")
    if not body.strip():
        return []
    try:
        data = json.loads(body)
    except ValueError:
        raise HttpSystemError("the response is not JSON") from None
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and isinstance(data.get("records"), list):
        return list(data["records"])
    return [data]


def _deleted_count(body: bytes) -> int:
    try:
        data = json.loads(body) if body.strip() else None
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("deleted"), int):
        return int(data["deleted"])
    return 1
