"""headroom.memory fleet test: a WSGI app whose worker keeps 8 MiB more per request, up to 48 MiB (an application
cache), each request taking 0.1 s; nine of its workers grown do not fit their 384 MiB container."""

import time

CACHE = []


def app(environ, start_response):
    if len(CACHE) < 6:
        CACHE.append(bytes([len(CACHE) + 1]) * (8 << 20))
    time.sleep(0.1)
    body = ("%d\n" % len(CACHE)).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
