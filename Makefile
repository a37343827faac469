# lingo — the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: install run lint test deploy-test bench bench-scale bench-instructions clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate setup.cfg pyproject.toml
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,deploy,aliyun,tencent]'
	touch $@

install: $(VENV)/.installed

## Development server on 127.0.0.1:5000: SQLite in instance/, console SMS sender.
run: install
	LINGO_ENV=development $(FLASK) db upgrade
	LINGO_ENV=development LINGO_SMS_BACKEND=console $(FLASK) run --host 127.0.0.1 --port 5000

## ruff (lint + format check) and mypy on lingo/ (settings in pyproject.toml).
lint: install
	$(BIN)/ruff check lingo && $(BIN)/ruff format --check lingo && $(BIN)/mypy

## lint, then the whole suite: SQLite always; MySQL/MariaDB and Redis too when
## LINGO_TEST_MYSQL_URL / LINGO_TEST_REDIS_URL are set (as .ci/run does).
## Two pytest-xdist workers, a test file per worker at a time (each worker has
## its own databases): about half the time on two cores.
PYTEST_WORKERS ?= -n 2 --dist loadfile
test: install lint
	$(BIN)/pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

## Production stack on loopback: private MariaDB + Redis, 2 gunicorn instances
## (2 workers each) behind nginx (nginx and chromium installed with apt-get when missing); 12 checks.
deploy-test: install
	$(BIN)/python deploy/deploy_test.py

## The bench extra on top of install: Flask-Security-Too, for bench/reference.py's
## peer app (fst_read). Only `make bench` installs it; `make test` and CI do not.
$(VENV)/.bench-installed: $(VENV)/.installed setup.cfg
	$(BIN)/python -m pip install -q -e '.[test,deploy,aliyun,tencent,bench]'
	touch $@

## Throughput as ratios to the ceiling (bench/run.py): needs MariaDB and Redis
## on 127.0.0.1 (own database and keys, removed afterwards). Not part of `make test`.
bench: install $(VENV)/.bench-installed
	$(BIN)/python bench/run.py $(BENCH_ARGS)

## The same cases on a database filled through SQL to 1M users, 3M sessions (6M tokens),
## 1M codes and 1M counters, side by side with the small one, and EXPLAIN of every statement
## (bench/scale.py, about 6 min on 2 cores). Own databases and keys, removed afterwards. Not part of `make test`.
bench-scale: install
	$(BIN)/python bench/scale.py $(BENCH_ARGS)

## Instructions per request in the worker, counted by callgrind (bench/instructions.py):
## the same for the same code whatever else the machine runs. Needs valgrind; ~1 min a case.
bench-instructions: install
	$(BIN)/python bench/instructions.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache *.egg-info
