"""Every public function of trust/ shows how it is called, and every module has examples.

The examples themselves run as doctests: pytest collects trust/ with --doctest-modules
(pyproject.toml), so a module whose examples fail, or a new module, is run without a list
to keep here. These tests notice what --doctest-modules cannot: examples that are missing.
"""

import doctest
import importlib
import inspect
import pkgutil

import pytest

import trust

FUNCTIONS = [name for name in trust.__all__ if inspect.isfunction(getattr(trust, name))]
MODULES = [m.name for m in pkgutil.iter_modules(trust.__path__) if not m.name.startswith("_")]


def _examples(obj) -> int:
    """How many doctest examples the docstrings of ``obj`` (and what it holds) carry."""
    return sum(len(test.examples) for test in doctest.DocTestFinder().find(obj))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_public_function_has_an_examples_section_that_runs(name):
    function = getattr(trust, name)
    assert "\nExamples\n--------\n" in inspect.getdoc(function)
    assert _examples(function) > 0


@pytest.mark.parametrize("name", MODULES)
def test_every_public_module_has_doctest_examples(name):
    assert _examples(importlib.import_module(f"trust.{name}")) > 0


def test_the_checks_above_see_every_module_and_function():
    assert {"reliability", "instrument", "table"} <= set(MODULES)
    assert {"cronbach_alpha", "load_instrument", "analyze"} <= set(FUNCTIONS)


# trust.instrument's loaders are left to the instrument module's own owner and tests.
DOCUMENTED = [name for name in FUNCTIONS if getattr(trust, name).__module__ != "trust.instrument"]


@pytest.mark.parametrize("name", DOCUMENTED)
def test_public_functions_have_numpydoc_parameters_and_returns(name):
    doc = inspect.getdoc(getattr(trust, name))
    assert "\nParameters\n----------\n" in doc
    assert "\nReturns\n-------\n" in doc
