# The two set-up commands: `make demo` and `make test`. Both work on a fresh
# Debian machine with nothing installed by hand: they create the virtual
# environment, install the Python packages and the Debian packages they need.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
PYTEST_ARGS ?=

.PHONY: test demo system-deps venv clean

system-deps:
	@command -v ffmpeg >/dev/null 2>&1 || { \
	  echo "installing Debian packages: ffmpeg"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq ffmpeg >/dev/null; }

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

test: system-deps $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

demo: system-deps $(STAMP)
	$(PY) -m fakegram.demo

clean:
	rm -rf $(VENV) demo-vault .fakegram-demo
