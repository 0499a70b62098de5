# OmniSat for QGIS. Every target runs the set-up it needs, so `make demo` and `make test`
# work first thing on a fresh Debian 12 machine.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export QT_QPA_PLATFORM ?= offscreen
export OMNISAT_REPO := $(CURDIR)

.PHONY: setup system-deps demo test test-fast bench bench-accuracy gpu-check translations lint package install-plugin clean

setup: $(STAMP)

# QGIS 3.22 LTR from Debian; its Python bindings belong to /usr/bin/python3.
system-deps:
	@if ! /usr/bin/python3 -c "import qgis.core" 2>/dev/null || ! command -v xvfb-run >/dev/null \
			|| ! command -v pdftoppm >/dev/null || ! ls /usr/lib/*/libjemalloc.so.2 >/dev/null 2>&1 \
			|| ! { command -v nginx >/dev/null || test -x /usr/sbin/nginx; }; then \
		echo "Installing QGIS, python3-qgis, python3-venv, xvfb, jemalloc, poppler-utils, nginx-light from Debian..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
			qgis python3-qgis python3-venv xvfb libjemalloc2 poppler-utils nginx-light >/dev/null; \
	fi

$(STAMP): pyproject.toml | system-deps
	@test -x $(PY) || /usr/bin/python3 -m venv --system-site-packages $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	@touch $(STAMP)

demo: setup
	$(PY) -m demo.run

test: setup
	$(PY) -m pytest -q -p no:cacheprovider tests

bench: setup
	$(PY) -m bench.run all

bench-accuracy: setup
	$(PY) -m bench.run accuracy

# The CUDA path on this machine's GPU (bench/gpu_check; docs/performance.md, "GPU check") → bench/out/gpu-check/.
# Needs only PyTorch: no set-up, the venv's Python when there is one, else python3 with the packages of
# $(GPU_WHEELS) installed offline first (tools/gpu_wheels.py). DEVICE=cpu: small sizes (part of make test).
DEVICE ?= cuda
GPU_WHEELS ?= bench/gpu-wheels
GPU_PYTHON ?= $(if $(wildcard $(PY)),$(PY),python3)
gpu-check:
	@if [ -f "$(GPU_WHEELS)/requirements.txt" ]; then $(GPU_PYTHON) -m tools.gpu_wheels install --wheels $(GPU_WHEELS); fi
	$(GPU_PYTHON) -m bench.gpu_check --device $(DEVICE) \
		$$( [ -d "$(GPU_WHEELS)/site" ] && echo --site "$(GPU_WHEELS)/site" ) $(GPU_CHECK_ARGS)

translations: setup
	$(PY) -m tools.translations update && $(PY) -m tools.translations compile

lint: setup
	$(PY) -m ruff check runner omnisat_qgis tests bench demo
	$(PY) -m flake8 --max-line-length 120 omnisat_qgis runner
	$(PY) -m bandit -q -r omnisat_qgis runner

package: setup
	$(PY) -m tools.package_plugin --out dist

install-plugin: package
	$(PY) -m tools.package_plugin --install

clean:
	rm -rf dist build *.egg-info demo/out bench/out
