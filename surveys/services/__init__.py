"""The product's rules: waves, responses, invitations, rosters, teams, accounts, results,
anonymity. Views and commands call these; nothing here knows about requests or pages.

One rule for transactions: a service that a view or a command calls commits its own work
before it returns (one call, one transaction), or changes nothing and raises; views and
commands never commit or roll back. The steps of a larger transaction (``results.store`` and
the storage rewrites of ``anonymity``, run inside ``waves.close``) never commit, and say so.
"""
