"""Performance scores and verdicts of ISO 13528:2022 §9 (vectorised).

Divisions by zero give NaN ("no score"), never an exception: a participant who alone
makes the reference value has no meaningful En.
"""

from __future__ import annotations

import numpy as np

SATISFACTORY = "satisfactory"
QUESTIONABLE = "questionable"
UNSATISFACTORY = "unsatisfactory"


def _ratio(num, den):
    num = np.asarray(num, float)
    den = np.broadcast_to(np.asarray(den, float), num.shape)
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def z_score(x, x_pt, sigma_pt):
    """z = (x − x_pt)/σ_pt (ISO 13528:2022 §9.4)."""
    return _ratio(np.asarray(x, float) - x_pt, sigma_pt)


def z_prime_score(x, x_pt, sigma_pt, u_x_pt):
    """z′ = (x − x_pt)/sqrt(σ_pt² + u²(x_pt)) (§9.5)."""
    return _ratio(np.asarray(x, float) - x_pt, np.sqrt(sigma_pt**2 + u_x_pt**2))


def zeta_score(x, u_x, x_pt, u_x_pt):
    """ζ = (x − x_pt)/sqrt(u²(x) + u²(x_pt)) (§9.6)."""
    return _ratio(np.asarray(x, float) - x_pt, np.sqrt(np.asarray(u_x, float) ** 2 + u_x_pt**2))


def en_number(x, U_x, x_pt, U_x_pt):
    """E_n = (x − x_pt)/sqrt(U²(x) + U²(x_pt)) with expanded uncertainties (§9.7)."""
    return _ratio(np.asarray(x, float) - x_pt, np.sqrt(np.asarray(U_x, float) ** 2 + U_x_pt**2))


def en_from_doe(d, U_d):
    """E_n = d_i / U(d_i): the §9.7 number using the degree-of-equivalence uncertainty,
    which accounts for a participant's own share in the reference value."""
    return _ratio(d, U_d)


def z_verdict(score):
    """|z| ≤ 2 satisfactory, 2 < |z| < 3 questionable, |z| ≥ 3 unsatisfactory (§9.4.2);
    empty string where there is no score."""
    a = np.abs(np.asarray(score, float))
    return np.select([a <= 2.0, a < 3.0, a >= 3.0], [SATISFACTORY, QUESTIONABLE, UNSATISFACTORY], default="")


def en_verdict(score):
    """|E_n| ≤ 1 satisfactory, |E_n| > 1 unsatisfactory (§9.7.2)."""
    a = np.abs(np.asarray(score, float))
    return np.select([a <= 1.0, a > 1.0], [SATISFACTORY, UNSATISFACTORY], default="")
