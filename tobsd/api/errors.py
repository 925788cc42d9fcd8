"""tobsd's errors -> gRPC status codes, at the API boundary. Every message
is one a person can act on; none holds a secret (the errors never do)."""
from __future__ import annotations

import functools
import logging

import grpc

from tobsd.core.errors import (AlreadyExists, ChatUnavailable, FailedPrecondition, InvalidArgument,
                               NeedsLogin, NotFound, TobsError)

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


def abort(context: grpc.ServicerContext, exc: BaseException, method: str):
    """End the call with the error's status code; anything unexpected is
    logged and answered INTERNAL."""
    code = code_for(exc)
    if code is grpc.StatusCode.INTERNAL and not isinstance(exc, TobsError):
        log.error("%s failed", method, exc_info=exc)
        message = f"internal error in tobsd ({type(exc).__name__}); see its log"
    else:
        message = str(exc)
    context.abort(code, message)


def mapped(method):
    """Wrap a servicer method (unary or a generator) so that errors become status codes."""
    if _is_generator(method):
        @functools.wraps(method)
        def stream(self, request, context):
            try:
                yield from method(self, request, context)
            except Exception as exc:
                if isinstance(exc, grpc.RpcError) or context.code() is not None:
                    raise
                abort(context, exc, method.__name__)
        return stream

    @functools.wraps(method)
    def call(self, request, context):
        try:
            return method(self, request, context)
        except Exception as exc:
            if isinstance(exc, grpc.RpcError) or context.code() is not None:
                raise
            abort(context, exc, method.__name__)
    return call


def _is_generator(fn) -> bool:
    import inspect
    return inspect.isgeneratorfunction(fn)
