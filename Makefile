# The two commands of the README. Both set up everything on a fresh machine (venv, torch CPU wheel, project).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test setup

$(BIN)/veilleur: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch first, pinned: a looser spec would pull a multi-GB CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	touch $(BIN)/veilleur

setup: $(BIN)/veilleur

# Crawl the demo brand's saved pages (served locally), classify, route, alert (to a local sink), report.
demo: setup
	$(BIN)/veilleur demo

# The whole test suite, on SQLite and on a local PostgreSQL (installed from apt and started when possible); the
# distributed mode's tests also start Redis servers (redis-server installed from apt).
test: setup
	@tests/install_chromium.sh
	@url=$$(tests/start_postgres.sh) || url=""; \
	if [ -n "$$url" ]; then echo "PostgreSQL: $$url"; else echo "PostgreSQL unavailable: its tests will be skipped"; fi; \
	redis=$$(tests/start_redis.sh) || redis=""; \
	if [ -n "$$redis" ]; then echo "Redis: $$redis"; else echo "redis-server unavailable: the distributed tests will be skipped"; fi; \
	VEILLEUR_TEST_POSTGRES_URL="$$url" VEILLEUR_TEST_REDIS_SERVER="$$redis" $(BIN)/python -m pytest
