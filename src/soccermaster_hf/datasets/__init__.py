"""SoccerFactory on 🤗 datasets: builders for every source the paper trains on, Hub-ready Parquet shards with typed
features, and the collates that turn records into model inputs.

    from soccermaster_hf.datasets import GSRBuilder, write_dataset, SpatialCollate
    write_dataset(GSRBuilder("SoccerNetGS/train"), "gsr-train")            # or: soccermaster dataset build
    records = datasets.load_dataset("gsr-train", "spatial", split="train")  # anywhere, without this package
    batch = SpatialCollate(512, media_root="SoccerNetGS")(records.select(range(2)))

See ``docs/datasets.md`` for the layout, the schema and the choices behind it.
"""

from .base import BuildContext, Builder, BuildReport, Unit
from .build import BUILDERS, DatasetBuildArguments, build_dataset, make_builder
from .collate import (
    MediaRoot,
    RecordClips,
    Records,
    SemanticCollate,
    SemanticDecoder,
    SpatialCollate,
    SpatialDecoder,
    StreamingClips,
    StreamingRecords,
    load_records,
    open_clips,
    read_info,
    spatial_records_from_arrow,
)
from .features import FEATURES as FEATURES_BY_CONFIG
from .features import (
    MATCHTIME_CAPTION_TO_KEYWORD,
    SCHEMA_VERSION,
    SEMANTIC,
    SEMANTIC_FEATURES,
    SPATIAL,
    SPATIAL_FEATURES,
)
from .semantic import MatchTimeBuilder, SoccerNetV2Builder, UniSoccerBuilder
from .spatial import CalibrationBuilder, GSRBuilder, SNMOTBuilder, SoccerFactoryBuilder
from .synth import SynthBuilder
from .writer import dataset_card, push_to_hub, write_dataset

__all__ = [
    # builders
    "BUILDERS", "Builder", "BuildContext", "BuildReport", "Unit", "GSRBuilder", "SNMOTBuilder", "CalibrationBuilder",
    "SoccerFactoryBuilder", "SoccerNetV2Builder", "MatchTimeBuilder", "UniSoccerBuilder", "SynthBuilder",
    # writing and the command's arguments
    "DatasetBuildArguments", "build_dataset", "make_builder", "write_dataset", "dataset_card", "push_to_hub",
    # schema
    "SCHEMA_VERSION", "SPATIAL", "SEMANTIC", "SPATIAL_FEATURES", "SEMANTIC_FEATURES", "FEATURES_BY_CONFIG",
    "MATCHTIME_CAPTION_TO_KEYWORD",
    # reading
    "load_records", "read_info", "Records", "MediaRoot", "SpatialDecoder", "SemanticDecoder", "SpatialCollate",
    "SemanticCollate", "RecordClips", "StreamingClips", "StreamingRecords", "open_clips", "spatial_records_from_arrow",
]
