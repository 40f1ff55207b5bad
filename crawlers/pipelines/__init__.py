"""Item pipelines, one class per module, ordered in crawlers/settings.py."""
