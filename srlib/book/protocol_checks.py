"""Checks of the evaluation protocol itself (the protocol chapter, the method page).

:func:`matlab_lr_check` compares :func:`srlib.imresize` with MATLAB's own LR files;
:func:`protocol_deviations` measures how much each common departure from the paper's protocol
(:data:`PROTOCOL_DEVIATIONS`) moves the Bicubic scores.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from PIL import Image

from ..data import data_root, dataset_paths, load_image, make_lr
from ..evaluation import bicubic_upscaler
from ..matlab import imresize, modcrop, quantize
from ..metrics import evaluate_pair, ssim

__all__ = ["matlab_lr_check", "PROTOCOL_DEVIATIONS", "protocol_deviations"]


def matlab_lr_check(root: Path | str | None = None) -> pd.DataFrame:
    """Compare :func:`srlib.imresize` with every MATLAB-made LR file under the data root.

    The shared data holds MATLAB's own bicubic LR images for Set5 (x2, x3, x4, x8) and Set14
    (x2, x3, x4) in ``benchmark/<set>/LR_bicubic/X<s>/<name>x<s>.png``. The x8 files were made
    from ``im2double`` images (one rounding at the end), the others on uint8 (MATLAB rounds
    after each 1-D pass); both code paths are reproduced here.

    Returns one row per file: ``dataset, scale, image, matlab_path, identical, max_abs_diff``
    (empty when no LR files are present).
    """
    base = data_root(root)
    rows = []
    for dataset in ("Set5", "Set14"):
        lr_root = base / "benchmark" / dataset / "LR_bicubic"
        for scale in (2, 3, 4, 8):
            folder = lr_root / f"X{scale}"
            if not folder.is_dir():
                continue
            path = "double" if scale == 8 else "uint8"
            for hr_path in sorted((base / "benchmark" / dataset / "HR").glob("*.png")):
                lr_path = folder / f"{hr_path.stem}x{scale}.png"
                if not lr_path.is_file():
                    continue
                hr = modcrop(load_image(hr_path), scale)
                if path == "uint8":
                    ours = imresize(hr, 1 / scale)
                else:
                    ours = quantize(imresize(hr.astype(np.float64) / 255.0, 1 / scale))
                theirs = load_image(lr_path)
                same_shape = ours.shape == theirs.shape
                diff = int(np.abs(ours.astype(int) - theirs.astype(int)).max()) if same_shape else -1
                rows.append({"dataset": dataset, "scale": scale, "image": hr_path.stem, "matlab_path": path,
                             "identical": bool(same_shape and diff == 0), "max_abs_diff": diff})
    return pd.DataFrame(rows, columns=["dataset", "scale", "image", "matlab_path", "identical", "max_abs_diff"])


#: The common departures from the paper's protocol that :func:`protocol_deviations` measures.
PROTOCOL_DEVIATIONS = {
    "protocol": "the paper's protocol (MATLAB bicubic LR on uint8, Y channel, MATLAB SSIM)",
    "lr_pillow": "LR made with Pillow's bicubic instead of MATLAB's",
    "lr_float": "LR made with MATLAB's bicubic in floating point, rounded once at the end",
    "rgb": "PSNR / SSIM on the RGB channels instead of Y",
    "ssim_valid": "SSIM averaged over the valid window only (BasicSR / KAIR)",
}


def _rgb_scores(sr: np.ndarray, hr: np.ndarray, shave: int) -> tuple[float, float]:
    """PSNR over the three RGB channels together, SSIM (MATLAB window) averaged over them."""
    a = sr[shave:-shave, shave:-shave].astype(np.float64)
    b = hr[shave:-shave, shave:-shave].astype(np.float64)
    mse = float(np.mean((a - b) ** 2))
    p = math.inf if mse == 0 else 10.0 * math.log10(255.0**2 / mse)
    channels = sr.shape[2] if sr.ndim == 3 else 1
    s = float(np.mean([ssim(sr[..., c], hr[..., c], shave=shave) for c in range(channels)])) if sr.ndim == 3 \
        else ssim(sr, hr, shave=shave)
    return p, s


def protocol_deviations(dataset: str = "Set5", scales: Sequence[int] = (2, 4, 8), *,
                        root: Path | str | None = None, limit: int | None = None) -> pd.DataFrame:
    """How much each common departure from the paper's protocol moves the Bicubic scores.

    For every image of ``dataset`` and every scale, the Bicubic baseline (MATLAB bicubic
    upscaling) is scored with the paper's protocol and with each departure of
    :data:`PROTOCOL_DEVIATIONS` taken alone: the LR image made by Pillow's bicubic, the LR image
    made by MATLAB's bicubic in floating point with a single rounding (what "MATLAB-like" ports
    that skip MATLAB's rounding between the two 1-D passes compute), PSNR / SSIM on RGB instead
    of Y, and BasicSR's "valid" SSIM window.

    Returns one row per ``deviation x scale``: ``deviation, description, scale, psnr, ssim,
    psnr_diff, ssim_diff`` (means over the images; differences are the deviation minus the
    protocol), ``images``.
    """
    paths = dataset_paths(dataset, root)[:limit]
    rows = []
    for s in scales:
        acc: dict[str, list[tuple[float, float]]] = {k: [] for k in PROTOCOL_DEVIATIONS}
        for path in paths:
            img = load_image(path)
            hr, lr = make_lr(img, int(s))
            sr = bicubic_upscaler(lr, int(s))
            base = evaluate_pair(sr, hr, int(s))
            acc["protocol"].append((base.psnr, base.ssim))
            acc["ssim_valid"].append((base.psnr, evaluate_pair(sr, hr, int(s), ssim_window="valid").ssim))
            acc["rgb"].append(_rgb_scores(sr, hr, int(s)))
            hr_m = modcrop(img, int(s))
            size = (hr_m.shape[1] // int(s), hr_m.shape[0] // int(s))
            if hr_m.ndim == 3 and hr_m.shape[2] == 1:
                pil_lr = np.asarray(Image.fromarray(hr_m[..., 0]).resize(size, Image.BICUBIC))[..., None]
            else:
                pil_lr = np.asarray(Image.fromarray(hr_m).resize(size, Image.BICUBIC))
            r = evaluate_pair(bicubic_upscaler(pil_lr, int(s)), hr, int(s))
            acc["lr_pillow"].append((r.psnr, r.ssim))
            float_lr = quantize(imresize(hr_m.astype(np.float64) / 255.0, 1 / int(s)))
            r = evaluate_pair(bicubic_upscaler(float_lr, int(s)), hr, int(s))
            acc["lr_float"].append((r.psnr, r.ssim))
        p0, s0 = (float(np.mean([v[i] for v in acc["protocol"]])) for i in (0, 1))
        for key, values in acc.items():
            p, q = float(np.mean([v[0] for v in values])), float(np.mean([v[1] for v in values]))
            rows.append({"deviation": key, "description": PROTOCOL_DEVIATIONS[key], "scale": int(s), "psnr": p,
                         "ssim": q, "psnr_diff": p - p0, "ssim_diff": q - s0, "images": len(values)})
    return pd.DataFrame(rows)
