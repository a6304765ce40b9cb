# Entry points. Every target installs what it needs first (scripts/deps.sh is fast
# when everything is present).
.PHONY: run build test unit integration format format-check clean

run: build
	./build/release/wharf serve

build:
	bash scripts/build.sh release

test:
	bash scripts/test.sh

unit:
	bash scripts/test.sh --unit-only

integration:
	bash scripts/test.sh --integration-only

format:
	bash scripts/format.sh

format-check:
	bash scripts/format.sh --check

clean:
	rm -rf build
