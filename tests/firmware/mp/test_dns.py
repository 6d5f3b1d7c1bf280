"""The prop's own name lookup: queries as RFC 1035 writes them, and every kind of answer read safely."""

import struct

from check import eq, run, test
from propnet import dns


def reply(ident, flags=0x8180, answers=((1, b"\x7f\x00\x00\x01"),), question=True):
    """Return a reply to ``query('broker.test', ident)`` with (type, data) answers."""
    body = bytearray(
        struct.pack("!HHHHHH", ident, flags, 1 if question else 0, len(answers), 0, 0)
    )
    if question:
        body += dns.query("broker.test", ident)[12:]
    for kind, data in answers:
        # A pointer to the name in the question, as name servers write it.
        body += b"\xc0\x0c" + struct.pack("!HHIH", kind, 1, 60, len(data)) + data
    return bytes(body)


def refused(fn, *args):
    try:
        fn(*args)
    except dns.DNSError as e:
        return str(e)
    raise AssertionError("expected DNSError")


@test
def a_query_asks_for_the_a_record_in_class_in():
    q = dns.query("broker.test", 0x1234)
    eq(q[:12], b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", "header")
    eq(q[12:], b"\x06broker\x04test\x00\x00\x01\x00\x01", "question")


@test
def the_first_address_is_read_past_other_records():
    cname = (5, b"\x05other\x04test\x00")
    eq(
        dns.answer(reply(7, answers=(cname, (1, b"\x0a\x00\x00\x05"))), 7),
        "10.0.0.5",
        "A after CNAME",
    )


@test
def a_reply_to_another_query_or_not_a_reply_is_no_answer():
    eq(dns.answer(reply(8), 7), None, "other id")
    eq(dns.answer(reply(7, flags=0x0100), 7), None, "a query, not a reply")
    eq(dns.answer(b"\x00\x07", 7), None, "too short")


@test
def an_error_or_no_address_is_said():
    eq(
        refused(dns.answer, reply(7, flags=0x8183), 7),
        "name server answered error 3",
        "NXDOMAIN",
    )
    eq(refused(dns.answer, reply(7, answers=()), 7), "no address for the name", "empty")


@test
def a_truncated_reply_raises_what_resolve_catches():
    whole = reply(7)
    for cut in range(13, len(whole) - 1):
        try:
            dns.answer(whole[:cut], 7)
        except (IndexError, ValueError, dns.DNSError):
            pass


@test
def literal_addresses_and_name_servers():
    eq(dns.is_literal("192.168.1.10"), True, "literal")
    eq(dns.is_literal("broker.local"), False, "name")
    eq(dns.is_literal("1.2.3.256"), False, "out of range")
    eq(dns.server_of("10.0.0.1:5353", None), ("10.0.0.1", 5353), "with port")
    eq(dns.server_of(None, "10.0.0.1"), ("10.0.0.1", 53), "from wifi")
    eq(dns.server_of(None, None), None, "none")


run()
