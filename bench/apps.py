from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The province-scale benchmark: its data generator (``manage.py generate_scale_data``)
    reads every app, so it lives above them, not inside one."""

    name = "bench"
    verbose_name = "Benchmark"
