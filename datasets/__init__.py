"""The documents microgpt trains on: known sets (downloaded once and cached) or a user's file.

From a sibling package such as tui/:

    from ..datasets import resolve_dataset
    dataset = resolve_dataset(data=args.data, name=args.dataset)
    dataset.docs, dataset.chars, dataset.description
"""

from .cache import cache_dir
from .dataset import Dataset
from .errors import DatasetError, printable
from .files import MAX_DATA_BYTES, load_file
from .listing import describe_datasets, list_datasets
from .named import load_named, resolve_dataset
from .registry import KNOWN_DATASETS

__all__ = [
    "KNOWN_DATASETS",
    "MAX_DATA_BYTES",
    "Dataset",
    "DatasetError",
    "cache_dir",
    "describe_datasets",
    "list_datasets",
    "load_file",
    "load_named",
    "printable",
    "resolve_dataset",
]
