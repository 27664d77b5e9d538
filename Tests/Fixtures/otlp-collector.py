#!/usr/bin/env python3
"""An OTLP/HTTP logs collector for the platform's tests (PlatformServerTests'
OTLPExportTests): a small http.server on loopback that decodes each POST /v1/logs body
with opentelemetry-proto's generated classes (ExportLogsServiceRequest) and appends one
JSON line per log record to --out: its resource attributes, scope, body, attributes,
times, and the number of the request that carried it.

--mode ok answers 200 with an ExportLogsServiceResponse; --mode hang reads the request
and never answers (a collector that accepts and hangs). A request that is not
application/x-protobuf or does not decode is answered 400 and recorded nowhere.
"""
import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2


def plain(value):
    """An AnyValue as the Python value it holds (None when unset)."""
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def attributes(pairs):
    return {pair.key: plain(pair.value) for pair in pairs}


class Collector(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, out, mode):
        super().__init__(address, Handler)
        self.out = out
        self.mode = mode
        self.lock = threading.Lock()
        self.requests = 0


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.server.mode == "hang":
            time.sleep(3600)
            return
        request = logs_service_pb2.ExportLogsServiceRequest()
        try:
            if self.path != "/v1/logs" or self.headers.get("Content-Type") != "application/x-protobuf":
                raise ValueError(f"{self.path} {self.headers.get('Content-Type')}")
            request.ParseFromString(body)
        except Exception as error:  # noqa: BLE001 - any bad request is a 400 to the platform
            self.answer(400, str(error).encode())
            return
        with self.server.lock:
            self.server.requests += 1
            number = self.server.requests
            lines = []
            for resource_logs in request.resource_logs:
                resource = attributes(resource_logs.resource.attributes)
                for scope_logs in resource_logs.scope_logs:
                    for record in scope_logs.log_records:
                        lines.append(json.dumps({
                            "request": number,
                            "resource": resource,
                            "scope": scope_logs.scope.name,
                            "body": plain(record.body),
                            "attributes": attributes(record.attributes),
                            "time": record.time_unix_nano,
                            "observed": record.observed_time_unix_nano,
                        }))
            with open(self.server.out, "a", encoding="utf-8") as out:
                out.write("".join(line + "\n" for line in lines))
        answer = logs_service_pb2.ExportLogsServiceResponse().SerializeToString()
        self.answer(200, answer, "application/x-protobuf")

    def answer(self, status, body, content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--mode", choices=["ok", "hang"], default="ok")
    options = parser.parse_args()
    server = Collector(("127.0.0.1", options.port), options.out, options.mode)
    with open(options.port_file + ".tmp", "w", encoding="utf-8") as port_file:
        port_file.write(f"{server.server_address[1]}\n")

    os.replace(options.port_file + ".tmp", options.port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
