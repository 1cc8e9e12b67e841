"""Iris processing: python -m src.pipelines.data_pipeline --output PATH.

Loads the Iris data set sklearn ships (150 rows, no download), checks it, gives each row a
stable id, the species name and a stratified train/test split (seeded), and writes it as
one Parquet file at PATH, the step's `dataset` output artifact, which the orchestrator
stores in its artifact repository and hands to training and batch inference.

Why pandas, not PySpark as seed 002 does: 150 rows need no cluster, and a JVM plus Spark
would add about 400 MB to the image and ~20 s of start-up to every step for nothing.
Why a Parquet artifact, not Delta Lake (the seed) nor an Iceberg table on lakeFS (dfp's
data plane): the pipeline (pipelines/iris.ts) passes the dataset between its steps as an
artifact, so the orchestrator versions it with the run; dfp defines no Iris table or lakeFS
repository, and nothing in dfp reads Delta. Moving Iris onto the data plane means an
IcebergTable in the definitions first, then this step writing it.
"""

import sys

from src.pipelines.common import FEATURES, SPECIES, Parser, StepError, run, write_atomically

SEED = 42


def process():
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split

    iris = load_iris(as_frame=True)
    df = iris.frame.rename(columns=dict(zip(iris.feature_names, FEATURES))).rename(columns={"target": "label"})
    if len(df) != 150 or df.isna().any().any():
        raise StepError("sklearn's Iris data set is not the expected 150 complete rows")
    if (df[list(FEATURES)] <= 0).any().any():
        raise StepError("sklearn's Iris data set has non-positive measurements")
    df.insert(0, "sample_id", [f"iris-{i:03d}" for i in range(len(df))])
    df["label"] = df["label"].astype("int32")
    df["species"] = df["label"].map(dict(enumerate(SPECIES)))
    train, _ = train_test_split(df["sample_id"], test_size=0.2, random_state=SEED, stratify=df["label"])
    df["split"] = df["sample_id"].isin(set(train)).map({True: "train", False: "test"})
    return df


def main(argv=None):
    ap = Parser(prog="data_pipeline", description="Iris processing.")
    ap.add_argument("--output", required=True)
    args = ap.parse_args(argv)

    def step():
        df = process()
        write_atomically(args.output, lambda tmp: df.to_parquet(tmp, index=False))
        print(f'{{"rows": {len(df)}, "train": {int((df.split == "train").sum())}, "test": {int((df.split == "test").sum())}, "output": "{args.output}"}}', flush=True)
        return 0

    return run("data_pipeline", step)


if __name__ == "__main__":
    sys.exit(main())
