# packaging.mk: package, install and unit-file targets; included from the
# top Makefile (after BUILD is set):
#
#   make package         build/pkg/*.deb (dpkg-buildpackage) and *.rpm (rpmbuild)
#   make package-check   build the .deb, install it here, use it, purge it
#                        (root, throwaway machine: tests/package/run.sh)
#   make metrics-check   the [metrics] HTTP listener end to end, with promtool
#   make lint-units      systemd-analyze verify and security on packaging/systemd
#
# UNIT_EXPOSURE_MAX: lint-units fails when `systemd-analyze security` rates
# epmdx.service above it, in tenths (40 = 4.0; 0 safest, 100 unprotected);
# the full report is left in $(BUILD)/units/security.txt.

UNIT_EXPOSURE_MAX	?= 40
UNITS_BUILD		= $(BUILD)/units

.PHONY: package package-deps package-check metrics-check lint-units

package-deps:
	@sh packaging/install-deps.sh package

package: package-deps
	sh packaging/build-deb.sh
	sh packaging/build-rpm.sh

package-check: package-deps
	bash tests/package/run.sh

metrics-check: test-deps
	$(MAKE) all
	@EPMDX=$(BUILD)/epmdx EPMDXCTL=$(BUILD)/epmdxctl bash tests/metrics/run.sh

# The units name /usr/local/sbin/epmdx, which verify wants to exist: check
# copies that run the binary just built instead.
lint-units: $(BUILD)/epmdx
	@rm -rf $(UNITS_BUILD)
	@mkdir -p $(UNITS_BUILD)
	sed 's|/usr/local/sbin/epmdx|$(abspath $(BUILD))/epmdx|g' \
	    packaging/systemd/epmdx.service >$(UNITS_BUILD)/epmdx.service
	cp packaging/systemd/epmdx.socket $(UNITS_BUILD)/epmdx.socket
	systemd-analyze verify --man=no $(UNITS_BUILD)/epmdx.socket \
	    $(UNITS_BUILD)/epmdx.service
	@systemd-analyze security --offline=yes --no-pager \
	    --threshold=$(UNIT_EXPOSURE_MAX) $(UNITS_BUILD)/epmdx.service \
	    >$(UNITS_BUILD)/security.txt 2>&1; rc=$$?; \
	    grep 'Overall exposure' $(UNITS_BUILD)/security.txt; \
	    [ $$rc -eq 0 ] || echo "lint-units: exposure above $(UNIT_EXPOSURE_MAX)/10" >&2; \
	    exit $$rc

# epmdx under a real, private systemd (namespaces; see tests/systemd/run.sh).
.PHONY: systemd-check
systemd-check: all
	@EPMDX=$(BUILD)/epmdx bash tests/systemd/run.sh
