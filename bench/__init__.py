"""Province-scale benchmark (issue 7): ``make bench`` runs ``bench/run.py``."""
