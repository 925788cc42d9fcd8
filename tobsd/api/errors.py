"""tobsd's errors -> gRPC status codes, at the API boundary. Every message
is one a person can act on; none holds a secret (the errors never do)."""
from __future__ import annotations

import functools
import logging

import grpc

from tobsd.core.errors import (AlreadyExists, ChatUnavailable, FailedPrecondition, InvalidArgument,
                               NeedsLogin, NotFound)

log = logging.getLogger(__name__)

CODES = [
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
    (NeedsLogin, grpc.StatusCode.FAILED_PRECONDITION),
    (ChatUnavailable, grpc.StatusCode.NOT_FOUND),
    (ConnectionError, grpc.StatusCode.UNAVAILABLE),
]


def code_for(exc: BaseException) -> grpc.StatusCode:
    for kind, code in CODES:
        if isinstance(exc, kind):
            return code
    return grpc.StatusCode.INTERNAL


def mapped(method):
    """Wrap a servicer method: a tobsd error ends the call with its status
    code; anything unexpected is logged and answered INTERNAL."""
    @functools.wraps(method)
    async def call(self, request, context: grpc.aio.ServicerContext):
        try:
            return await method(self, request, context)
        except (grpc.aio.AbortError, NotImplementedError):
            raise
        except Exception as exc:
            code = code_for(exc)
            if code is grpc.StatusCode.INTERNAL:
                log.exception("%s failed", method.__name__)
                message = f"internal error in tobsd ({type(exc).__name__}); see its log"
            else:
                message = str(exc)
            await context.abort(code, message)
    return call
