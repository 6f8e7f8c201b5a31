# Phú Yên CCHC coordination portal
# The interpreter .venv is made from (.ci/python: the distribution's optimised Python 3 when
# it is 3.11 or newer); `make PYTHON=python3.12 install` after removing .venv chooses another.
PYTHON ?= $(shell ./.ci/python)
export PYTHON
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DEMO_PASSWORD ?= PhuYen@CCHC2024
export DEMO_PASSWORD

.PHONY: bench demo demo-2025 seed-2025 sso-demo test install system-deps system-deps-demo migrate seed serve lint format check messages scaleout

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# Debian packages (.ci/system-deps): installed when missing (as root, or through sudo when it
# asks no password); otherwise make stops with the exact command to run. `make demo` needs
# Pango and gettext; `make test` also Chromium, poppler-utils and Redis (E2E_OPTIONAL=1 lets
# it go on without Chromium, the browser tests reported as not run).
system-deps:
	./.ci/system-deps test

system-deps-demo:
	./.ci/system-deps demo

messages: install system-deps-demo
	$(PY) manage.py compilemessages --ignore=.venv -v0

migrate: install messages
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py createcachetable

# Seeding runs its jobs at once (no mail to send later: the demo's history is not news).
seed: migrate
	TASKS_BACKEND=immediate EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend $(PY) manage.py seed_demo

# The web server and one job worker (docs/jobs.md); Ctrl+C stops both. They run as production
# does where a user sees it (DEBUG off: the portal's own 404/403/500 pages), and the links in
# e-mails lead to http://127.0.0.1:$(PORT) (agencies/management/commands/run_demo.py).
demo: system-deps-demo seed
	@echo "Cổng điều phối CCHC đang chạy tại http://127.0.0.1:$(PORT), cùng một worker xử lý công việc nền (Ctrl+C để dừng cả hai)"
	DEMO_MODE=1 MFA_REQUIRED=0 $(PY) manage.py run_demo 127.0.0.1:$(PORT)

# The demo after the 2025 reorganisation (issue 15): the same history, then the three plans of
# reorg/plans/ applied in order, so the portal stands in Đắk Lắk today (README, "The 2025
# scenario"). Its own database and files, so `make demo` keeps the province as it was.
DEMO_2025_ENV = SQLITE_PATH=$(CURDIR)/db.sqlite3-2025 MEDIA_ROOT=$(CURDIR)/media/scenario-2025

seed-2025: install messages
	$(DEMO_2025_ENV) $(PY) manage.py migrate --noinput -v0
	$(DEMO_2025_ENV) $(PY) manage.py createcachetable
	$(DEMO_2025_ENV) TASKS_BACKEND=immediate EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend $(PY) manage.py seed_demo --scenario 2025

demo-2025: system-deps-demo seed-2025
	@echo "Cổng điều phối CCHC (kịch bản sắp xếp 2025) đang chạy tại http://127.0.0.1:$(PORT), cùng một worker xử lý công việc nền (Ctrl+C để dừng cả hai)"
	$(DEMO_2025_ENV) DEMO_MODE=1 MFA_REQUIRED=0 $(PY) manage.py run_demo 127.0.0.1:$(PORT)

# The demo with the test LDAP directory and OpenID Connect provider beside it (docs/sso.md).
sso-demo: system-deps seed
	DEMO_MODE=1 MFA_REQUIRED=0 $(PY) tests/sso_demo.py 127.0.0.1:$(PORT)

test: system-deps install messages
	$(PY) manage.py makemigrations --check --dry-run -v0
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check: install
	$(PY) manage.py check

# Province-scale benchmark (issues 7 and 14; docs/benchmark.md): 20,000 items and 60 bodies
# compared with 2,000; BENCH_SCALE=5 for 100,000 items and 150 bodies compared with 20,000;
# BENCH_SCALE=0.1 for a quick run; BENCH_DB=sqlite for SQLite. Pages use Redis as their shared
# cache (BENCH_CACHE, a database of its own, emptied by the run; BENCH_CACHE=db: the database
# cache). Every figure is printed beside its target and written to bench/results/.
BENCH_DB ?= postgres
BENCH_SCALE ?= 1.0
BENCH_CACHE ?= redis://127.0.0.1:6379/14
bench: install messages
	$(PY) bench/run.py --db $(BENCH_DB) --scale $(BENCH_SCALE) --cache $(BENCH_CACHE)

# Two app servers and two workers over one PostgreSQL database and one shared media folder,
# a mixed load, a worker killed mid-job (docs/deployment.md). Needs PostgreSQL at 127.0.0.1.
scaleout: install messages
	$(PY) bench/scaleout.py
