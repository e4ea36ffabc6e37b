# teu: install, test, demo. Run as root on Debian 12.
PYTHON ?= python3
DEMO_DIR ?= /tmp/teu-demo

.PHONY: deps install test lint demo bench clean

deps:            ## Debian packages (peers, busybox, libseccomp)
	apt-get update -q
	grep -v '^\s*#' deps/debian-packages.txt | grep . | xargs apt-get install -y -q --no-install-recommends
	sh deps/cosign.sh
	sh deps/vm-kernel.sh

install:         ## teu itself, editable, with the test tools
	$(PYTHON) -m pip install -q -e '.[test]'
	$(PYTHON) -m teu.launchers

lint:
	$(PYTHON) -m ruff check src tests bench

test: lint       ## the test command CI runs
	$(PYTHON) -m pytest -q -ra --durations=25

demo:            ## make a busybox base locally; build the example shop and bring it up (teu compose)
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	$(PYTHON) -c "from teu.testing import busybox; busybox.make_rootfs('$(DEMO_DIR)/rootfs')"
	tar -C $(DEMO_DIR)/rootfs -c . | teu import -c 'CMD ["sh"]' - teu-demo/busybox:latest
	sh examples/shop/demo.sh

bench:
	$(PYTHON) bench/runtime_run.py

clean:
	rm -rf build dist src/*.egg-info .pytest_cache .ruff_cache
