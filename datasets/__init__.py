"""The documents microgpt trains on: known sets (downloaded once and cached) or a user's file.

    from microgpt_tui.datasets import resolve_dataset
    dataset = resolve_dataset(data=args.data, name=args.dataset)
    dataset.docs, dataset.chars, dataset.description
"""

from microgpt_tui.datasets.cache import cache_dir
from microgpt_tui.datasets.dataset import Dataset
from microgpt_tui.datasets.errors import DatasetError
from microgpt_tui.datasets.files import load_file
from microgpt_tui.datasets.listing import describe_datasets, list_datasets
from microgpt_tui.datasets.named import load_named, resolve_dataset
from microgpt_tui.datasets.registry import KNOWN_DATASETS

__all__ = [
    "KNOWN_DATASETS",
    "Dataset",
    "DatasetError",
    "cache_dir",
    "describe_datasets",
    "list_datasets",
    "load_file",
    "load_named",
    "resolve_dataset",
]
