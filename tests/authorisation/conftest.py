from tests.verification.conftest import Province, province, signed_in  # noqa: F401  (fixtures and helpers)
