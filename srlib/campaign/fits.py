"""The saturation law of PSNR against training compute, ``psnr = p_inf - a * compute ** -b``:
its least-squares fit, the bootstrap interval of its ceiling, its value at a compute and the
compute at which it reaches a PSNR."""
from __future__ import annotations

import math
from typing import Any

__all__ = ["FIT_CEILING_MARGIN", "FIT_B_MIN", "fit_saturation", "fit_saturation_interval", "saturation_psnr",
           "compute_to_reach"]

#: Bounds of :func:`fit_saturation`: the ceiling lies at most this far above the best point (dB),
#: and the exponent ``b`` is at least :data:`FIT_B_MIN`.
FIT_CEILING_MARGIN = 10.0
FIT_B_MIN = 1e-3


def fit_saturation(compute, psnr) -> dict[str, float]:
    """Least-squares fit of ``psnr = p_inf - a * compute ** -b`` (``a, b > 0``): the PSNR a model
    approaches with unlimited training compute. ``compute`` in any positive unit (the fit's
    ``a`` depends on it). Returns ``{"p_inf", "a", "b", "rmse", "identified"}``; ``identified``
    is False when the fit ran to a bound (the ceiling :data:`FIT_CEILING_MARGIN` dB above the best
    point, or ``b`` at :data:`FIT_B_MIN`): the points do not bend towards a ceiling, so ``p_inf``
    is only the bound and no extrapolation should be read from it."""
    import numpy as np
    from scipy.optimize import curve_fit

    c = np.asarray(compute, dtype=float)
    y = np.asarray(psnr, dtype=float)
    if len(c) < 4:
        raise ValueError(f"need at least 4 points to fit 3 parameters, got {len(c)}")
    scale = float(np.median(c))
    x = c / scale

    def model(x, p_inf, log_a, b):
        return p_inf - np.exp(log_a) * x ** (-b)

    top = float(y.max())
    p0 = (top + 0.3, np.log(max(float(y.max() - y.min()), 1e-3)), 0.5)
    params, _ = curve_fit(model, x, y, p0=p0, bounds=([top, -20, FIT_B_MIN], [top + FIT_CEILING_MARGIN, 10, 5]),
                          maxfev=20000)
    p_inf, log_a, b = (float(v) for v in params)
    rmse = float(np.sqrt(np.mean((model(x, *params) - y) ** 2)))
    identified = p_inf < top + 0.99 * FIT_CEILING_MARGIN and b > 2 * FIT_B_MIN
    return {"p_inf": p_inf, "a": float(np.exp(log_a) * scale**b), "b": b, "rmse": rmse, "identified": identified}


def fit_saturation_interval(compute, psnr, sigma, n: int = 300, level: float = 0.95, seed: int = 0,
                            at: float | None = None) -> dict[str, Any]:
    """How far the ceiling of :func:`fit_saturation` can move when each point is off by noise of
    standard deviation ``sigma`` dB (a parametric bootstrap: ``n`` refits of the fitted curve plus
    Gaussian noise; ``sigma``: one value, or one per point). Returns ``{"low", "high"}`` (the
    central ``level`` interval of the ceiling; ``inf`` when more than its upper tail ran to the
    bound), ``"unidentified"`` (the share of refits that did) and ``"samples"`` (the refitted
    ceilings, ``inf`` for those); with ``at`` (a compute, same unit) also ``"at_low"``,
    ``"at_high"`` and ``"at_samples"``: the same for the refitted curves' PSNR at that compute."""
    import numpy as np

    c, y = np.asarray(compute, dtype=float), np.asarray(psnr, dtype=float)
    fit = fit_saturation(c, y)
    curve = saturation_psnr(fit, c)
    rng = np.random.default_rng(seed)
    samples, at_samples = [], []
    for _ in range(n):
        refit = fit_saturation(c, curve + rng.normal(0.0, sigma, size=len(c)))
        samples.append(refit["p_inf"] if refit["identified"] else math.inf)
        if at is not None:
            at_samples.append(saturation_psnr(refit, at) if refit["identified"] else math.inf)
    tail = (1.0 - level) / 2.0

    def central(values):
        values = np.sort(np.array(values))
        return values, *(float(np.quantile(values, q, method="lower" if q < 0.5 else "higher"))
                         for q in (tail, 1 - tail))

    samples, low, high = central(samples)
    out = {"low": low, "high": high, "unidentified": float(np.mean(np.isinf(samples))), "samples": samples}
    if at is not None:
        out["at_samples"], out["at_low"], out["at_high"] = central(at_samples)
    return out


def saturation_psnr(fit: dict[str, float], compute):
    """The fitted curve of :func:`fit_saturation` at ``compute`` (same unit as the fit's):
    ``p_inf - a * compute ** -b`` dB."""
    return fit["p_inf"] - fit["a"] * compute ** -fit["b"]


def compute_to_reach(fit: dict[str, float], target: float) -> float:
    """Compute at which the fitted curve reaches ``target`` PSNR (``inf`` at or above ``p_inf``)."""
    gap = fit["p_inf"] - target
    if gap <= 0:
        return float("inf")
    return (fit["a"] / gap) ** (1.0 / fit["b"])
