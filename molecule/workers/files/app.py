"""headroom.memory workers test: a WSGI app whose worker keeps 1 MiB more per request, up to 30 MiB; a request takes
0.2 s, so a bounded load lasts while the role measures."""

import time

CACHE = []


def app(environ, start_response):
    if len(CACHE) < 30:
        CACHE.append(bytes([len(CACHE) + 1]) * 1048576)
    time.sleep(0.2)
    body = ("%d\n" % len(CACHE)).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
