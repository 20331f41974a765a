"""`jiliang audit`: the audit app's own command line (``jiliang.audit.cli``)."""

from jiliang.audit.cli import cmd_checkpoint, cmd_verify, main, register

__all__ = ["cmd_checkpoint", "cmd_verify", "main", "register"]
