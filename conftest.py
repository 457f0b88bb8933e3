"""pytest collects the docstring examples of the package (``--doctest-modules``), importing each
module on its own to do so. Left out: Alembic's migration environment, a script that runs only
inside Alembic (it holds no examples), and the test suite's conftest files, which pytest loads
as plugins already (collected again for doctests, same-named ones clash)."""

collect_ignore = ["src/bizsight/app/migrations/env.py"]
collect_ignore_glob = ["tests/**/conftest.py", "tests/conftest.py"]
