#!/usr/bin/env python3
"""A second decoder for vectors/framing/sms.json: python-gsmmodem's decodeSmsPdu, not dmnoti's.

For every valid vector, each TPDU must decode as the group's SMS-DELIVER or SMS-SUBMIT, to or
from +15550100, with WAP-259's port element (to 2948, from 9200) and, when there are several,
the concatenation element; the user data of the segments, put in sequence order, must be the
vector's WSP push (wspHex). Prints how many vectors agreed; exits 1 at the first that does not.
"""
import json
import sys

from gsmmodem.pdu import decodeSmsPdu


def main(path):
    with open(path) as f:
        vectors = json.load(f)
    agreed = 0
    for group in vectors["testGroups"]:
        want_type = {"deliver": "SMS-DELIVER", "submit": "SMS-SUBMIT"}[group["direction"]]
        for t in group["tests"]:
            if t["result"] != "valid":
                continue
            parts = {}
            for seg in t["segmentsHex"]:
                # decodeSmsPdu reads a modem's PDU: the SMSC address first (00: none).
                pdu = decodeSmsPdu("00" + seg)
                where = f'{t["id"]}: {seg[:24]}...'
                if pdu["type"] != want_type or pdu["number"] != "+15550100":
                    sys.exit(f"{where}: {pdu['type']} {pdu['number']}")
                ports = [u for u in pdu["udh"] if type(u).__name__ == "PortAddress"]
                if len(ports) != 1 or (ports[0].destination, ports[0].source) != (2948, 9200):
                    sys.exit(f"{where}: port element {[vars(p) for p in ports]}")
                concat = [u for u in pdu["udh"] if type(u).__name__ == "Concatenation"]
                seq = concat[0].number if concat else 1
                if len(t["segmentsHex"]) > 1 and (
                    not concat or concat[0].parts != len(t["segmentsHex"])
                ):
                    sys.exit(f"{where}: concatenation {[vars(c) for c in concat]}")
                # 8-bit user data comes back as text, one character per byte.
                parts[seq] = bytes(ord(c) for c in pdu["text"])
            data = b"".join(parts[k] for k in sorted(parts))
            if data.hex() != t["wspHex"]:
                sys.exit(f'{t["id"]}: user data {data.hex()} is not the WSP push {t["wspHex"]}')
            agreed += 1
    print(f"{agreed} valid vectors agree")


if __name__ == "__main__":
    main(sys.argv[1])
