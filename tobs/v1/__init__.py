"""Generated from proto/tobs/v1/tobs.proto by proto/generate.py; do not edit
the *_pb2* modules by hand.

API_VERSION is the version this copy of the API speaks (tobs.v1.ApiVersion).
"""
from tobs.v1 import tobs_pb2 as pb
from tobs.v1 import tobs_pb2_grpc as pb_grpc

API_VERSION = pb.API_VERSION_1
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["Tobs"].full_name

__all__ = ["API_VERSION", "SERVICE_NAME", "pb", "pb_grpc"]
