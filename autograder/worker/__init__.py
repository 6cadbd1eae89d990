"""The untrusted side of the trust boundary: everything that runs inside the sandbox.

The zygote (``zygote``) imports only numpy/torch and forks one worker per request; each
worker (``child``) confines itself (``isolation``), imports one student module and answers
requests (``protocol``) with plain data (``wire``), running the grader's drivers
(``drivers/``) next to the student's code when a check needs more than one call.

This package imports nothing of the grader outside itself (only the standard library,
numpy and torch): the sandbox binds ``autograder/__init__.py`` and this folder, and nothing
else of the kit, into the worker's filesystem (``tests/worker/test_boundary.py`` checks it).
Its parent halves live in ``autograder.sandbox`` and ``autograder.checks``, under the same
names.
"""
