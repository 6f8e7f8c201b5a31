"""Province-scale benchmark data (``manage.py generate_scale_data``), see docs/benchmark.md."""
