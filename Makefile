# Usher's entry points. Every target installs what it needs first (tools/install.sh).
.PHONY: install build up down test demo bench clean

install:
	@bash tools/install.sh

build: install
	@bash tools/build-wasm.sh
	@bash tools/build-web.sh

up: build
	@bash tools/local/up.sh

down:
	@bash tools/local/down.sh

test: build
	@bash tools/test.sh

demo: build
	@bash tools/demo.sh $(DEMO_FLAGS)

bench: build
	@bash tools/bench.sh

clean: down
	rm -rf target pkg/web pkg/deno .local
