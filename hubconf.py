"""torch.hub entry points of srlib (the CSRCNN companion).

::

    import torch
    net = torch.hub.load("/path/to/clone", "csrcnn", scale=2, source="local")              # committed weights
    net = torch.hub.load("/path/to/clone", "csrcnn", scale=8, source="local", pretrained=False)  # untrained
    levels = net(lr)          # lr: (B, 3, H, W) RGB in [0, 1]; a list of the x2, x4, ... images
    sr = levels[-1].clamp(0, 1)

The pretrained weights are the best committed result for the scale (the higher stored Set5
PSNR of ``results/campaign/x<scale>/``, the CPU campaign, and ``results/reference/x<scale>/``;
``weights="campaign"`` or ``"reference"`` picks one; each folder's provenance.json says how it
was trained and how far it is from the paper). They are stored in fp16 and loaded into the
float32 model; the architecture is read from the weights' header. For whole images with the paper's protocol
(tiling, grey / alpha handling, MATLAB rounding) use ``srlib.inference.load_upscaler`` or
``python -m srlib upscale`` instead of calling the network directly.
"""
from __future__ import annotations

from pathlib import Path

dependencies = ["torch", "numpy", "safetensors"]

_ROOT = Path(__file__).resolve().parent
_WEIGHTS = "results/{kind}/x{scale}/weights_fp16.safetensors"
_KINDS = ("best", "campaign", "reference")


def _checked_scale(scale) -> int:
    """``scale`` if it is the int 2, 4 or 8; else a ValueError saying what is accepted (``2.5`` is
    not rounded to 2, ``'x4'`` and ``None`` are not guessed at)."""
    import numbers

    if isinstance(scale, numbers.Integral) and not isinstance(scale, bool) and int(scale) in (2, 4, 8):
        return int(scale)
    raise ValueError(f"CSRCNN scales are 2, 4 and 8 (an int), got {scale!r}")


def reference_weights(scale: int) -> Path:
    """Path of the committed reference weights for ``scale`` (which may not exist yet)."""
    return _ROOT / _WEIGHTS.format(kind="reference", scale=int(scale))


def committed_weights(scale: int, weights: str = "best") -> Path:
    """Path of the committed weights ``weights`` (``'best'``, ``'campaign'``, ``'reference'``)
    for ``scale``; ``'best'`` is :func:`srlib.published.best`'s pick (the highest stored Set5
    PSNR, the default of ``srlib upscale`` too). Raises ``FileNotFoundError`` naming the missing file(s)."""
    if weights not in _KINDS:
        raise ValueError(f"weights must be one of {_KINDS}, got {weights!r}")
    from srlib import published  # imported on use: torch.hub imports this file before checking `dependencies`

    pick = published.best(int(scale), _ROOT / "results", kind=None if weights == "best" else weights)
    if pick is None:
        kinds = ("campaign", "reference") if weights == "best" else (weights,)
        missing = " or ".join(_WEIGHTS.format(kind=k, scale=int(scale)) for k in kinds)
        raise FileNotFoundError(
            f"no pretrained CSRCNN x{scale} is committed yet: {missing} is missing (the CPU campaign, "
            f"srlib.campaign, and scripts/gpu_stage.sh train them). Use pretrained=False for the untrained model.")
    return pick.weights


def csrcnn(scale: int = 2, pretrained: bool = True, device: str = "cpu", weights: str = "best",
           profile: str = "reference", **kwargs):
    """CSRCNN for ``scale`` 2, 4 or 8: the best committed weights, or an untrained network.

    Args:
        scale: 2, 4 or 8 (an x8 cascade also produces the x2 and x4 images).
        pretrained: load committed weights (``weights``: ``'best'``, ``'campaign'`` or
            ``'reference'``; the architecture comes from their header). ``False`` returns the
            untrained network of the training ``profile`` (default ``'reference'``: the paper's
            64 channels, U blocks 6/4/2, one refined block per level, bicubic image skip;
            ``kwargs`` override the architecture then).
        device: where the model is put.

    Returns:
        ``srlib.models.csrcnn.CSRCNN`` in eval mode; ``forward`` returns the images of every
        level, smallest first.

    Raises:
        FileNotFoundError: ``pretrained=True`` and no weights are committed for ``scale`` yet.
        ValueError: ``scale`` is not 2, 4 or 8.
    """
    scale = _checked_scale(scale)
    if pretrained:
        if kwargs:
            raise ValueError(f"architecture options {sorted(kwargs)} only apply with pretrained=False")
        path = committed_weights(scale, weights)
        from srlib.inference import load_checkpoint

        loaded = load_checkpoint(path, device=device)
        net = loaded.model.model  # unwrap the FadeBlend (committed weights are never mid-fade)
        if float(loaded.metadata.get("fade_alpha", 1.0)) < 1.0:
            raise ValueError(f"{path} was saved mid fade-in (alpha {loaded.metadata['fade_alpha']}); "
                             "use srlib.inference.load_checkpoint")
        return net.float().eval()
    from srlib.models import build_model
    from srlib.training import preset

    name, model_kwargs = preset(profile, scale).model_spec(scale)
    model_kwargs.update(kwargs)
    return build_model(name, **model_kwargs).to(device).eval()
