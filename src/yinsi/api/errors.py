"""Domain and storage errors mapped to HTTP answers, so no known error becomes a 500.

UnknownName             422 {"detail": {"kind", "name", "close", "message"}}
NotSingleUse            422 {"detail": {"kind": "not_single_use", "name", "message"}}
InvalidIdNumber         422 {"detail": {"kind": "id_number", "problem", "message"}} (masked)
DeclarationError        422 {"detail": {"problems": ["FILE:LINE:COL: message", …]}}
PolicyVersionConflict   409 {"detail": message}
StorageNotMigrated      503 {"detail": message (says to run `yinsi db upgrade`)}
NoDataMap               503 {"detail": "rights requests are not configured: …"} (serve --map)
Database unavailable    503 {"detail": "数据库暂时不可用…"} + Retry-After: a statement or lock
                        timeout (``settings.database``), a lost connection, an exhausted
                        pool (SQLAlchemy ``OperationalError``, ``TimeoutError``, a
                        ``DBAPIError`` that invalidated its connection, a loaded DB-API
                        driver's own ``OperationalError``); never the SQL

Rights requests (``/v1/requests``):

InvalidRequest          422 {"detail": message} (a correction's value is never in it)
InvalidTransition       409 {"detail": message (the status now and what may follow)}
RequestConflict         409 {"detail": message (someone else moved it; read it again)}
VerificationFailed      403 {"detail": {"message", "remaining"}} (0 remaining: locked)
CodeLimited             429 {"detail": {"message", "remaining", "retry_after_s"}} + Retry-After
RequestNotFound         404 {"detail": message}
ConnectorError          502 {"detail": message (which store of the app, and why)}

A body that does not fit its schema keeps FastAPI's standard 422 shape,
``{"detail": [{"loc": [...], "msg": ..., "type": ...}]}``, whose ``loc`` names the field;
the ``input`` and ``ctx`` FastAPI would add are dropped: a 422 never echoes what was sent
(a misspelt key of the registration check would echo the whole ID number).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from yinsi.consent import InvalidIdNumber, NotSingleUse, UnknownName
from yinsi.declaration import DeclarationError
from yinsi.rights.ports import ConnectorError
from yinsi.rights.requests import InvalidRequest, InvalidTransition
from yinsi.rights.verification import CodeLimited, VerificationFailed
from yinsi.services.errors import (
    NoDataMap,
    PolicyVersionConflict,
    RequestConflict,
    RequestNotFound,
    StorageNotMigrated,
    is_unavailable,
    unavailable_errors,
)


def validation_detail(exc: RequestValidationError) -> list[dict[str, object]]:
    """The errors of ``exc`` as ``{"type", "loc", "msg"}`` only: never the input sent."""
    return [
        {
            "type": str(e.get("type", "")),
            "loc": list(e.get("loc", ())),
            "msg": str(e.get("msg", "")),
        }
        for e in exc.errors()
    ]


async def _invalid_body(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": validation_detail(exc)}, status_code=422)


async def _unknown_name(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UnknownName)
    detail = {"kind": exc.kind, "name": exc.name, "close": list(exc.close), "message": str(exc)}
    return JSONResponse({"detail": detail}, status_code=422)


async def _not_single_use(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NotSingleUse)
    detail = {"kind": "not_single_use", "name": exc.consent_id, "message": str(exc)}
    return JSONResponse({"detail": detail}, status_code=422)


async def _invalid_id_number(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidIdNumber)
    detail = {"kind": "id_number", "problem": exc.problem, "message": str(exc)}
    return JSONResponse({"detail": detail}, status_code=422)


async def _invalid_declaration(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DeclarationError)
    problems = [str(p) for p in exc.problems if p.severity == "error"]
    return JSONResponse({"detail": {"problems": problems}}, status_code=422)


async def _conflict(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=409)


NOT_CONFIGURED = "rights requests are not configured: start yinsi serve with --map"


async def _no_data_map(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": NOT_CONFIGURED}, status_code=503)


async def _not_migrated(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=503)


async def _invalid_request(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=422)


async def _not_found(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=404)


async def _verification_failed(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, VerificationFailed)
    detail = {"message": str(exc), "remaining": exc.remaining}
    return JSONResponse({"detail": detail}, status_code=403)


async def _code_limited(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CodeLimited)
    detail = {"message": str(exc), "remaining": exc.remaining, "retry_after_s": exc.retry_after}
    headers = {} if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}
    return JSONResponse({"detail": detail}, status_code=429, headers=headers)


async def _store_unreachable(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=502)


DATABASE_UNAVAILABLE = (
    "数据库暂时不可用（超时或连接中断），请稍后重试。"
    " The database is temporarily unavailable (a timeout or a lost connection); retry later."
)
RETRY_AFTER_S = 2


async def _database_unavailable(_: Request, exc: Exception) -> JSONResponse:
    if not is_unavailable(exc):
        raise exc  # a programming or data error stays a 500 (logged by the server)
    return JSONResponse(
        {"detail": DATABASE_UNAVAILABLE},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_body)
    app.add_exception_handler(UnknownName, _unknown_name)
    app.add_exception_handler(NotSingleUse, _not_single_use)
    app.add_exception_handler(InvalidIdNumber, _invalid_id_number)
    app.add_exception_handler(DeclarationError, _invalid_declaration)
    app.add_exception_handler(PolicyVersionConflict, _conflict)
    app.add_exception_handler(StorageNotMigrated, _not_migrated)
    app.add_exception_handler(NoDataMap, _no_data_map)
    app.add_exception_handler(InvalidRequest, _invalid_request)
    app.add_exception_handler(InvalidTransition, _conflict)
    app.add_exception_handler(RequestConflict, _conflict)
    app.add_exception_handler(VerificationFailed, _verification_failed)
    app.add_exception_handler(CodeLimited, _code_limited)
    app.add_exception_handler(RequestNotFound, _not_found)
    app.add_exception_handler(ConnectorError, _store_unreachable)
    for error in unavailable_errors():
        app.add_exception_handler(error, _database_unavailable)
