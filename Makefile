# teu: install, test, demo. Run as root on Debian 12.
PYTHON ?= python3
DEMO_DIR ?= /tmp/teu-demo

.PHONY: deps install test lint demo bench clean

deps:            ## Debian packages (peers, busybox, libseccomp)
	apt-get update -q
	grep -v '^\s*#' deps/debian-packages.txt | grep . | xargs apt-get install -y -q --no-install-recommends

install:         ## teu itself, editable, with the test tools
	$(PYTHON) -m pip install -q -e '.[test]'
	$(PYTHON) -m teu.launchers

lint:
	$(PYTHON) -m ruff check src tests bench

test: lint       ## the test command CI runs
	$(PYTHON) -m pytest -q -ra

demo:            ## make a busybox image locally and run a container from it
	rm -rf $(DEMO_DIR)
	$(PYTHON) -m teu.testing.busybox $(DEMO_DIR) -- sh -c 'echo "hello from a teu container: $$(hostname), pid $$$$, $$(id)"'
	teu-runtime run --bundle $(DEMO_DIR) teu-demo-$$$$

bench:
	$(PYTHON) bench/runtime_run.py

clean:
	rm -rf build dist src/*.egg-info .pytest_cache .ruff_cache
