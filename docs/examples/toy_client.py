#!/usr/bin/env python3
"""A dmnoti stdio testee shim around a toy DM client: copy it, replace toy_deliver with a call into
your client, and `dmnoti run --iut profile.yaml` can test it. Protocol: docs/testee-protocol.md."""
import hashlib, hmac, json, sys

accounts = {}

def toy_deliver(content_type, msg):
    """The toy client: 1.3 only, no checks but the digest. Yours goes here."""
    if content_type != "application/vnd.syncml.dm.notification" or len(msg) < 44:
        return {"outcome": "ignored", "reason": "not a 1.3 notification"}
    header, options, digest = msg[:12], msg[12:-32], msg[-32:]
    opts, i = {}, 0
    while i + 2 <= len(options):
        word = int.from_bytes(options[i:i + 2], "big"); n, ln = word >> 12, word & 0xFFF
        opts.setdefault(n, []).append(options[i + 2:i + 2 + ln]); i += 2 + ln
    server_id = opts.get(1, [b""])[0].decode("utf-8", "replace")
    secret = accounts.get(server_id)
    if secret is None or not hmac.compare_digest(hashlib.sha256(secret + b":" + header + b":" + options).digest(), digest):
        return {"outcome": "ignored", "reason": "unknown server or bad digest"}
    sid = "%X" % int.from_bytes(header[6:8], "big")
    return {"outcome": "session", "session": {"server_id": server_id, "session_id": sid,
            "requested_mo": [int.from_bytes(v, "big") for v in opts.get(3, [])],
            "package1": "<SyncML><SyncHdr><SessionID>%s</SessionID></SyncHdr></SyncML>" % sid}}

for line in sys.stdin:
    req = json.loads(line); op = req.get("op"); out = {"id": req.get("id")}
    if op == "hello": out.update(ok=True, role="client", name="toy-client", version="0.1", protocol=1)
    elif op == "provision": accounts.clear(); accounts.update({a["server_id"]: bytes.fromhex(a.get("secret", "")) for a in req["accounts"]}); out["ok"] = True
    elif op == "clock": out["ok"] = True
    elif op == "deliver": out.update(toy_deliver(req["content_type"], bytes.fromhex(req["message"])))
    elif op == "shutdown": print(json.dumps(dict(out, ok=True)), flush=True); break
    else: out.update(ok=False, error="unknown op %r" % op)
    print(json.dumps(out), flush=True)
