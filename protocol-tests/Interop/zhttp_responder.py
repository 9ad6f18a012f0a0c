"""A libzmq zhttp responder (like upstream's tools/zhttp test handlers) for interop tests.

usage: zhttp_responder.py BASE_PORT IDENTITY COUNT
Connects PULL to BASE, ROUTER (identity IDENTITY) to BASE+1, PUB to BASE+2 on 127.0.0.1.
For each of COUNT initial requests it answers "hello from libzmq" + the request's uri:
through the ROUTER if the request has router-resp, else through the PUB. Prints one line
"served <id>" per request, then exits.
"""
import sys
import zmq
import tnetstring

base, identity, count = int(sys.argv[1]), sys.argv[2].encode(), int(sys.argv[3])
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

poller = zmq.Poller()
poller.register(pull, zmq.POLLIN)
served = 0
while served < count:
    if not poller.poll(20000):
        print("timeout", flush=True)
        sys.exit(1)
    frame = pull.recv()
    assert frame[:1] == b"T", frame
    req = tnetstring.loads(frame[1:])
    sender = req["from"]
    body = b"hello from libzmq " + req["uri"]
    resp = {
        "from": identity,
        "id": req["id"],
        "seq": 0,
        "code": 200,
        "reason": b"OK",
        "headers": [[b"Content-Type", b"text/plain"]],
        "body": body,
    }
    payload = b"T" + tnetstring.dumps(resp)
    if req.get("router-resp"):
        for _ in range(100):
            try:
                router.send_multipart([sender, b"", payload])
                break
            except zmq.ZMQError:
                # Not routable yet right after connect.
                import time
                time.sleep(0.05)
    else:
        pub.send(sender + b" " + payload)
    served += 1
    print("served " + req["id"].decode(), flush=True)
