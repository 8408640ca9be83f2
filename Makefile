# Hotline: the two commands are `make demo` and `make test`.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
DEMO_DIR ?= demo-data
DEMO_PORT_BASE ?= 7400
FUZZ_SECONDS ?= 60

.PHONY: deps build demo test test-build web fuzz bench soak clean format deb

deps:
	@bash scripts/install-deps

build: deps
	cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DHOTLINE_TESTS=OFF
	cmake --build build -j $(JOBS)
	@if [[ -f web/package.json ]]; then (cd web && npm run build --silent); fi

demo: build
	build/bin/hotline demo --dir $(DEMO_DIR) --port-base $(DEMO_PORT_BASE)

test-build: deps
	cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOTLINE_SANITIZE=ON
	cmake --build build-test -j $(JOBS)
	@if [[ -f web/package.json ]]; then (cd web && npm run build --silent); fi

test: test-build
	cd build-test && ctest --output-on-failure -j $(JOBS) --timeout 1200

# Each target fuzz_<name> (fuzz/fuzz_<name>.cpp) runs FUZZ_SECONDS from its seeds in
# fuzz/corpus/<name>; what it finds goes to build-fuzz/corpus/<name>. A new target is one more
# name here.
FUZZ_TARGETS ?= frame router engine stun rtp recording sdp dtls

fuzz: deps
	CXX=clang++-16 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOTLINE_FUZZ=ON -DHOTLINE_TESTS=OFF
	cmake --build build-fuzz -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus/$$t; \
	  cp -n fuzz/corpus/$$t/* build-fuzz/corpus/$$t/ 2>/dev/null || true; \
	  build-fuzz/bin/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=build-fuzz/ \
	    build-fuzz/corpus/$$t fuzz/corpus/$$t; \
	done

# The Debian package, build/deb/hotline_<version>_<arch>.deb (scripts/build-deb), checked by
# lintian: an error or a warning fails the target. A warning the package must keep is overridden
# in packaging/deb/lintian-overrides and explained in docs/operations.md, "Installing the Debian
# package".
deb: build
	bash scripts/build-deb build/bin/hotline build/deb
	lintian --fail-on error,warning build/deb/*.deb

bench: build
	bash bench/run.sh

# Random faults on real, shaped paths (root only); SOAK_SECONDS (default 600) and SOAK_SEED apply.
soak: build
	HOTLINE_BIN=build/bin/hotline python3 tests/net/soak.py

clean:
	rm -rf build build-test build-fuzz

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')
