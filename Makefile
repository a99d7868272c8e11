# epmdx: a drop-in, wire-compatible replacement for Erlang's epmd.
#
#   make            build build/epmdx and build/epmdxctl, and the Erlang
#                   modules of contrib/erlang into build/ebin (when erlc is
#                   installed)
#   make run        install missing packages, build, run on 4369 in the foreground
#   make check      install missing packages, build, lint, run every test suite
#                   (unit, e2e, sync, upgrade, hostile, metrics, systemd)
#   make unit       unit tests only (cmocka)
#   make e2e        end-to-end tests only (EPMD_UNDER_TEST=/usr/bin/epmd for the oracle)
#   make lint       mandoc -Tlint and cppcheck
#   make install    PREFIX, DESTDIR, SBINDIR, BINDIR, MANDIR, SYSCONFDIR,
#                   UNITDIR (empty: no units), EPMD_ALIAS=1 (bin/epmd link),
#                   ERLLIBDIR (the Erlang lib dir the modules go under, as
#                   the application epmdx-VERSION; default
#                   PREFIX/lib/erlang/lib, which is Erlang's own for
#                   PREFIX=/usr; empty: no Erlang modules)
#
# WITH_SYSTEMD=0 builds without libsystemd; SANITIZE=1 builds with ASan+UBSan
# into build-san/.

VERSION		= 0.1.0

PREFIX		?= /usr/local
SBINDIR		?= $(PREFIX)/sbin
BINDIR		?= $(PREFIX)/bin
MANDIR		?= $(PREFIX)/share/man
SYSCONFDIR	?= /etc
UNITDIR		?= $(PREFIX)/lib/systemd/system
EPMD_ALIAS	?= 0
ERLLIBDIR	?= $(PREFIX)/lib/erlang/lib
ERLC		?= erlc
ERL_MODS	= epmdx epmdx_epmd
DESTDIR		?=

WITH_SYSTEMD	?= 1
SANITIZE	?= 0

ifeq ($(SANITIZE),1)
BUILD		?= build-san
SANFLAGS	= -fsanitize=address,undefined -fno-omit-frame-pointer \
		  -fno-sanitize-recover=all
else
BUILD		?= build
SANFLAGS	=
endif

PKGS		= libevent libevent_openssl openssl inih libsodium
ifeq ($(WITH_SYSTEMD),1)
PKGS		+= libsystemd
endif

CC		?= cc
CFLAGS		?= -O2 -g
WARNFLAGS	= -Wall -Wextra -Wformat=2 -Wshadow -Wpointer-arith -Wcast-qual \
		  -Wstrict-prototypes -Wmissing-prototypes \
		  -Wmissing-declarations -Wwrite-strings -Wno-unused-parameter
CPPFLAGS	+= -D_GNU_SOURCE -DEPMDX_VERSION=\"$(VERSION)\" \
		  -DWITH_SYSTEMD=$(WITH_SYSTEMD) \
		  -DEPMDX_CONF=\"$(SYSCONFDIR)/epmdx/epmdx.conf\"
ALL_CFLAGS	= -std=c11 $(WARNFLAGS) $(CFLAGS) $(SANFLAGS) \
		  $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS		= $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_LDFLAGS	= $(LDFLAGS) $(SANFLAGS)

SRCS		= main.c log.c xmalloc.c addr.c prom.c wire.c \
		  config.c config_env.c config_value.c acl.c \
		  server.c mono.c listen.c conn.c conn_set.c conn_req.c conn_reply.c \
		  answer.c proto.c registry.c control.c watch.c \
		  ctl.c ctl_io.c ctl_epmd.c ctl_watch.c sd.c metrics.c \
		  handover.c carry.c upgrade.c upgrade_adopt.c fdstore.c \
		  sync.c sync_peer.c sync_origin.c sync_session.c sync_send.c \
		  sync_admit.c sync_cluster.c sync_query.c sync_metrics.c \
		  sync_handover.c \
		  sync_msg.c sync_batch.c sync_crypto.c sync_static.c \
		  sync_hosts.c \
		  sync_mcast.c mcast_sock.c sync_mcast_msg.c \
		  sync_dns.c dns_client.c dns.c sync_dns_set.c \
		  sync_etcd.c sync_etcd_read.c sync_etcd_backend.c \
		  sync_etcd_view.c \
		  etcd_http.c json.c
OBJS		= $(SRCS:%.c=$(BUILD)/%.o)

UNIT_TESTS	= test_proto test_registry test_config test_sync_msg \
		  test_sync_crypto test_sync test_sync_mcast_msg test_dns \
		  test_handover test_sync_dns_set test_acl test_addr test_log \
		  test_carry test_fdstore test_conn_req test_config_list \
		  test_sync_cluster test_json test_sync_etcd_view test_sync_batch
UNIT_BINS	= $(UNIT_TESTS:%=$(BUILD)/tests/%)
# The objects each unit test links besides itself (pure parts only).
test_proto_OBJS		= proto.o
test_json_OBJS		= json.o
test_sync_etcd_view_OBJS = sync_etcd_view.o proto.o wire.o xmalloc.o log.o
test_registry_OBJS	= proto.o registry.o xmalloc.o log.o
test_config_OBJS	= config.o config_env.o config_value.o acl.o log.o xmalloc.o
test_config_list_OBJS	= $(test_config_OBJS)
test_sync_cluster_OBJS	= sync_crypto.o sync_msg.o sync_mcast_msg.o wire.o \
			  proto.o xmalloc.o log.o
test_sync_msg_OBJS	= sync_msg.o proto.o wire.o
test_sync_crypto_OBJS	= sync_crypto.o xmalloc.o log.o
test_sync_batch_OBJS	= sync_batch.o sync_msg.o proto.o wire.o
test_sync_OBJS		= sync.o sync_peer.o sync_origin.o sync_query.o sync_metrics.o sync_handover.o prom.o sync_admit.o registry.o proto.o addr.o \
			  sync_msg.o sync_crypto.o wire.o handover.o \
			  xmalloc.o log.o config.o config_env.o config_value.o acl.o
test_sync_mcast_msg_OBJS = sync_mcast_msg.o wire.o sync_crypto.o xmalloc.o log.o
test_dns_OBJS		= dns.o wire.o
test_sync_dns_set_OBJS	= sync_dns_set.o
test_handover_OBJS	= handover.o proto.o wire.o
test_fdstore_OBJS	= fdstore.o carry.o handover.o registry.o proto.o \
			  wire.o xmalloc.o log.o
test_acl_OBJS		= acl.o xmalloc.o log.o
test_addr_OBJS		= addr.o
test_log_OBJS		= log.o
test_carry_OBJS		= carry.o handover.o registry.o proto.o wire.o xmalloc.o log.o
test_conn_req_OBJS	= conn_req.o answer.o registry.o proto.o acl.o addr.o \
			  config.o config_env.o config_value.o mono.o xmalloc.o log.o

.PHONY: all run check unit e2e deps test-deps lint install clean ebin

all: $(BUILD)/epmdx $(BUILD)/epmdxctl ebin

# The Erlang side (contrib/erlang): an OTP application directory's ebin,
# built only where erlc is (the daemon itself needs no Erlang).
ebin:
	@if command -v $(ERLC) >/dev/null 2>&1; then \
	    $(MAKE) --no-print-directory $(ERL_MODS:%=$(BUILD)/ebin/%.beam) \
	        $(BUILD)/ebin/epmdx.app; \
	else echo "note: $(ERLC) not found: Erlang modules not built"; fi

$(BUILD)/ebin/%.beam: contrib/erlang/%.erl | $(BUILD)/ebin
	$(ERLC) +warnings_as_errors -o $(BUILD)/ebin $<

$(BUILD)/ebin/epmdx.app: contrib/erlang/epmdx.app.src Makefile | $(BUILD)/ebin
	sed 's/@VERSION@/$(VERSION)/' contrib/erlang/epmdx.app.src >$@

$(BUILD)/ebin:
	mkdir -p $@

deps:
	@sh packaging/install-deps.sh build

test-deps:
	@sh packaging/install-deps.sh test

$(BUILD)/epmdx: $(OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $(OBJS) $(LIBS)

$(BUILD)/epmdxctl: $(BUILD)/epmdx
	ln -f $(BUILD)/epmdx $@

$(BUILD)/%.o: src/%.c src/*.h | $(BUILD)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD) $(BUILD)/tests:
	mkdir -p $@

$(BUILD)/tests/%.o: tests/unit/%.c tests/unit/*.h src/*.h | $(BUILD)/tests
	$(CC) $(CPPFLAGS) -Isrc $(ALL_CFLAGS) \
	    $(shell pkg-config --cflags cmocka 2>/dev/null) -c -o $@ $<

.SECONDARY:
.SECONDEXPANSION:
$(BUILD)/tests/%: $(BUILD)/tests/%.o $$(addprefix $(BUILD)/,$$(%_OBJS))
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) \
	    $(shell pkg-config --libs cmocka 2>/dev/null)

run: deps
	$(MAKE) all
	./$(BUILD)/epmdx -port 4369

check: test-deps
	$(MAKE) all
	$(MAKE) lint
	BUILD=$(BUILD) bash tests/check.sh

unit: $(UNIT_BINS)
	@sh tests/unit/run.sh $(UNIT_BINS)

e2e: all
	@EPMDX=$(BUILD)/epmdx EPMDXCTL=$(BUILD)/epmdxctl sh tests/e2e/run.sh

lint: lint-units
	mandoc -Tlint -Wwarning man/*.[1-8]
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	    --inline-suppr -D_GNU_SOURCE \
	    --include=/usr/include/x86_64-linux-gnu/sys/queue.h src/

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/epmdx
	install -m 755 $(BUILD)/epmdx $(DESTDIR)$(SBINDIR)/epmdx
	ln -sf $(SBINDIR)/epmdx $(DESTDIR)$(BINDIR)/epmdxctl
	install -m 644 man/epmdx.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 man/epmdxctl.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/epmdx.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -d $(DESTDIR)$(MANDIR)/man7
	install -m 644 man/epmdx-sync.7 man/epmdx_epmd.7 $(DESTDIR)$(MANDIR)/man7/
	[ -e $(DESTDIR)$(SYSCONFDIR)/epmdx/epmdx.conf ] || \
	    install -m 644 etc/epmdx.conf $(DESTDIR)$(SYSCONFDIR)/epmdx/
	if [ -n "$(UNITDIR)" ]; then \
	    install -d $(DESTDIR)$(UNITDIR) && \
	    sed 's|/usr/local/sbin/epmdx|$(SBINDIR)/epmdx|g' \
	        packaging/systemd/epmdx.service \
	        >$(DESTDIR)$(UNITDIR)/epmdx.service && \
	    install -m 644 packaging/systemd/epmdx.socket $(DESTDIR)$(UNITDIR)/; \
	fi
	if [ "$(EPMD_ALIAS)" = 1 ]; then \
	    ln -sf $(SBINDIR)/epmdx $(DESTDIR)$(BINDIR)/epmd; fi
	if [ -n "$(ERLLIBDIR)" ] && [ -e $(BUILD)/ebin/epmdx_epmd.beam ]; then \
	    install -d $(DESTDIR)$(ERLLIBDIR)/epmdx-$(VERSION)/ebin && \
	    install -m 644 $(BUILD)/ebin/*.beam $(BUILD)/ebin/epmdx.app \
	        $(DESTDIR)$(ERLLIBDIR)/epmdx-$(VERSION)/ebin/; \
	fi

clean:
	rm -rf build build-san

include packaging/packaging.mk
include tests/bench/bench.mk
include tests/fuzz/fuzz.mk
include tests/hostile/hostile.mk
