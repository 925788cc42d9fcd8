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

# command:Debian package. ffmpeg and ffprobe for media (Debian's ffmpeg has
# libflite, which the transcription tests speak with); systemd-analyze, systemd-sysusers and
# systemd-tmpfiles check the units and snippets; lintian and strip (binutils)
# check and build the Debian package, made for Debian's /usr/bin/python3;
# fakeroot lets a user other than root install it into a throwaway root.
SYSTEM_DEPS := ffmpeg:ffmpeg ffprobe:ffmpeg systemd-analyze:systemd lintian:lintian strip:binutils \
	fakeroot:fakeroot /usr/bin/python3:python3

system-deps:
	@missing=""; for dep in $(SYSTEM_DEPS); do \
	  command -v "$${dep%%:*}" >/dev/null 2>&1 || missing="$$missing $${dep#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,stickers,transcribe]'
	touch $(STAMP)

venv: $(STAMP)

test: system-deps $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

demo: system-deps $(STAMP)
	$(PY) -m fakegram.demo

clean:
	rm -rf $(VENV) demo-vault .fakegram-demo
