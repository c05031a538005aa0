"""dul_models: data, models, training, checkpoints and evaluation for DUL Explorer.

The library never imports streamlit: everything the app shows can be produced from Python or the CLI.
"""

__version__ = "0.1.0"
