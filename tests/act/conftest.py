"""The facilitator fixtures (world, login, make_wave, add_responses) for the act views."""

from tests.facilitate.conftest import add_responses, login, make_wave, world  # noqa: F401
