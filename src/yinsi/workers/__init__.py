"""Celery workers and beat: the entry point that runs :mod:`yinsi.services.jobs` off the
request path (``yinsi worker``, ``yinsi beat``; :mod:`yinsi.workers.app`).

Like the API and the web pages, a task only parses its arguments and calls one job of the
services; the job's code is the same one the in-process queue runs.
"""
