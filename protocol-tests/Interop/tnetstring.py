"""Minimal TNetString codec for the interop peers (bytes in, python values out)."""


def dumps(value):
    if value is None:
        return b"0:~"
    if isinstance(value, bool):
        data, tag = (b"true" if value else b"false"), b"!"
    elif isinstance(value, int):
        data, tag = str(value).encode(), b"#"
    elif isinstance(value, float):
        data, tag = repr(value).encode(), b"^"
    elif isinstance(value, str):
        data, tag = value.encode("utf-8"), b","
    elif isinstance(value, (bytes, bytearray)):
        data, tag = bytes(value), b","
    elif isinstance(value, dict):
        data, tag = b"".join(dumps(k) + dumps(v) for k, v in value.items()), b"}"
    elif isinstance(value, (list, tuple)):
        data, tag = b"".join(dumps(v) for v in value), b"]"
    else:
        raise TypeError(type(value))
    return str(len(data)).encode() + b":" + data + tag


def loads(data):
    value, rest = _parse(data)
    return value


def _parse(data):
    colon = data.index(b":")
    size = int(data[:colon])
    body = data[colon + 1 : colon + 1 + size]
    tag = data[colon + 1 + size : colon + 2 + size]
    rest = data[colon + 2 + size :]
    if tag == b",":
        return body, rest
    if tag == b"#":
        return int(body), rest
    if tag == b"^":
        return float(body), rest
    if tag == b"!":
        return body == b"true", rest
    if tag == b"~":
        return None, rest
    if tag == b"]":
        items = []
        while body:
            v, body = _parse(body)
            items.append(v)
        return items, rest
    if tag == b"}":
        d = {}
        while body:
            k, body = _parse(body)
            v, body = _parse(body)
            d[k.decode("utf-8")] = v
        return d, rest
    raise ValueError("bad tag %r" % tag)
