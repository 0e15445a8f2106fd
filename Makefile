.PHONY: bench test convert
bench:
	.venv/bin/python benchmarks/validate_large.py
	.venv/bin/python benchmarks/convert_large.py
test:
	.venv/bin/python -m pytest -q
convert:
	.venv/bin/cdisc-map convert
