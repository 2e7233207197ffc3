#!/usr/bin/python3
"""An independent RADIUS client for the interop tests: pyrad encodes and decodes, pycryptodome
does MD4/DES, so MS-CHAPv2 and the RFC 2548 key encryption are checked against code that is not
ours. pyrad 2.1 cannot add Message-Authenticator, so it is patched into the encoded packet here.
Usage: pyrad_client.py '<json>'; prints one JSON line: {"code": n|null, ...}."""
import hashlib, hmac, json, os, socket, struct, sys
from pyrad.client import Client
from pyrad.dictionary import Dictionary
from pyrad import packet as rp
from Cryptodome.Hash import MD4
from Cryptodome.Cipher import DES

a = json.loads(sys.argv[1])
secret = a["secret"].encode()
here = os.path.dirname(os.path.abspath(__file__))
client = Client(server=a.get("server", "127.0.0.1"), secret=secret, dict=Dictionary(os.path.join(here, "dictionary.pyrad")))


def add_message_authenticator(raw):
    """Finds the zeroed Message-Authenticator and fills in HMAC-MD5 over the packet."""
    i = 20
    while i < len(raw):
        t, l = raw[i], raw[i + 1]
        if t == 80:
            mac = hmac.new(secret, raw, hashlib.md5).digest()
            return raw[: i + 2] + mac + raw[i + 18 :]
        i += l
    return raw


def send(req, port):
    raw = req.RequestPacket()
    if a.get("ma"):
        raw = add_message_authenticator(raw)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.get("bind", "127.0.0.1"), 0))
    s.settimeout(a.get("timeout", 2.0))
    s.sendto(raw, (a.get("server", "127.0.0.1"), port))
    try:
        data, _ = s.recvfrom(4096)
    except socket.timeout:
        return None
    reply = client.CreatePacket(packet=data)
    if not req.VerifyReply(reply, data):
        raise SystemExit(json.dumps({"error": "reply authenticator does not verify"}))
    reply.wire_length = len(data)
    return reply


def des_key(k7):
    bits = int.from_bytes(k7, "big")
    return bytes(((bits >> (49 - 7 * i)) & 0x7F) << 1 for i in range(8))


def nt_response(challenge, nt_hash):
    z = nt_hash + b"\0" * 5
    return b"".join(DES.new(des_key(z[i : i + 7]), DES.MODE_ECB).encrypt(challenge) for i in (0, 7, 14))


def mppe_decrypt(value, authenticator):
    salt, data = value[:2], value[2:]
    out, prev = b"", authenticator + salt
    for i in range(0, len(data), 16):
        b = hashlib.md5(secret + prev).digest()
        out += bytes(x ^ y for x, y in zip(data[i : i + 16], b))
        prev = data[i : i + 16]
    return out[1 : 1 + out[0]]


result = {}
if a["mode"] == "acct":
    req = client.CreateAcctPacket(User_Name=a["user"])
    req["Acct-Status-Type"] = a["status"]
    req["Acct-Session-Id"] = a["session"]
    req["Acct-Input-Octets"] = 1000
    req["Acct-Output-Octets"] = 2000
    req["Framed-IP-Address"] = "10.9.8.7"
    for c in a.get("classes", []):  # echoed from the Access-Accept, as a NAS does
        req.AddAttribute("Class", c.encode())
    reply = send(req, a["port"])
else:
    req = client.CreateAuthPacket(code=rp.AccessRequest, User_Name=a["user"])
    req["NAS-Port"] = 7
    for name, value in a.get("attrs", {}).items():  # e.g. {"Service-Type": "Call-Check"}
        req[name] = value
    if a.get("ma"):
        req["Message-Authenticator"] = b"\0" * 16
    if "state" in a:  # the answer to an Access-Challenge carries its State back
        req["State"] = bytes.fromhex(a["state"])
    for i in range(a.get("proxy_states", 0)):  # as a chain of proxies adds them, 253 bytes each
        req.AddAttribute("Proxy-State", bytes([65 + i % 26]) * 253)
    if a["mode"] == "pap":
        req["User-Password"] = req.PwCrypt(a["password"])
        reply = send(req, a["port"])
    else:  # mschapv2, RFC 2759 with an independent MD4/DES
        auth_challenge, peer_challenge = os.urandom(16), os.urandom(16)
        nt_hash = MD4.new(a["password"].encode("utf-16-le")).digest()
        challenge = hashlib.sha1(peer_challenge + auth_challenge + a["user"].encode()).digest()[:8]
        response = nt_response(challenge, nt_hash)
        req["MS-CHAP-Challenge"] = auth_challenge
        req["MS-CHAP2-Response"] = bytes([7, 0]) + peer_challenge + b"\0" * 8 + response
        reply = send(req, a["port"])
        if reply is not None and reply.code == rp.AccessAccept:
            hh = MD4.new(nt_hash).digest()
            d = hashlib.sha1(hh + response + b"Magic server to client signing constant").digest()
            expected = "S=" + hashlib.sha1(d + challenge + b"Pad to make it do more than one iteration").hexdigest().upper()
            success = reply["MS-CHAP2-Success"][0]
            result["success_ok"] = success[0] == 7 and success[1:].decode() == expected
            master = hashlib.sha1(hh + response + b"This is the MPPE Master Key").digest()[:16]
            def start_key(magic):
                return hashlib.sha1(master + b"\0" * 40 + magic + b"\xf2" * 40).digest()[:16]
            # RFC 3079 3.3: the server's receive key is the client's send key (magic 2), and back.
            client_send = start_key(b"On the client side, this is the send key; on the server side, it is the receive key.")
            client_recv = start_key(b"On the client side, this is the receive key; on the server side, it is the send key.")
            result["keys_ok"] = (mppe_decrypt(reply["MS-MPPE-Recv-Key"][0], req.authenticator) == client_send
                                 and mppe_decrypt(reply["MS-MPPE-Send-Key"][0], req.authenticator) == client_recv)
        elif reply is not None:
            result["error"] = reply["MS-CHAP-Error"][0][1:] if "MS-CHAP-Error" in reply else None

if reply is None:
    print(json.dumps({"code": None}))
else:
    result["code"] = reply.code
    for name in ("Reply-Message", "Session-Timeout", "Tunnel-Private-Group-Id", "Class"):
        if name in reply:
            v = reply[name][0]
            result[name] = v.decode() if isinstance(v, bytes) else v
    if "Class" in reply:
        result["classes"] = [v.decode() for v in reply["Class"]]
    if "State" in reply:
        result["State"] = reply["State"][0].hex()
    if "User-Name" in reply:
        result["User-Name"] = reply["User-Name"][0]
    result["proxy_states"] = len(reply["Proxy-State"]) if "Proxy-State" in reply else 0
    result["length"] = reply.wire_length
    print(json.dumps(result, default=str))
