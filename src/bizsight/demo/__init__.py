"""Synthetic demo data with known ground truth.

``generate(out_dir, customers=..., years=..., seed=..., dirty=...)`` writes the eight files of
the canonical model, ``ground_truth.json`` (every process parameter, and per file the defects
and what an ingester must do with them) and ``ground_truth_customers.parquet`` (each customer's
latent BG/NBD and Gamma-Gamma values). See docs/demo-data.md.
"""

from __future__ import annotations

from bizsight.demo.generator import (
    CUSTOMER_TRUTH_FILE,
    FILES,
    MAX_DIRTY,
    TRUTH_FILE,
    Progress,
    generate,
)

__all__ = ["CUSTOMER_TRUTH_FILE", "FILES", "MAX_DIRTY", "TRUTH_FILE", "Progress", "generate"]
