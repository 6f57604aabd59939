# agentmon - see README.md.  `make` builds build/agentmon; `sudo make run`,
# `sudo make test` and `make bench` install missing Debian packages first.
# V=1 shows every command.

ARCH      ?= $(shell uname -m)
BPF_ARCH  := $(patsubst x86_64,x86,$(patsubst aarch64,arm64,$(ARCH)))
BUILD     := build
comma     := ,
CLANG     ?= clang
CC        ?= cc
BPFTOOL   ?= bpftool
VMLINUX   := vmlinux/$(ARCH)/vmlinux.h

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

PKGS_CFLAGS := $(shell pkg-config --cflags libbpf yaml-0.1 libnghttp2 libcurl libcrypto libsystemd jansson libmicrohttpd libnats 2>/dev/null)
# a bare machine: say what to do instead of failing on a missing header
# (`make run`, `make test` and `make bench` install the packages first)
PKGS_OK := $(shell pkg-config --exists libbpf yaml-0.1 libnghttp2 libcurl libcrypto libsystemd jansson libmicrohttpd libnats 2>/dev/null && \
	command -v $(CLANG) >/dev/null && command -v $(BPFTOOL) >/dev/null && echo yes)
ifneq ($(PKGS_OK),yes)
ifeq ($(filter deps run test bench clean uninstall,$(MAKECMDGOALS)),)
$(error build packages are missing: run `sudo make deps` first (tools/deps.sh lists and installs them))
endif
endif
PKGS_LIBS   := $(shell pkg-config --libs libbpf yaml-0.1 libnghttp2 libcurl libcrypto libsystemd jansson libmicrohttpd libnats 2>/dev/null || echo -lbpf -lyaml -lnghttp2 -lcurl -lcrypto -lsystemd -ljansson -lmicrohttpd -lnats) -lelf -lz -lpthread

CFLAGS    ?= -g -O2
CFLAGS    += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
             -D_GNU_SOURCE -I$(BUILD) -Iuser -Ibpf $(PKGS_CFLAGS) -MMD -MP
LDLIBS    += $(PKGS_LIBS)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -Wall -Werror \
              -I$(dir $(VMLINUX)) -Ibpf -MMD -MP

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
LIB_OBJS  := $(filter-out $(BUILD)/user/main.o,$(USER_OBJS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
# libFuzzer targets: every library source but the BPF loader, with sanitizers
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
EVASION_TESTS := $(wildcard tests/evasion/test_*.sh)
ATTACK_TESTS := $(wildcard tests/attack/test_*.sh)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_LIB  := $(filter-out user/main.c user/doctor.c user/doctor_agents.c user/doctor_kernel.c user/load.c user/load_tls.c user/load_scan.c user/load_scope.c user/load_links.c user/load_pin.c user/load_util.c user/load_file.c user/status_gather.c user/metrics_gather.c user/tagstore.c user/collector.c user/collector_tls.c user/tls_watch.c,$(USER_SRCS))
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
              -D_GNU_SOURCE -Iuser -Ibpf
FUZZ_LIB_FLAGS := $(subst -fsanitize=fuzzer$(comma),-fsanitize=fuzzer-no-link$(comma),$(FUZZ_FLAGS)) -MMD -MP
FUZZ_OBJS := $(patsubst user/%.c,$(BUILD)/fuzzlib/%.o,$(FUZZ_LIB))
FUZZ_TIME ?= 60
# the unit tests once more under AddressSanitizer (leaks included) and UBSan,
# and the integration suite once with the collector built so (lsan-integration.sh)
ASAN_BUILD := $(BUILD)/asan
ASAN_FLAGS := -g -O2 -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=all
ASAN_BINS  := $(patsubst $(BUILD)/%,$(ASAN_BUILD)/%,$(UNIT_BINS))

.PHONY: all clean deps run test unit integration evasion attack bench vmlinux fuzz
.DELETE_ON_ERROR:
all: $(BUILD)/agentmon

deps:
	$(Q)tools/deps.sh

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(VMLINUX) | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# all programs linked into one object so that they share maps and one skeleton
$(BUILD)/agentmon.bpf.o: $(BPF_OBJS)
	$(call msg,LINK-BPF,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(BUILD)/agentmon.skel.h: $(BUILD)/agentmon.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name agentmon_bpf > $@

# the loader's files (load_int.h) include the skeleton
$(patsubst user/%.c,$(BUILD)/user/%.o,$(wildcard user/load*.c)) $(BUILD)/user/status_gather.o: $(BUILD)/agentmon.skel.h
$(BUILD)/user/%.o: user/%.c | $(BUILD)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libagentmon.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/agentmon: $(BUILD)/user/main.o $(BUILD)/libagentmon.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libagentmon.a | $(BUILD)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) $< $(BUILD)/libagentmon.a $(LDLIBS) -lcmocka -o $@

# the library once with the fuzzers' instrumentation (fuzzer-no-link), an
# archive every target links against: not every source once per target
$(BUILD)/fuzzlib/%.o: user/%.c | $(BUILD)/fuzzlib
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_LIB_FLAGS) -c $< -o $@

$(BUILD)/libfuzz.a: $(FUZZ_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/libfuzz.a | $(BUILD)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) -MMD -MP -MF $(BUILD)/fuzzlib/$(notdir $@).d -MT $@ $< $(BUILD)/libfuzz.a $(LDLIBS) -o $@

# each target for FUZZ_TIME seconds over its seed corpus (copied: seeds stay clean)
fuzz: $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do n=$$(basename $$f | sed 's/^fuzz_//'); \
		mkdir -p $(BUILD)/fuzz/corpus-$$n && cp -n tests/fuzz/corpus/$$n/* $(BUILD)/fuzz/corpus-$$n/; \
		$$f -max_total_time=$(FUZZ_TIME) $(BUILD)/fuzz/corpus-$$n || exit 1; done

$(BUILD)/bpf $(BUILD)/user $(BUILD)/tests $(BUILD)/fuzz $(BUILD)/fuzzlib:
	$(Q)mkdir -p $@

vmlinux:
	$(call msg,GEN,$(VMLINUX))
	$(Q)mkdir -p $(dir $(VMLINUX))
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX)

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(BUILD)/agentmon run $(ARGS)

unit: $(UNIT_BINS)
	$(Q)tools/run-tests.sh unit $(UNIT_BINS)

integration: all
	$(Q)tools/run-tests.sh integration tests/integration/test_*.sh

evasion: all
	$(Q)tools/run-tests.sh evasion $(EVASION_TESTS)

attack: all
	$(Q)tools/run-tests.sh attack $(ATTACK_TESTS)

# make test builds on every core (the README's plain `make test` too; JOBS=1 to not)
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
test: deps
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) all $(UNIT_BINS) $(FUZZ_BINS)
	$(Q)CFLAGS="$(ASAN_FLAGS)" $(MAKE) --no-print-directory -j$(JOBS) BUILD=$(ASAN_BUILD) \
		$(ASAN_BINS) $(ASAN_BUILD)/agentmon
	$(Q)LSAN_AGENTMON=$(ASAN_BUILD)/agentmon tools/run-tests.sh all $(UNIT_BINS) $(ASAN_BINS) \
		tests/fuzz/smoke.sh tests/integration/test_*.sh $(EVASION_TESTS) $(ATTACK_TESTS) \
		tools/lsan-integration.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/bench.sh

# the real-agent tests (tagging; quiet by default) against the newest release of each agent on
# the npm registry (tests/agents/versions pins the ones `make test` uses)
.PHONY: agents-latest
agents-latest: all
	$(Q)AGENTS_LATEST=1 bash tests/integration/test_agents_tagging.sh
	$(Q)AGENTS_LATEST=1 bash tests/integration/test_agents_quiet.sh

# the own-TLS tests against the second-newest release of each agent whose
# TLS agentmon locates (issue 10: the same code sees two releases); not part
# of `make test`.  Needs the registry (tests/agents/install.sh --previous).
AGENTS_PREV := $(or $(AGENTS_CACHE),/var/cache/agentmon-test/agents)/previous
.PHONY: agents-previous
agents-previous: all
	$(Q)bash tests/agents/install.sh --previous claude codex opencode
	$(Q)AGENTS_CACHE=$(AGENTS_PREV) bash tests/integration/test_bun_tls.sh
	$(Q)AGENTS_CACHE=$(AGENTS_PREV) bash tests/integration/test_codex_tls.sh
	$(Q)AGENTS_CACHE=$(AGENTS_PREV) AGENTS_ONLY="claude opencode codex" \
		bash tests/integration/test_intent_tls.sh

clean:
	$(Q)rm -rf $(BUILD)

# ---- make install / make uninstall (README "Install as a service") ----
# PREFIX and DESTDIR as usual.  The policy always goes to /etc/agentmon: the
# binary looks for /etc/agentmon/agentmon.yaml whatever the PREFIX.  The unit
# goes where systemd's pkg-config file says (Debian 12: /lib/systemd/system),
# which is also what a package built with DESTDIR expects; set
# SYSTEMDUNITDIR=/etc/systemd/system to keep a local install out of it.
PREFIX         ?= /usr/local
SBINDIR        ?= $(PREFIX)/sbin
MANDIR         ?= $(PREFIX)/share/man
SYSCONFDIR     ?= /etc
SYSTEMDUNITDIR ?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
CONFDIR        := $(SYSCONFDIR)/agentmon
# systemctl only on a live system whose init is systemd
SYSTEMD_LIVE    = test -z "$(DESTDIR)" && test -d /run/systemd/system

# the unit is generated every time: SBINDIR may differ from the last run
.PHONY: install uninstall $(BUILD)/agentmon.service
$(BUILD)/agentmon.service: etc/agentmon.service.in
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D) && sed 's|@SBINDIR@|$(SBINDIR)|g' $< > $@

$(BUILD)/agentmon.8.gz: man/agentmon.8
	$(call msg,GZIP,$@)
	$(Q)mkdir -p $(@D) && gzip -9n < $< > $@

install: $(BUILD)/agentmon $(BUILD)/agentmon.service $(BUILD)/agentmon.8.gz
	$(call msg,INSTALL,$(DESTDIR)$(SBINDIR)/agentmon)
	$(Q)install -D -m 0755 $(BUILD)/agentmon $(DESTDIR)$(SBINDIR)/agentmon
	$(call msg,INSTALL,$(DESTDIR)$(SYSTEMDUNITDIR)/agentmon.service)
	$(Q)install -D -m 0644 $(BUILD)/agentmon.service $(DESTDIR)$(SYSTEMDUNITDIR)/agentmon.service
	$(call msg,INSTALL,$(DESTDIR)$(MANDIR)/man8/agentmon.8.gz)
	$(Q)install -D -m 0644 $(BUILD)/agentmon.8.gz $(DESTDIR)$(MANDIR)/man8/agentmon.8.gz
	$(Q)install -d -m 0755 $(DESTDIR)$(CONFDIR)
	$(Q)conf=$(DESTDIR)$(CONFDIR)/agentmon.yaml; \
	if [ -e $$conf ] && ! cmp -s etc/agentmon.yaml $$conf; then \
		install -m 0644 etc/agentmon.yaml $$conf.new && \
		echo "agentmon: kept the edited $(CONFDIR)/agentmon.yaml; the shipped one is agentmon.yaml.new"; \
	else \
		printf '  %-8s %s\n' INSTALL $$conf; \
		install -m 0644 etc/agentmon.yaml $$conf && rm -f $$conf.new; \
	fi
	$(Q)if $(SYSTEMD_LIVE); then systemctl daemon-reload; \
		if systemctl -q is-active agentmon.service; then \
			echo "agentmon: the service still runs the old binary: systemctl restart agentmon"; fi; fi
	$(Q)if [ -z "$(DESTDIR)" ]; then \
		echo "agentmon: installed; start it now and at boot with: systemctl enable --now agentmon"; fi

# keeps an edited policy and /var/lib/agentmon (traces, spool)
uninstall:
	$(Q)if $(SYSTEMD_LIVE) && [ -e $(SYSTEMDUNITDIR)/agentmon.service ]; then \
		systemctl disable --now agentmon.service || true; fi
	$(call msg,RM,$(DESTDIR)$(SBINDIR)/agentmon)
	$(Q)rm -f $(DESTDIR)$(SBINDIR)/agentmon
	$(call msg,RM,$(DESTDIR)$(SYSTEMDUNITDIR)/agentmon.service)
	$(Q)rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/agentmon.service
	$(call msg,RM,$(DESTDIR)$(MANDIR)/man8/agentmon.8.gz)
	$(Q)rm -f $(DESTDIR)$(MANDIR)/man8/agentmon.8.gz $(DESTDIR)$(MANDIR)/man8/agentmon.8
	$(Q)conf=$(DESTDIR)$(CONFDIR)/agentmon.yaml; rm -f $$conf.new; \
	if cmp -s etc/agentmon.yaml $$conf; then printf '  %-8s %s\n' RM $$conf; rm -f $$conf; \
	elif [ -e $$conf ]; then echo "agentmon: kept the edited $(CONFDIR)/agentmon.yaml"; fi; \
	rmdir $(DESTDIR)$(CONFDIR) 2>/dev/null || true
	$(Q)if $(SYSTEMD_LIVE); then systemctl daemon-reload; fi

-include $(wildcard $(BUILD)/bpf/*.d $(BUILD)/user/*.d $(BUILD)/tests/*.d $(BUILD)/fuzzlib/*.d)
