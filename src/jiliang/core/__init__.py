"""The pure computational core: no Django, no I/O. Dataclasses and NumPy in, results out."""
