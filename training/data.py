"""Load each task's data, from local files (the default, offline) or a public dataset name, one code path.

    rows = load_task("topic", "validation")            # ../shared/data/ag_news/validation.jsonl.gz
    rows = load_task("topic", "test", source="hub")    # datasets.load_dataset("ag_news") for users with network

Both go through `datasets.load_dataset` and come out with one schema per task:

    topic:   {"title", "text", "label"}            label: a topic name
    stance:  {"claim", "body", "body_id", "label"} label: agree / disagree / discuss / unrelated
    summary: {"id", "article", "highlights"}       highlights: one reference sentence per line

The local data folder is `--data-dir`, else $PRESSLENS_DATA_DIR, else `../shared/data` beside the repo.
"""

from __future__ import annotations

import os
from pathlib import Path

LOCAL_FOLDERS = {"topic": "ag_news", "stance": "fnc1", "summary": "cnn_dailymail"}
# Public names for users who can reach the hub. FNC-1 has no canonical hub copy: local files only.
HUB_DATASETS = {"topic": ("ag_news", None), "summary": ("abisee/cnn_dailymail", "3.0.0")}
TASKS = tuple(LOCAL_FOLDERS)


def default_data_dir() -> Path:
    env = os.environ.get("PRESSLENS_DATA_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def local_file(task: str, split: str, data_dir: str | Path | None = None) -> Path:
    folder = Path(data_dir) if data_dir else default_data_dir()
    path = folder / LOCAL_FOLDERS[task] / f"{split}.jsonl.gz"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: pass --data-dir (or set PRESSLENS_DATA_DIR) to the folder holding "
            f"{LOCAL_FOLDERS[task]}/{split}.jsonl.gz, or use --source hub where the network allows"
        )
    return path


def load_task(task: str, split: str, data_dir: str | Path | None = None, source: str = "local"):
    """Return a `datasets.Dataset` in the task's common schema (see module docstring)."""
    import datasets  # a [train] extra: imported here so `training` can be inspected without it

    if task not in LOCAL_FOLDERS:
        raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")
    if source == "local":
        path = local_file(task, split, data_dir)
        raw = datasets.load_dataset("json", data_files={split: str(path)}, split=split)
    elif source == "hub":
        if task not in HUB_DATASETS:
            raise ValueError(f"task {task!r} has no public hub dataset; use local files (--source local)")
        name, config = HUB_DATASETS[task]
        raw = datasets.load_dataset(name, config, split=split)
    else:
        raise ValueError(f"source must be 'local' or 'hub', got {source!r}")
    return _normalise(task, raw)


def _normalise(task: str, raw):
    columns = set(raw.column_names)
    if task == "topic":
        if "description" in columns:  # the local AG News files: title + description, label names
            return raw.map(
                lambda r: {"title": r["title"], "text": r["description"], "label": r["label"]},
                remove_columns=[c for c in raw.column_names if c not in ("title", "label")],
            )
        # hub ag_news: "text" is "title description" and labels are class ids
        names = raw.features["label"].names
        hub_names = {"Sci/Tech": "Sci/Tech", "Sci_Tech": "Sci/Tech"}
        return raw.map(
            lambda r: {"title": "", "text": r["text"], "label": hub_names.get(names[r["label"]], names[r["label"]])}
        )
    if task == "stance":
        return raw.map(
            lambda r: {"claim": r["headline"], "body": r["body"], "label": r["stance"]},
            remove_columns=["headline", "stance"],
        )
    keep = {"id", "article", "highlights"}
    return raw.remove_columns([c for c in raw.column_names if c not in keep])
