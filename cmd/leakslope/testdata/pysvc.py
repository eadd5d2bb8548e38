"""A non-Go HTTP service for leakslope's CLI tests, watched by pid.

/leak keeps 16 KiB per request, /clean keeps nothing, /fdleak opens a file
and never closes it. Listens on 127.0.0.1 on a free port and prints
"http://ADDR" on its first line of output.
"""
import http.server
import os
import sys

kept = []
files = []


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one thread per connection
    # Buffer the response so headers and body leave in one segment: written
    # apart, Nagle and delayed ACKs cap a connection at ~25 requests/s.
    wbufsize = 64 << 10

    def do_GET(self):
        if self.path == "/leak":
            kept.append(bytearray(16384))
        elif self.path == "/fdleak":
            files.append(open(os.devnull, "rb"))
        elif self.path != "/clean":
            self.send_error(404)
            return
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print("http://%s:%d" % server.server_address, flush=True)
server.serve_forever()
