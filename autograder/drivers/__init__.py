"""Drivers: grader code that runs *inside the worker*, next to the student's module.

A driver is ``def name(worker, *args, **kwargs) -> plain data``, called through
``student.drive("module:name", ...)`` in a suite.  ``worker.module`` is the student's
module, ``worker.objects`` a dict in which drivers may keep student objects between calls
(handles), ``worker.display`` the module's path for messages.  Drivers run beside untrusted
code: they must return plain data only, and must not import references or suites.
"""
