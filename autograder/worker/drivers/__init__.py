"""Drivers: grader code that runs *inside the worker*, next to the student's module.

A driver is ``def name(worker, *args, **kwargs) -> plain data``, called through
``student.drive("module:name", ...)`` in a suite.  ``worker.module`` is the student's
module, ``worker.lookup(name)`` one of its functions or classes (or the protocol's
``MissingFunction``), ``worker.objects`` a dict in which drivers may keep student objects
between calls (handles), ``worker.display`` the module's path for messages.  Drivers run
beside untrusted code: they must return plain data only, and like all of
``autograder.worker`` they import nothing of the grader outside this package.

Where a driver has a parent half, it has the same name in ``autograder.checks``:
``modules`` (handles on student objects), ``forbidden`` (aten ops recorded while student
code runs), ``device`` (the accelerator or fake-device run), ``training`` (a trained
network described as plain data; the parent rebuilds it).
"""
