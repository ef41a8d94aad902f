# pedpatterns: two commands for a newcomer, `make demo` and `make test`.
# A thin alias for tools/make.py, which does the work with the standard library alone, so Windows needs no make:
#   py -3.11 tools\make.py demo
# Another Python: make demo PYTHON=python3.11. Extra arguments: make test ARGS="-k speakers".

PYTHON ?= python3
TARGETS := demo test test-fast doctor install speakers openai-whisper labelstudio lint bench docs screenshots lock clean

.PHONY: help $(TARGETS)

help:
	@$(PYTHON) tools/make.py --help

$(TARGETS):
	@$(PYTHON) tools/make.py $@ $(if $(ARGS),-- $(ARGS))
