"""The demo vendor (株式会社ミライクラウド and its partners): seeding only, installed in development and tests.

Production settings leave this app out, so nothing the product serves can import it. Each module seeds
one part of the story (partners, deals, programs, incentives, enablement, mapping, then health, which
replays what the others made); `data` holds the people and companies they share. `./kyoso run` seeds
the demo with `manage.py seed_demo`; `manage.py demo_totp` prints the demo admin's current code.
"""
