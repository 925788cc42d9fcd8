"""The control API's server: gRPC on the daemon's Unix socket, with
grpc.health.v1 and server reflection so generic gRPC tools work.

The server runs on threads of its own (grpc's thread pool), not on the
daemon's event loop: GetStatus and GetVersion are answered there at once
however busy the loop is; the other methods hand their work to the loop."""
from __future__ import annotations

import asyncio
import logging
from concurrent import futures
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from tobs.v1 import SERVICE_NAME, pb_grpc
from tobsd.service import DaemonService

from . import socket as sock
from .local import LocalTobs
from .service import Bridge, TobsServicer

log = logging.getLogger(__name__)

STOP_GRACE_S = 1.0
THREADS = 16          # concurrent calls; an open WatchEvents or Login holds one


class ApiServer:
    def __init__(self, path: Path, service: DaemonService, *, group: str | None = None):
        self.path = Path(path)
        self.group = group          # [daemon] socket_group: who besides the owner may connect
        self.service = service
        self.server: grpc.Server | None = None
        self.health = health.HealthServicer()

    async def start(self) -> None:
        """Listen on the socket. Raises SocketInUse when a daemon answers there."""
        sock.prepare(self.path, self.group)
        bridge = Bridge(asyncio.get_running_loop())
        server = grpc.server(futures.ThreadPoolExecutor(THREADS, thread_name_prefix="tobsd-api"),
                             maximum_concurrent_rpcs=THREADS * 4)
        pb_grpc.add_TobsServicer_to_server(TobsServicer(LocalTobs(self.service), bridge), server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        reflection.enable_server_reflection(
            [SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
             reflection.SERVICE_NAME], server)
        server.add_insecure_port(f"unix:{self.path}")
        sock.restrict(self.path, self.group)
        server.start()
        self.health.set("", health_pb2.HealthCheckResponse.SERVING)
        self.health.set(SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
        self.server = server
        log.info("control API listening on %s", self.path)

    async def stop(self) -> None:
        if self.server is None:
            return
        self.health.enter_graceful_shutdown()
        event = self.server.stop(STOP_GRACE_S)
        await asyncio.to_thread(event.wait)     # the loop keeps serving the calls that finish
        self.server = None
        sock.remove(self.path)
