"""The demo practice for `manage.py seed_demo`."""

from seeding.demo.seed import DemoResult, SignIn, demo_practice_seed

__all__ = ["DemoResult", "SignIn", "demo_practice_seed"]
