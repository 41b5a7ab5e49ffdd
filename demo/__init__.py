"""The demo companies of `make run` and `manage.py seed_demo`.

The top layer (import-linter: platform < accounts < agreements < projects < invoicing <
reporting < demo): it may import every app and no app imports it. One module per app's data
(`demo.accounts`, `demo.agreements`, `demo.projects`, `demo.invoicing`), each building its rows
through that app's services, in that order.
"""
