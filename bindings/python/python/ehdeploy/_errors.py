"""The exceptions: one class per stable error code, all under :class:`Error`."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Type

from ._model import Location


class Error(Exception):
    """An operation gave no answer. ``code`` is the stable code that every binding reports
    (``docs/bindings.md``); ``help`` says what to do; ``locations`` say where."""

    code: str
    message: str
    help: Optional[str]
    locations: List[Location]
    #: The error's answer exactly as the core wrote it (``{"error": {...}}``), when it came
    #: from the core.
    error_json: Optional[str]

    def __init__(
        self,
        code: str,
        message: str,
        help: Optional[str] = None,
        locations: Optional[List[Location]] = None,
        error_json: Optional[str] = None,
    ) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message
        self.help = help
        self.locations = list(locations or [])
        self.error_json = error_json

    def to_dict(self) -> Dict[str, Any]:
        """The error as the core's JSON gives it (``{"code": …, "message": …, …}``)."""
        out: Dict[str, Any] = {"code": self.code, "message": self.message}
        if self.help is not None:
            out["help"] = self.help
        if self.locations:
            out["locations"] = [loc.to_dict() for loc in self.locations]
        return out


class InvalidRequestError(Error, ValueError):
    """``invalid-request``: the request is not the operation's (unknown field, wrong type)."""


class UnknownOperationError(Error, LookupError):
    """``unknown-operation``: no operation has that name."""


class IoError(Error, OSError):
    """``io``: a file could not be read or written."""


class UsageError(Error, ValueError):
    """``usage``: the request asks for something impossible (unknown environment…)."""


class PanicError(Error, RuntimeError):
    """``panic``: a bug in ehdeploy; the interpreter goes on."""


class InvalidArgumentError(Error, TypeError):
    """``invalid-argument``: an argument the binding cannot pass on."""


class AuditLogError(Error):
    """``audit-log``: a release's audit log does not verify; nothing was recorded."""


_BY_CODE: Dict[str, Type[Error]] = {
    "invalid-request": InvalidRequestError,
    "unknown-operation": UnknownOperationError,
    "io": IoError,
    "usage": UsageError,
    "panic": PanicError,
    "invalid-argument": InvalidArgumentError,
    "audit-log": AuditLogError,
}


def error_from_json(text: str) -> Error:
    """The exception for an error answer (``{"error": {...}}``)."""
    body = json.loads(text)["error"]
    cls = _BY_CODE.get(body["code"], Error)
    return cls(
        body["code"],
        body["message"],
        body.get("help"),
        [Location.from_dict(loc) for loc in body.get("locations", [])],
        text,
    )
