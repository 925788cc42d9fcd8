"""The control API's server: grpc.aio on the daemon's Unix socket, with
grpc.health.v1 and server reflection so generic gRPC tools work."""
from __future__ import annotations

import logging
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

from tobs.v1 import SERVICE_NAME, pb_grpc
from tobsd.service import DaemonService

from . import socket as sock
from .local import LocalTobs
from .service import TobsServicer

log = logging.getLogger(__name__)

STOP_GRACE_S = 1.0


class ApiServer:
    def __init__(self, path: Path, service: DaemonService):
        self.path = Path(path)
        self.service = service
        self.server: grpc.aio.Server | None = None
        self.health = HealthServicer()

    async def start(self) -> None:
        """Listen on the socket. Raises SocketInUse when a daemon answers there."""
        sock.prepare(self.path)
        server = grpc.aio.server()
        pb_grpc.add_TobsServicer_to_server(TobsServicer(LocalTobs(self.service)), server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        reflection.enable_server_reflection(
            [SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
             reflection.SERVICE_NAME], server)
        server.add_insecure_port(f"unix:{self.path}")
        sock.restrict(self.path)
        await server.start()
        await self.health.set("", health_pb2.HealthCheckResponse.SERVING)
        await self.health.set(SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
        self.server = server
        log.info("control API listening on %s", self.path)

    async def stop(self) -> None:
        if self.server is None:
            return
        await self.health.enter_graceful_shutdown()
        await self.server.stop(STOP_GRACE_S)
        self.server = None
        sock.remove(self.path)
