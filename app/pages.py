"""The one page registry: navigation (app/streamlit_app.py) and the Home cards are both built from PAGES.

Adding a page = its package in app_pages/ (page.py + its sections) + one `PageSpec` here + its AppTest in tests/app/test_<stem>.py
(tests/test_pages.py checks all three). Plain data, no streamlit import, so tests can read it directly.
Icons are emoji: Material icons load their font from the internet, which the app must not need.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PageSpec:
    """One page: where its script is, how navigation shows it, and what its Home card says."""

    file: str  # relative to app/, e.g. "app_pages/vae/page.py"
    title: str  # sidebar and card title
    icon: str  # an emoji
    url_path: str  # "" for the default page (served at /)
    group: str  # navigation section
    card: str = ""  # Home-card text; Home itself has none

    @property
    def key(self) -> str:
        """The page's short name ("vae"): its package's name, the first part of its session-state keys."""
        path = Path(self.file)
        return path.parent.name if path.name == "page.py" else path.stem

    @property
    def default(self) -> bool:
        return self.url_path == ""


PAGES: tuple[PageSpec, ...] = (
    PageSpec("app_pages/home/page.py", "Home", "🏠", "", "Explore"),
    PageSpec(
        "app_pages/your_data/page.py",
        "Your data",
        "📁",
        "your-data",
        "Explore",
        "Import your own images from a zip or a folder (one subfolder per class gives labels, a flat folder "
        "none): see the classes, a few images of each and what is skipped before anything is written, then "
        "use them on every page.",
    ),
    PageSpec(
        "app_pages/denoising/page.py",
        "Denoising autoencoders",
        "🧽",
        "denoising",
        "Autoencoders",
        "Corrupt digits with Gaussian, salt-and-pepper or masking noise and watch a convolutional autoencoder "
        "undo it; PSNR against noise level for a denoising AE, a plain AE and a median filter; upload your "
        "own image; the encoder's latent space; train one live.",
    ),
    PageSpec(
        "app_pages/gan/page.py",
        "GANs",
        "🎭",
        "gan",
        "Generative models",
        "Sample a DCGAN, walk between samples in z-space, check its samples against their nearest training "
        "images, count their classes (mode coverage) and FID in a classifier's features; train one live "
        "and watch D(x), D(G(z)) and a fixed-noise grid evolve.",
    ),
    PageSpec(
        "app_pages/vae/page.py",
        "Variational autoencoders",
        "🌀",
        "vae",
        "Generative models",
        "Walk along each latent of a VAE (sorted by KL) or drag its sliders, map and lasso-select test codes, "
        "interpolate linearly and on the sphere, sample at any temperature, see the ELBO split into "
        "reconstruction and KL, an honest IWAE likelihood, and β-VAE disentanglement (MIG) on shapes.",
    ),
    PageSpec(
        "app_pages/pixelcnn/page.py",
        "PixelCNN",
        "🧩",
        "pixelcnn",
        "Generative models",
        "Watch a PixelCNN paint digits pixel by pixel, complete half-hidden images, map the exact per-pixel "
        "likelihood of a digit, a shape and noise, and see the blind spot of masked convolutions that the "
        "gated version removes; train one live.",
    ),
    PageSpec(
        "app_pages/embeddings/page.py",
        "Embedding explorer",
        "🗺️",
        "embeddings",
        "Representations",
        "See what any encoder learned: PCA, t-SNE or UMAP maps (2-D or 3-D) with the images on them, two "
        "encoders side by side with linked selection, lasso → gallery with label counts, neighbours of a test "
        "image or your upload, and a kNN / linear-probe table beside the pixel, PCA and random baselines.",
    ),
    PageSpec(
        "app_pages/self_supervised/page.py",
        "Self-supervised learning",
        "🔁",
        "self-supervised",
        "Representations",
        "SimCLR and MoCo: pairs of views with strength sliders, the InfoNCE game (similarity matrix, the softmax "
        "at any temperature, hardest negatives), MoCo's queue ages; rotation, jigsaw, context and colorisation "
        "doing their tasks; train live and watch the test-set map organise itself, with a collapse alarm.",
    ),
    PageSpec(
        "app_pages/clustering/page.py",
        "Clustering",
        "🧮",
        "clustering",
        "Representations",
        "Cluster any encoder's features with k-means, a Gaussian mixture, Ward, spectral or HDBSCAN (after UMAP "
        "if you like), score the clusters against the hidden labels (ACC, NMI, ARI), choose k by silhouette, "
        "elbow and BIC, look inside each cluster, and watch DeepCluster's rounds and guards live.",
    ),
    PageSpec(
        "app_pages/semi_supervised/page.py",
        "Semi-supervised",
        "🏷️",
        "semi-supervised",
        "Representations",
        "A few labels and many unlabelled images: pick the label budget and see the labelled images, FixMatch's "
        "weak and strong views, a model's pseudo-labels (right and wrong), label propagation over any encoder "
        "in seconds, accuracy against the label budget per method, and FixMatch or Mean Teacher trained live.",
    ),
    PageSpec(
        "app_pages/few_shot/page.py",
        "Few-shot",
        "🎯",
        "few-shot",
        "Representations",
        "Learn a class from one example: build N-way K-shot episodes of unseen classes (drawn or hand-picked), "
        "play one against the model, see its decision regions and distances, slide through MAML's inner "
        "steps, benchmark ProtoNet, matching, MAML and fine-tuning over 600 episodes, and meta-train live.",
    ),
)


def groups() -> dict[str, list[PageSpec]]:
    """Pages by navigation section, sections in order of their first page."""
    grouped: dict[str, list[PageSpec]] = {}
    for spec in PAGES:
        grouped.setdefault(spec.group, []).append(spec)
    return grouped


def cards() -> list[PageSpec]:
    """The pages Home links to: every page but the default one."""
    return [spec for spec in PAGES if not spec.default]


def page_of(script: str | Path) -> PageSpec:
    """The entry of a page script, from its `__file__`: how a page learns its own key."""
    path = Path(script).resolve()
    for spec in PAGES:
        if path == (Path(__file__).parent / spec.file).resolve():
            return spec
    raise KeyError(f"{script} is not registered in app/pages.py")
