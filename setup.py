"""Package list: trust/ and surveys/ as found, plus the top-level static/ as surveys.static."""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["trust", "trust.*", "surveys", "surveys.*"]),
        "surveys.static",
    ]
)
