"""Sub-commands of the `jiliang` CLI that do not need Django (pure-core tools).

Each module here defines ``register(subparsers)``, which adds its sub-parser and sets
``func`` (a callable taking the parsed args and returning an exit code). ``jiliang.cli``
discovers the modules with pkgutil, so adding a module adds a command.
"""
