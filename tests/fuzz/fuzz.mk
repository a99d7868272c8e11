# fuzz.mk: libFuzzer targets, included from the top Makefile.
#
#   make fuzz [FUZZ_SECONDS=60]   install clang and its fuzzer runtime if
#                                 missing, build every tests/fuzz/fuzz_*.c,
#                                 run each for FUZZ_SECONDS from its seeds
#   make fuzz-smoke               the same, 10 s per target (CI)
#   make fuzz-bins                build only ($(FUZZ_BUILD)/fuzz_*)
#   make fuzz-seeds               write the generated seeds again
#                                 (tests/fuzz/seedgen_*.c), to commit
#
# Each harness is linked with exactly the src/ objects listed in
# FUZZ_OBJS_<name> below, compiled again by clang with coverage, ASan and
# UBSan into $(FUZZ_BUILD) (never the gcc build dir).  A new harness
# needs its line there.  Seeds: tests/fuzz/seeds/<name>/ (committed); the
# growing corpus: $(FUZZ_BUILD)/corpus/<name>/; a crash's input is saved
# as tests/fuzz/crashes/<name>-crash-<sha1> and fails the run.

FUZZ_SECONDS	?= 60
FUZZ_CC		?= clang
FUZZ_BUILD	= build/fuzz
FUZZ_PKGS	= libevent inih libsodium
FUZZ_SAN	= address,undefined
# pkg-config runs in the recipes, after fuzz-deps may have installed.
FUZZ_CFLAGS	= -std=c11 $(WARNFLAGS) -g -O1 -fno-omit-frame-pointer \
		  -fno-sanitize-recover=all \
		  `pkg-config --cflags $(FUZZ_PKGS)`
FUZZ_LIBS	= `pkg-config --libs $(FUZZ_PKGS)`

# The src/ objects each harness needs, and nothing more.
FUZZ_OBJS_proto		= proto.o
FUZZ_OBJS_json		= json.o
FUZZ_OBJS_config	= config.o config_env.o config_value.o acl.o log.o xmalloc.o
FUZZ_OBJS_dns		= dns.o wire.o
FUZZ_OBJS_sync_mcast_msg = sync_mcast_msg.o wire.o
FUZZ_OBJS_sync_msg	= sync_msg.o proto.o wire.o
FUZZ_OBJS_handover	= handover.o proto.o wire.o carry.o registry.o xmalloc.o log.o
FUZZ_OBJS_sync_session	= sync.o sync_peer.o sync_origin.o sync_session.o \
			  sync_send.o sync_admit.o sync_cluster.o sync_query.o \
			  sync_metrics.o \
			  sync_handover.o prom.o addr.o mono.o \
			  sync_msg.o sync_batch.o sync_crypto.o registry.o \
			  proto.o wire.o handover.o config.o config_env.o config_value.o \
			  acl.o xmalloc.o log.o

FUZZ_NAMES	= $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS	= $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)

.PHONY: fuzz fuzz-smoke fuzz-deps fuzz-bins fuzz-seeds

fuzz-deps:
	@sh packaging/install-deps.sh fuzz

fuzz: $(FUZZ_BINS)
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

fuzz-smoke: $(FUZZ_BINS)
	@sh tests/fuzz/run.sh 10 $(FUZZ_BINS)

fuzz-bins: $(FUZZ_BINS)

$(FUZZ_BUILD) $(FUZZ_BUILD)/src:
	mkdir -p $@

# src/ objects with coverage for libFuzzer, but no main().  Everything
# waits for fuzz-deps (order only: it never forces a rebuild).
$(FUZZ_BUILD)/src/%.o: src/%.c src/*.h | $(FUZZ_BUILD)/src fuzz-deps
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) \
	    -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c -o $@ $<

.SECONDEXPANSION:
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c src/*.h \
    $$(addprefix $(FUZZ_BUILD)/src/,$$(FUZZ_OBJS_$$*)) | $(FUZZ_BUILD) fuzz-deps
	@[ -n "$(FUZZ_OBJS_$*)" ] || { echo "fuzz.mk: add FUZZ_OBJS_$* (the" \
	    "src objects fuzz_$*.c needs)" >&2; exit 1; }
	$(FUZZ_CC) $(CPPFLAGS) -Isrc $(FUZZ_CFLAGS) \
	    -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< \
	    $(addprefix $(FUZZ_BUILD)/src/,$(FUZZ_OBJS_$*)) $(FUZZ_LIBS)

# Seed generators: tests/fuzz/seedgen_NAME.c writes seeds/NAME/, from the
# codec itself (plain build, no sanitizers, no fuzzer).
SEEDGEN_SRCS_sync_session = src/sync_msg.c src/proto.c src/wire.c

fuzz-seeds: $(FUZZ_BUILD)/seedgen_sync_session
	mkdir -p tests/fuzz/seeds/sync_session
	$(FUZZ_BUILD)/seedgen_sync_session tests/fuzz/seeds/sync_session

$(FUZZ_BUILD)/seedgen_%: tests/fuzz/seedgen_%.c $$(SEEDGEN_SRCS_$$*) \
    src/*.h | $(FUZZ_BUILD)
	$(CC) $(CPPFLAGS) -Isrc $(ALL_CFLAGS) -o $@ $< $(SEEDGEN_SRCS_$*)
