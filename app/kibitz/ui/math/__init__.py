"""LaTeX math in messages: formulas drawn as images by a pure-Python TeX renderer (ziamath).

The renderer loads when the first formula is drawn, never at start-up.
"""

from kibitz.ui.math.formula_image import FormulaImage, FormulaStyle, render_formula
from kibitz.ui.math.image_cache import FormulaCache
from kibitz.ui.math.tex_limits import MAX_TEX_CHARS, refusal_reason

__all__ = [
    "MAX_TEX_CHARS",
    "FormulaCache",
    "FormulaImage",
    "FormulaStyle",
    "refusal_reason",
    "render_formula",
]
