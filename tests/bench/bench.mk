# bench.mk: `make bench`, included from the top Makefile.
#
#   make bench      build the daemon, the load generator and the floor
#                   server, then run tests/bench/run.sh (a table on stdout,
#                   $(BUILD)/bench.json; about 3 minutes), sync.sh (peer
#                   sync, $(BUILD)/bench-sync.json; about 1 minute),
#                   upgrade.sh ($(BUILD)/bench-upgrade.json) and nodes.sh
#                   (real nodes through epmdx_epmd: join latency, resolve
#                   cost; $(BUILD)/bench-nodes.json; about 30 s) and
#                   fleet.sh (mesh vs etcd at 16, 64 and 256 daemons:
#                   convergence, idle CPU, bytes and CPU per registration;
#                   $(BUILD)/bench-fleet.json; about 5 minutes)
#   make bench-fleet  only tests/bench/fleet.sh (BENCH_FLEET_* pass through)
#   make bench-sync only tests/bench/sync.sh
#
# BENCH_ROUNDS, BENCH_SECS, BENCH_CONC, BENCH_THREADS, EPMDX and STOCK_EPMD
# pass through to run.sh; BENCH_SYNC_* to sync.sh.  Uses the top
# Makefile's CC, CFLAGS and warning flags, always at -O2.  On its own:
# make -f Makefile -f tests/bench/bench.mk

BENCH_BINS	= $(BUILD)/bench/loadgen $(BUILD)/bench/floor
BENCH_CFLAGS	= -std=c11 $(WARNFLAGS) $(CFLAGS) -O2 -D_GNU_SOURCE -pthread

.PHONY: bench bench-bins bench-sync bench-fleet

bench: all $(BENCH_BINS)
	BUILD=$(BUILD) bash tests/bench/run.sh
	BUILD=$(BUILD) bash tests/bench/sync.sh
	BUILD=$(BUILD) bash tests/bench/upgrade.sh
	BUILD=$(BUILD) bash tests/bench/nodes.sh
	BUILD=$(BUILD) bash tests/bench/fleet.sh

bench-sync: all
	BUILD=$(BUILD) bash tests/bench/sync.sh

bench-fleet: all
	BUILD=$(BUILD) bash tests/bench/fleet.sh

bench-bins: $(BENCH_BINS)

$(BUILD)/bench/%: tests/bench/%.c | $(BUILD)/bench
	$(CC) $(BENCH_CFLAGS) $(LDFLAGS) -o $@ $<

$(BUILD)/bench:
	mkdir -p $@
