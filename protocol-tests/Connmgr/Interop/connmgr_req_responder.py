"""A libzmq (python3-zmq) zhttp req-mode responder for connmgr's ",req" listeners.

usage: connmgr_req_responder.py ENDPOINT
The pattern of upstream's tools/zhttp/reqhandler.py: a REP socket connected to connmgr's
--zclient-req DEALER; each request packet gets one response packet with the same id.
  GET  any  -> 200 "hello <uri>" (+ X-Peer: the request's peer-address)
  POST any  -> 200 "got:<body>"
  GET  /big -> 200 with a 5000-byte body
Prints "ready", then one line per request served. Runs until killed.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Interop"))
import zmq  # noqa: E402
import tnetstring  # noqa: E402

ctx = zmq.Context()
sock = ctx.socket(zmq.REP)
sock.connect(sys.argv[1])
print("ready", flush=True)

while True:
    raw = sock.recv()
    assert raw[:1] == b"T", raw
    req = tnetstring.loads(raw[1:])
    # req mode: one whole request, no session fields
    for field in (b"from", b"seq", b"credits", b"stream", b"more"):
        assert field not in req and field.decode() not in req, req
    get = lambda k: req.get(k.encode(), req.get(k))  # noqa: E731
    method, uri = get("method"), get("uri")
    if method == b"POST":
        body = b"got:" + (get("body") or b"")
    elif uri.endswith(b"/big"):
        body = b"x" * 5000
    else:
        body = b"hello " + uri
    resp = {
        b"id": get("id"),
        b"code": 200,
        b"reason": b"OK",
        b"headers": [[b"Content-Type", b"text/plain"], [b"X-Peer", get("peer-address") or b""]],
        b"body": body,
    }
    sock.send(b"T" + tnetstring.dumps(resp))
    print("served %s %s" % (method.decode(), uri.decode()), flush=True)
