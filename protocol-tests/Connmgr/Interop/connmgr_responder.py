"""A libzmq (python3-zmq) zhttp responder that drives connmgr's server side in interop tests.

usage: connmgr_responder.py BASE_PORT IDENTITY
Connects PULL to BASE, ROUTER (identity IDENTITY) to BASE+1, PUB to BASE+2 on 127.0.0.1.
  GET  /stream  -> 200 in two packets ("part1\n", more), waits for connmgr's credit, then "part2\n"
  GET  other    -> 200 "hello <uri>" in one packet, through the PUB (old-style, no router-resp use)
  POST any      -> grants credits, collects the body packets, answers "got:<body>" via the ROUTER
  ws://...      -> accepts (101), echoes data packets (content-type, more) prefixed "echo:" on the
                   first, answers pings with pongs, answers a close with the same code and "done"
Prints "ready", then one line per request served. Runs until killed.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Interop"))
import zmq  # noqa: E402
import tnetstring  # noqa: E402

base, identity = int(sys.argv[1]), sys.argv[2].encode()
ctx = zmq.Context()
pull = ctx.socket(zmq.PULL)
pull.connect("tcp://127.0.0.1:%d" % base)
router = ctx.socket(zmq.ROUTER)
router.setsockopt(zmq.IDENTITY, identity)
router.setsockopt(zmq.ROUTER_MANDATORY, 1)
router.connect("tcp://127.0.0.1:%d" % (base + 1))
pub = ctx.socket(zmq.PUB)
pub.connect("tcp://127.0.0.1:%d" % (base + 2))
print("ready", flush=True)


class Session:
    def __init__(self, req):
        self.to = req["from"]
        self.id = req["id"]
        self.seq = 0
        self.in_seq = 1

    def send(self, fields, via_router=True):
        p = {"from": identity, "id": self.id, "seq": self.seq, "ext": {"multi": True}}
        p.update(fields)
        self.seq += 1
        payload = b"T" + tnetstring.dumps(p)
        if not via_router:
            pub.send(self.to + b" " + payload)
            return
        for _ in range(100):
            try:
                router.send_multipart([self.to, b"", payload])
                return
            except zmq.ZMQError:
                time.sleep(0.05)  # not routable yet right after connect
        raise RuntimeError("connmgr unreachable")

    def recv(self):
        # Next packet of this session from the ROUTER (frames: [routing-id, "", payload]).
        while True:
            if not router.poll(10000):
                raise RuntimeError("timed out waiting for connmgr")
            frames = router.recv_multipart()
            p = tnetstring.loads(frames[frames.index(b"") + 1][1:])
            if p.get("id") != self.id:
                continue
            assert p.get("seq") == self.in_seq, (p, self.in_seq)
            self.in_seq += 1
            return p


while True:
    frame = pull.recv()
    assert frame[:1] == b"T", frame
    req = tnetstring.loads(frame[1:])
    s = Session(req)
    method, uri = req["method"], req["uri"]
    if uri.startswith(b"ws://"):
        assert "stream" not in req, req
        s.send({"code": 101, "reason": b"Switching Protocols", "headers": [[b"Sec-WebSocket-Protocol", b"echo"]], "credits": 100000})
        first = True
        while True:
            p = s.recv()
            kind = p.get("type")
            if kind is None:
                body = p.get("body", b"")
                s.send({"content-type": p.get("content-type", b"text"), "body": (b"echo:" if first else b"") + body, "more": bool(p.get("more"))})
                first = not p.get("more")
            elif kind == b"ping":
                s.send({"type": b"pong", "body": p.get("body", b"")})
            elif kind == b"close":
                s.send({"type": b"close", "code": p.get("code", 1000), "body": b"done"})
                break
        print("served WS %s" % uri.decode(), flush=True)
        continue
    if method == b"POST":
        s.send({"type": b"credit", "credits": 100000})
        body = b""
        while True:
            p = s.recv()
            body += p.get("body", b"")
            if not p.get("more"):
                break
        s.send({"code": 200, "reason": b"OK", "headers": [[b"Content-Type", b"text/plain"]], "body": b"got:" + body})
    elif uri.endswith(b"/stream"):
        s.send({"code": 200, "reason": b"OK", "headers": [[b"Content-Type", b"text/plain"]], "body": b"part1\n", "more": True, "credits": 0})
        credit = s.recv()
        assert credit.get("type") == b"credit" and credit.get("credits") == 6, credit
        s.send({"body": b"part2\n"})
    else:
        s.send({"code": 200, "reason": b"OK", "headers": [[b"Content-Type", b"text/plain"]], "body": b"hello " + uri}, via_router=False)
    print("served %s %s" % (method.decode(), uri.decode()), flush=True)
