"""Connects a libzmq SUB to a stats PUB and prints each message it decodes, one line each:
'<type> <json of the fields>' (T bodies decoded as TNetString, J bodies as JSON), until it
has printed COUNT messages or TIMEOUT seconds pass. usage: stats_sub.py SPEC COUNT [TIMEOUT]"""
import json
import os
import sys
import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Interop"))
import tnetstring  # noqa: E402


def plain(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return v


spec, count = sys.argv[1], int(sys.argv[2])
timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 20.0
ctx = zmq.Context()
sock = ctx.socket(zmq.SUB)
sock.setsockopt(zmq.SUBSCRIBE, b"")
sock.connect(spec)
print("ready", flush=True)
seen = 0
while seen < count:
    if not sock.poll(int(timeout * 1000)):
        print("timeout", flush=True)
        sys.exit(1)
    raw = sock.recv()
    at = raw.find(b" ")
    mtype = raw[:at].decode("ascii")
    body = raw[at + 1 :]
    if body[:1] == b"T":
        fields = plain(tnetstring.loads(body[1:]))
    elif body[:1] == b"J":
        fields = json.loads(body[1:])
    else:
        print("bad " + repr(raw), flush=True)
        continue
    print("%s %s" % (mtype, json.dumps(fields, sort_keys=True)), flush=True)
    seen += 1
sock.close(0)
ctx.term()
