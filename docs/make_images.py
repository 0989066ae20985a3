"""Regenerate the pictures in docs/images/ with the project's own plotting code.

    python docs/make_images.py

* ``live_loss_curve.png`` and ``live_loss_multilabel.png``: the final frames of
  the live curves, as stored in the executed notebooks 04 and 05 (drawn there by
  ``lossviz.viz.LiveLossPlot``);
* ``live_classification.png``: the final frame of notebook 07's live curve (``Model.fit``:
  training and validation loss, accuracy and one recall line per class);
* ``loss_explorer.png``: ``draw_explorer`` for SmoothL1Loss and CosineEmbeddingLoss;
* ``outliers.png``: ``draw_comparison`` of L1/MSE/SmoothL1 with 10% outliers.
"""
import base64
import json
from pathlib import Path

from lossviz.viz import compare_losses, draw_comparison, draw_explorer, loss_curves, new_figure

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images"


def final_frame(notebook, marker):
    """The PNG output of the code cell whose source contains ``marker``."""
    nb = json.loads((ROOT / "notebooks" / notebook).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and marker in "".join(cell["source"]):
            for output in cell["outputs"]:
                if "image/png" in output.get("data", {}):
                    return base64.b64decode(output["data"]["image/png"])
    raise LookupError(f"no image output under {marker!r} in {notebook}")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "live_loss_curve.png").write_bytes(final_frame("04_training_with_a_loss.ipynb", "LiveLossPlot(title="))
    (OUT / "live_loss_multilabel.png").write_bytes(final_frame("05_multilabel_training.ipynb", "LiveLossPlot(title="))
    (OUT / "live_classification.png").write_bytes(final_frame("07_classification.ipynb",
                                                              'LiveLossPlot(title="CrossEntropyLoss"'))
    for name, curves in (("loss_explorer.png", loss_curves("SmoothL1Loss", beta=1.0)),
                         ("loss_explorer_cosine.png", loss_curves("CosineEmbeddingLoss", margin=0.5))):
        fig = draw_explorer(new_figure(figsize=(8.0, 2.9), dpi=80), curves)
        fig.savefig(OUT / name, format="png", dpi=fig.dpi)
    fig = draw_comparison(new_figure(figsize=(8.5, 3.0), dpi=80), compare_losses(0.1))
    fig.savefig(OUT / "outliers.png", format="png", dpi=fig.dpi)
    for path in sorted(OUT.glob("*.png")):
        print(path.relative_to(ROOT), path.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
