"""Demo organisation (placeholder until the demo data lands)."""


def seed_if_empty():
    return {}


def describe(info, base):
    return f"Serving on {base}"
