# bench.mk: `make bench`, included from the top Makefile.
#
#   make bench      build the daemon, the load generator and the floor
#                   server, then run tests/bench/run.sh (a table on stdout,
#                   $(BUILD)/bench.json; about 3 minutes)
#
# BENCH_ROUNDS, BENCH_SECS, BENCH_CONC, BENCH_THREADS, EPMDX and STOCK_EPMD
# pass through to run.sh.  Uses the top Makefile's CC, CFLAGS and warning
# flags, always at -O2.  On its own: make -f Makefile -f tests/bench/bench.mk

BENCH_BINS	= $(BUILD)/bench/loadgen $(BUILD)/bench/floor
BENCH_CFLAGS	= -std=c11 $(WARNFLAGS) $(CFLAGS) -O2 -D_GNU_SOURCE -pthread

.PHONY: bench bench-bins

bench: all $(BENCH_BINS)
	BUILD=$(BUILD) bash tests/bench/run.sh

bench-bins: $(BENCH_BINS)

$(BUILD)/bench/%: tests/bench/%.c | $(BUILD)/bench
	$(CC) $(BENCH_CFLAGS) $(LDFLAGS) -o $@ $<

$(BUILD)/bench:
	mkdir -p $@
