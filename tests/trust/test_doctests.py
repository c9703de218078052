"""Every Examples section in trust/ runs and prints what its docstring says."""

import doctest
import importlib

import pytest

MODULES = ["scoring", "reliability", "agreement", "multilevel", "descriptives", "estimation",
           "change", "analysis", "table", "instrument"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run_as_written(name):
    module = importlib.import_module(f"trust.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    if name != "instrument":
        assert result.attempted > 0
