"""The product's rules: waves, responses, invitations, rosters, teams, accounts, results,
anonymity. Views and commands call these; nothing here knows about requests or pages.

One rule for transactions: a public function here that changes the database commits its
own work before it returns (one call, one transaction), or changes nothing and raises; views
and commands never commit or roll back. Private helpers (leading underscore) never commit.
"""
