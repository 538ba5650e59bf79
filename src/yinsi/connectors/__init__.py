"""Adapters to the stores that hold an app's PI: SQL, Redis, HTTP webhooks."""
