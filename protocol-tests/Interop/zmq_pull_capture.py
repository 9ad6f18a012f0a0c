"""Binds a libzmq PULL on 127.0.0.1:PORT, receives one message and prints it as JSON
(TNetString decoded; byte strings shown as text). usage: zmq_pull_capture.py PORT"""
import json
import sys
import zmq
import tnetstring


def plain(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return v


ctx = zmq.Context()
pull = ctx.socket(zmq.PULL)
pull.bind("tcp://127.0.0.1:%d" % int(sys.argv[1]))
print("ready", flush=True)
if not pull.poll(20000):
    print("timeout", flush=True)
    sys.exit(1)
frame = pull.recv()
print("item " + json.dumps(plain(tnetstring.loads(frame)), sort_keys=True), flush=True)
