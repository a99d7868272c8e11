#!/bin/bash
# 16-timeout-slow-client: with -packet_timeout 1, a PORT_PLEASE2 request
# sent one byte per second (gaps of about 1 s) still gets its full answer
# (OTP epmd_SUITE slow_get_port_nr).
# Reference: epmd-reference.md 2 (packet timeout, whole seconds, strict <).
. "$(dirname "$0")/lib.sh"

start_daemon -packet_timeout 1
register slow 4711
# 00 05 'z' 's' 'l' 'o' 'w': 7 bytes, 6 gaps of 1 s.
out=$(wire --str zslow --chunk 1 --delay 1.0 --timeout 5)
assert_eq "$?" 0 "wire exit (0 = closed after the reply)"
assert_eq "$out" "7700$(hex16 4711)4d00000600050004$(hexof slow)0000" \
    "PORT2 reply to a one-byte-a-second request"
