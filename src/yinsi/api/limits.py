"""Input limits of the HTTP service, as ASGI middleware in front of every route.

:class:`InputLimits` refuses, before any route runs:

====================================================  =====================================
a body over ``max_body_bytes`` (``Content-Length``      413 ``{"detail": message}``
or counted while it streams in)
a path or query string that is not UTF-8 once           400 ``{"detail": message}``
percent-decoded; a ``Content-Length`` that is no
number
a path segment (query value) with a control             422 ``{"detail": [{"loc", "msg",
character or over 255 (2,048) characters; a subject     "type"}]}`` (FastAPI's shape; ``loc``
id that is a phone number, ID number or e-mail          names the parameter)
a JSON body that is not UTF-8 or holds ``\\u0000``      422 (``loc``: ``["body"]``)
====================================================  =====================================

The body is read once here (at most ``max_body_bytes``) and handed on, so a streamed
body without ``Content-Length`` is bounded like any other. No message echoes the value.

:class:`ServerErrors` answers an unexpected exception with a plain 500 and logs its class,
the first line of its message and the traceback, never the rest of the message (a
database error's later lines carry its parameters: IP, account, user agent).
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

from starlette.applications import Starlette
from starlette.responses import JSONResponse

from yinsi.api.fields import ID_MAX_CHARS, id_problem, subject_problem

__all__ = ["BODY", "MAX_BODY_BYTES", "InputLimits", "ServerErrors", "install"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_BYTES = 5_000_000
"""A request body over this many bytes is refused with 413 (a JSON-escaped declaration of
the YAML size limit, 2 MB, fits)."""

BODY = "yinsi.body"
"""The scope key holding the request body :class:`InputLimits` read and checked."""

MAX_QUERY_VALUE_CHARS = 2048
"""A query value over this many characters is refused (422)."""

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_SUBJECT = re.compile(r"/v1/apps/[^/]+/subjects/([^/]+)")
_JSON = re.compile(r"application/(?:[\w.+-]*\+)?json", re.IGNORECASE)
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
"""``\\u0000`` in JSON text (an odd run of backslashes before ``u0000``)."""

log = logging.getLogger("yinsi.api")


def _validation_error(loc: list[str | int], message: str, kind: str) -> JSONResponse:
    return JSONResponse({"detail": [{"type": kind, "loc": loc, "msg": message}]}, 422)


_PARAM = re.compile(r"\\\{(\w+)\\\}")


def _templates(app: Any) -> list[re.Pattern[str]]:
    """The app's path templates as patterns (``{name}`` → a named group), made once."""
    cached: list[re.Pattern[str]] | None = getattr(app.state, "path_patterns", None)
    if cached is None:
        paths = app.openapi().get("paths", {}) if hasattr(app, "openapi") else {}
        cached = [re.compile(_PARAM.sub(r"(?P<\1>[^/]+)", re.escape(t)) + "$") for t in paths]
        app.state.path_patterns = cached
    return cached


def _param_name(app: Any, path: str, start: int, end: int) -> str:
    """The name of the path parameter within ``path[start:end]`` (``path`` when none is)."""
    for pattern in _templates(app) if app is not None else ():
        if (found := pattern.match(path)) is not None:
            for name in found.groupdict():
                if found.start(name) < end and found.end(name) > start:
                    return name
    return "path"


def _path_refusal(scope: Scope, app: Any) -> JSONResponse | None:
    raw: bytes | None = scope.get("raw_path")
    if raw is not None and (b"%" in raw or not raw.isascii()):
        try:
            unquote_to_bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return JSONResponse({"detail": "the URL path is not UTF-8 text once decoded"}, 400)
    path: str = scope["path"]
    segments = path.split("/")
    if _CONTROL.search(path) is None and max(map(len, segments)) <= ID_MAX_CHARS:
        return _subject_refusal(path)  # the common case: one search, no loop
    start = 0
    for segment in segments:
        if segment and (problem := id_problem(segment, "a path segment")) is not None:
            name = _param_name(app, path, start, start + len(segment))
            return _validation_error(["path", name], problem, "id_invalid")
        start += len(segment) + 1
    return _subject_refusal(path)


def _subject_refusal(path: str) -> JSONResponse | None:
    subject = _SUBJECT.match(path)
    if subject is not None and (problem := subject_problem(subject.group(1))) is not None:
        return _validation_error(["path", "subject_id"], problem, "subject_id_invalid")
    return None


def _query_problem(value: str) -> str | None:
    if len(value) > MAX_QUERY_VALUE_CHARS:
        return f"a query value is {len(value):,} characters long; the limit is {MAX_QUERY_VALUE_CHARS:,}"
    if (found := _CONTROL.search(value)) is not None:
        return f"a query value holds a control character (U+{ord(found.group()):04X})"
    return None


def _query_refusal(scope: Scope) -> JSONResponse | None:
    query: bytes = scope.get("query_string", b"")
    if not query:
        return None
    try:
        pairs = parse_qsl(
            query.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="strict"
        )
    except UnicodeDecodeError:
        return JSONResponse({"detail": "the query string is not UTF-8 text once decoded"}, 400)
    for name, value in pairs:
        if (problem := _query_problem(value)) is not None:
            return _validation_error(["query", name[:64]], problem, "query_invalid")
    return None


def _body_refusal(body: bytes, content_type: str) -> JSONResponse | None:
    if not _JSON.match(content_type):
        return None
    try:
        if not body.isascii():  # ASCII is UTF-8; the check allocates nothing
            body.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"the JSON body is not UTF-8 text (byte {exc.start:,}: {exc.reason})"
        return _validation_error(["body"], message, "unicode_error")
    if b"\\u0000" in body and _NUL_ESCAPE.search(body) is not None:  # the regex is slow
        message = "the body holds a NUL character (\\u0000); text fields cannot hold one"
        return _validation_error(["body"], message, "nul_character")
    return None


class InputLimits:
    """ASGI middleware refusing hostile input before any route runs (module docstring)."""

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int = MAX_BODY_BYTES, owner: Any = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.owner = owner
        """The FastAPI app, whose OpenAPI paths name the path parameter a refusal is about."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = _path_refusal(scope, self.owner) or _query_refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        headers = {n: v for k, v in scope.get("headers", ()) if (n := k.lower()) in _HEADERS}
        length = headers.get(b"content-length")
        if length is None and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body
            return
        if length is not None:
            if not length.strip().isdigit():
                await JSONResponse({"detail": "Content-Length is not a number"}, 400)(
                    scope, receive, send
                )
                return
            if int(length) > self.max_body_bytes:
                await self._too_large()(scope, receive, send)
                return
        body = await self._read(receive)
        if body is None:
            await self._too_large()(scope, receive, send)
            return
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        refusal = _body_refusal(body, content_type)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        scope[BODY] = body  # the hot path takes it from here (yinsi.api.decisions)
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or None once it passes the limit (the rest is not read)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return b"".join(chunks)
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _too_large(self) -> JSONResponse:
        return JSONResponse(
            {
                "detail": f"the request body is over {self.max_body_bytes:,} bytes "
                "(setting inputs.max_body_bytes, YINSI_INPUTS__MAX_BODY_BYTES)"
            },
            413,
            headers={"Connection": "close"},
        )


_HEADERS = frozenset({b"content-length", b"transfer-encoding", b"content-type"})


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` once, then waits on the real one (disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (later lines of a database error carry the
    statement's parameters), else its class name."""
    text = str(exc)
    return text.splitlines()[0] if text else exc.__class__.__name__


class ServerErrors:
    """ASGI middleware: an unexpected exception becomes a plain 500 and a log record without
    its message's later lines (module docstring). Inside Starlette's own error middleware,
    which then has nothing left to log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:  # the one place every error ends
            route = getattr(scope.get("route"), "path", "an unmatched path")
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error(
                "unhandled %s on %s %s: %s\n%s",
                type(exc).__name__,
                scope.get("method", "?"),
                route,
                first_line(exc),
                frames,
            )
            if not started:
                await JSONResponse({"detail": "internal server error"}, 500)(scope, receive, send)


def install(app: Starlette, *, max_body_bytes: int = MAX_BODY_BYTES) -> None:
    """Put :class:`ServerErrors` and :class:`InputLimits` in front of ``app``'s routes (the
    middleware added after them wraps them, and sees their answers)."""
    app.add_middleware(InputLimits, max_body_bytes=max_body_bytes, owner=app)
    app.add_middleware(ServerErrors)
