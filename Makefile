# Entry points for people and CI. Each target installs the Debian packages it needs first.
SWIFT_TEST_FLAGS = -c release -Xswiftc -enable-testing

# Debian's OpenBLAS picks a slow generic kernel on some AVX-512 CPUs; choose the kernel from the CPU
# flags unless the caller set one (see scripts/openblas-coretype).
OPENBLAS_CORETYPE ?= $(shell scripts/openblas-coretype)
ifneq ($(OPENBLAS_CORETYPE),)
export OPENBLAS_CORETYPE
endif

.PHONY: deps build demo test bench bench-engine

deps:
	scripts/install-deps

build: deps
	swift build -c release

demo: build
	scripts/demo

test: deps
	swift test $(SWIFT_TEST_FLAGS)

bench: build
	bench/run

# The native engine against PyTorch (builds its own release binary; about 5 minutes, 3 GB in /tmp).
bench-engine: deps
	bench/engine/run
