# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# (exercise-answers)=
# # Answers to the exercises
#
# The expected outcomes folded under the {doc}`../exercises` are computed here, by running each
# exercise's code as that page writes it (`srlib.book.exercises`), with the book's profile. Read
# this page after you have written your predictions. The exercises that time a network
# (exercise 4) or compare two trainings that the ablation chapters already stored (exercise 5)
# take their answers from those chapters instead: from {ref}`the claims chapter <claims>`.
#
# ```{admonition} Learning objectives
# :class: tip
# After this page you can
#
# * check your predictions for the exercises against numbers computed by the exercises' own code;
# * judge a difference against the noise of the measurement that produced it.
# ```

# %% tags=["parameters"]
profile = "quick"
device = "auto"
runs_dir = "runs"

# %% tags=["remove-cell"]
from srlib import book

shared = book.shared_parameters(globals())  # a bad parameter stops the notebook here, in one line

# %%
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")

import numpy as np
import pandas as pd
from myst_nb import glue

from srlib.book.exercises import run_exercise
from srlib.evaluation import bicubic_upscaler, evaluate

answers = {}
setting = {"profile": repr(profile)}

# %% [markdown]
# ## 1. Remove only the back-projection subtraction

# %%
one = run_exercise(1, setting, runs_dir=runs_dir, device=device, keep_blocks=True)  # its block loads its weights
set5_x4 = {name: evaluate(run.upscaler(4), "Set5", 4, progress=False).psnr for name, run in one["runs"].items()}
glue("ex1_bp_u", float(set5_x4["BP-U"]), display=False)
glue("ex1_t_u", float(set5_x4["T-U"]), display=False)
glue("ex1_no_subtraction", float(set5_x4["no subtraction"]), display=False)
nearer = "BP-U" if abs(set5_x4["no subtraction"] - set5_x4["BP-U"]) < abs(set5_x4["no subtraction"] - set5_x4["T-U"]) \
    else "T-U"
glue("ex1_nearer", nearer, display=False)
for name, run in one["runs"].items():
    print(run.provenance(f"Exercise 1, {name}").line())
answers[1] = pd.Series(set5_x4).rename("Set5 x4 PSNR (dB), seed 0")
book.styled(answers[1].to_frame(), f"Exercise 1: the three networks, profile {profile}, one seed", "answers-1",
            precision=3)

# %% [markdown]
# One seed each: the difference must be read against the seed spread of Table II before it says
# anything about the subtraction.
#
# ## 2. The resizer

# %%
two = run_exercise(2, runs_dir=runs_dir, device=device)
pillow, matlab = float(np.mean(two["scores"])), evaluate(bicubic_upscaler, "Set5", two["s"], progress=False).psnr
glue("ex2_pillow", pillow, display=False)
glue("ex2_matlab", float(matlab), display=False)
glue("ex2_difference", pillow - float(matlab), display=False)
book.styled(pd.DataFrame({"Set5 x8 PSNR (dB)": [pillow, matlab]}, index=["Pillow, both ways", "MATLAB's bicubic"]),
            "Exercise 2: the Bicubic row with another resizer", "answers-2", precision=4)

# %% [markdown]
# ## 6. Without the image skip

# %%
six = run_exercise(6, setting, runs_dir=runs_dir, device=device)
noskip = evaluate(six["run"].upscaler(2), "Set5", 2, progress=False).psnr
bicubic_x2 = evaluate(bicubic_upscaler, "Set5", 2, progress=False).psnr
glue("ex6_noskip", float(noskip), display=False)
glue("ex6_minus_bicubic", float(noskip - bicubic_x2), display=False)
glue("ex6_steps", int(six["run"].summary["steps"]), display=False)
book.styled(pd.DataFrame({"Set5 x2 PSNR (dB)": [noskip, bicubic_x2]}, index=["x2 stage without the skip", "bicubic"]),
            f"Exercise 6: the x2 stage without the image skip, profile {profile}", "answers-6", precision=3)

# %% [markdown]
# ## 7. The paper's parameter counts

# %%
seven = run_exercise(7, runs_dir=runs_dir, device=device)
from srlib.param_counts import paper_consistency

counts = paper_consistency(include_ours=True).set_index("quantity")
for key, quantity in [("third_r0", "U block, 3rd (R0 rows)"), ("additive_u2tr0", "U2TR0 U2TR0 if the counts were additive"),
                      ("refined_first", "refined block, R0->R1 (U3 rows)"),
                      ("refined_second", "refined block, R1->R2 (U3 rows)")]:
    glue(f"ex7_{key}", float(counts.loc[quantity, "paper_k"]), display=False)
