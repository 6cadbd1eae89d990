"""The parent side of the trust boundary: starting, confining, talking to and killing workers.

``isolation`` plans the strongest isolation this machine offers; ``zygote`` starts the
zygote (or fresh interpreters) inside it; ``process`` is one live worker; ``session`` keeps
one student module loaded in a worker; ``remote`` is that module as a check calls it (the
``student`` fixture).  The other halves, which run inside the sandbox, are the modules of
the same names in ``autograder.worker``.
"""
