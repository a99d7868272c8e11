# hostile.mk: hostile clients and valgrind, included from the top Makefile.
#
#   make hostile-check     the daemon in $(BUILD) against tests/hostile:
#                          idle crowds, the connection cap, bad frames,
#                          RST mid-reply, half-closed sockets, registration
#                          storms, descriptor exhaustion, seeded random
#                          bytes (about 3 minutes); with SANITIZE=1 the
#                          ASan+UBSan build in build-san/
#   make valgrind-check    memcheck over every unit test binary and over
#                          the daemon in an end-to-end run (plain build)
#
# HOSTILE_TIMEOUT (per test), HOSTILE_SEED (random clients) and
# HOSTILE_LOGDIR pass through to tests/hostile/run.sh.

.PHONY: hostile-deps hostile-check valgrind-check

hostile-deps:
	@sh packaging/install-deps.sh hostile

hostile-check: hostile-deps
	$(MAKE) all
	EPMDX=$(BUILD)/epmdx sh tests/hostile/run.sh

valgrind-check: hostile-deps
	@[ "$(SANITIZE)" != 1 ] || { echo "valgrind-check: needs the plain" \
	    "build, not SANITIZE=1" >&2; exit 1; }
	$(MAKE) all $(UNIT_BINS)
	EPMDX=$(BUILD)/epmdx bash tests/hostile/valgrind.sh
