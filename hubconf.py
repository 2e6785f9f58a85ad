"""torch.hub entry points of srlib (the CSRCNN companion).

::

    import torch
    net = torch.hub.load("/path/to/clone", "csrcnn", scale=2, source="local")              # committed weights
    net = torch.hub.load("/path/to/clone", "csrcnn", scale=8, source="local", pretrained=False)  # untrained
    levels = net(lr)          # lr: (B, 3, H, W) RGB in [0, 1]; a list of the x2, x4, ... images
    sr = levels[-1].clamp(0, 1)

The pretrained weights are the committed reference results, ``results/reference/x<scale>/``
(see its README.md for how they were trained and how far they are from the paper). They are
stored in fp16 and loaded into the float32 model. For whole images with the paper's protocol
(tiling, grey / alpha handling, MATLAB rounding) use ``srlib.inference.load_upscaler`` or
``python -m srlib upscale`` instead of calling the network directly.
"""
from __future__ import annotations

from pathlib import Path

dependencies = ["torch", "numpy", "safetensors"]

_ROOT = Path(__file__).resolve().parent
_WEIGHTS = "results/reference/x{scale}/weights_fp16.safetensors"


def reference_weights(scale: int) -> Path:
    """Path of the committed reference weights for ``scale`` (which may not exist yet)."""
    return _ROOT / _WEIGHTS.format(scale=int(scale))


def csrcnn(scale: int = 2, pretrained: bool = True, device: str = "cpu", **kwargs):
    """The paper's CSRCNN (64 channels, U blocks 6/4/2, one refined block per level; the
    ``reference`` profile's architecture, with its bicubic image skip) for ``scale`` 2, 4 or 8.

    Args:
        scale: 2, 4 or 8 (an x8 cascade also produces the x2 and x4 images).
        pretrained: load the committed reference weights ``results/reference/x<scale>/``;
            ``False`` returns the untrained network (``kwargs`` override the architecture then).
        device: where the model is put.

    Returns:
        ``srlib.models.csrcnn.CSRCNN`` in eval mode; ``forward`` returns the images of every
        level, smallest first.

    Raises:
        FileNotFoundError: ``pretrained=True`` and no weights are committed for ``scale`` yet.
        ValueError: ``scale`` is not 2, 4 or 8.
    """
    scale = int(scale)
    if scale not in (2, 4, 8):
        raise ValueError(f"CSRCNN scales are 2, 4 and 8, got {scale}")
    if pretrained:
        if kwargs:
            raise ValueError(f"architecture options {sorted(kwargs)} only apply with pretrained=False")
        path = reference_weights(scale)
        if not path.is_file():
            raise FileNotFoundError(
                f"no pretrained CSRCNN x{scale} is committed yet: {path.relative_to(_ROOT)} is missing "
                f"(issue 6: the x4 and x8 stages are trained on GPU windows with scripts/gpu_stage.sh). "
                f"Use pretrained=False for the untrained model.")
        from srlib.inference import load_checkpoint

        loaded = load_checkpoint(path, device=device)
        net = loaded.model.model  # unwrap the FadeBlend (committed weights are never mid-fade)
        if float(loaded.metadata.get("fade_alpha", 1.0)) < 1.0:
            raise ValueError(f"{path} was saved mid fade-in (alpha {loaded.metadata['fade_alpha']}); "
                             "use srlib.inference.load_checkpoint")
        return net.float().eval()
    from srlib.models import build_model
    from srlib.training import preset

    name, model_kwargs = preset("reference", scale).model_spec(scale)
    model_kwargs.update(kwargs)
    return build_model(name, **model_kwargs).to(device).eval()
