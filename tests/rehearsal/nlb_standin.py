"""A stand-in for the gateway NLB's listeners (R-API-2): a TCP relay on a loopback port to one
rehearsed worker, so the API template's integration URIs (http://${GatewayNlbDnsName}:${ZoneAPort}/…)
and the Lambdas' CAKAP_LLM_URLS resolve to a real address. The ALB behind it, its path rules
and health checks are not rehearsed (the relay goes straight to the worker)."""

from __future__ import annotations

import socket
import socketserver
import threading


class Relay(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        super().__init__(("127.0.0.1", 0), _Pipe)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _Pipe(socketserver.BaseRequestHandler):
    server: Relay

    def handle(self) -> None:
        try:
            upstream = socket.create_connection(self.server.target, timeout=10)
        except OSError:
            return
        upstream.settimeout(None)

        def pump(source: socket.socket, sink: socket.socket) -> None:
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
            except OSError:
                pass
            finally:
                try:
                    sink.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        back = threading.Thread(target=pump, args=(upstream, self.request), daemon=True)
        back.start()
        pump(self.request, upstream)
        back.join()
        upstream.close()
