"""The control API: gRPC servicers over a Unix socket (proto/tobs/v1).

    server.py   the socket (dial first, stale removal, modes) and the grpc.aio server
    service.py  the Tobs servicer: one or two lines per RPC
    local.py    the logic, speaking protobuf, over the daemon's service facade
    helpers.py  conversions to and from protobuf
    errors.py   tobsd errors -> gRPC status codes

Only tobsd.app imports this package.
"""
