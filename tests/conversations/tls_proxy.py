"""A TLS front for the test PostgreSQL (whose pgserver build has no SSL): it answers the
protocol's SSLRequest with 'S', completes the TLS handshake with the given certificate, and
relays the decrypted stream to the plain server, as RDS's TLS endpoint would look to a client."""

from __future__ import annotations

import socket
import ssl
import struct
import threading

SSL_REQUEST = struct.pack("!II", 8, 80877103)


class TLSProxy:
    def __init__(self, backend_port: int, cert: str, key: str) -> None:
        self.backend_port = backend_port
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.handshakes = 0
        self.refused = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            if client.recv(8, socket.MSG_WAITALL) != SSL_REQUEST:
                self.refused += 1  # plain connections are refused, like rds.force_ssl
                client.close()
                return
            client.sendall(b"S")
            secure = self.context.wrap_socket(client, server_side=True)
            self.handshakes += 1
        except (OSError, ssl.SSLError):
            client.close()
            return
        backend = socket.create_connection(("127.0.0.1", self.backend_port))
        threading.Thread(target=self._pump, args=(backend, secure), daemon=True).start()
        self._pump(secure, backend)

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except (OSError, ssl.SSLError):
            pass
        finally:
            for end in (source, target):
                try:
                    end.close()
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()
