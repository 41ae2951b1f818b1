#!/usr/bin/env python3
"""The scikit-learn anchor of bench/ai_score.sh: what a careful data scientist gets on the
same spreadsheet, the same label, the same excluded columns and the same split as
`ondo model evaluate`.

Two pipelines, both fitted on the training rows only:
  * HistGradientBoostingClassifier with native categorical support (categorical columns
    ordinal-encoded, passed as categorical_features; missing values left to the model),
    default parameters;
  * LogisticRegression on one-hot categoricals (missing as its own level, levels seen
    fewer than 10 times grouped), median-imputed numbers with missing indicators,
    standardised; C tuned by 5-fold inner cross-validation on AUC.

`Select` means "not chosen" in the X Education data (see its SOURCE.md): read as missing.

Usage: sklearn_anchor.py --csv FILE --label COLUMN [--exclude A,B] --seed N
                         [--split FILE] [--holdout 0.2]
With --split (the JSON `ondo model evaluate --split-out` writes: 0-based data-row indices
of "train" and "test") both tools use exactly the same rows; without it a stratified split
is drawn here for the seed. Prints one JSON object: seed, hgb_auc, lr_auc, lr_c, seconds.
"""

import argparse
import json
import sys
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

MISSING = ["Select", "", "NA", "N/A", "null"]


def load(path, label, exclude):
    df = pd.read_csv(path, na_values=MISSING, keep_default_na=True, low_memory=False)
    # Positions stay those of the file's data rows (what --split-out writes); rows
    # without a label are simply never in a split.
    y = df[label].fillna(-1).astype(int).to_numpy()
    X = df.drop(columns=[label, *exclude])
    # Columns with one value (or none) carry nothing.
    X = X.loc[:, X.nunique(dropna=True) > 1]
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    numeric = [c for c in X.columns if c not in categorical]
    return X, y, numeric, categorical


def hgb(numeric, categorical, seed):
    encode = ColumnTransformer(
        [
            (
                "cat",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value",
                    unknown_value=np.nan,
                    encoded_missing_value=np.nan,
                ),
                categorical,
            ),
            ("num", "passthrough", numeric),
        ]
    )
    mask = [True] * len(categorical) + [False] * len(numeric)
    return make_pipeline(
        encode,
        HistGradientBoostingClassifier(categorical_features=mask, random_state=seed),
    )


def logistic(numeric, categorical, seed):
    encode = ColumnTransformer(
        [
            (
                "cat",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="constant", fill_value="(missing)")),
                        (
                            "onehot",
                            OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10),
                        ),
                    ]
                ),
                categorical,
            ),
            (
                "num",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="median", add_indicator=True)),
                        ("scale", StandardScaler()),
                    ]
                ),
                numeric,
            ),
        ]
    )
    model = LogisticRegressionCV(
        Cs=np.logspace(-3, 2, 11),
        cv=StratifiedKFold(5, shuffle=True, random_state=seed),
        scoring="roc_auc",
        max_iter=5000,
    )
    return make_pipeline(encode, model)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--csv", required=True)
    p.add_argument("--label", required=True)
    p.add_argument("--exclude", default="")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--split")
    p.add_argument("--holdout", type=float, default=0.2)
    a = p.parse_args()
    exclude = [c.strip() for c in a.exclude.split(",") if c.strip()]
    X, y, numeric, categorical = load(a.csv, a.label, exclude)
    if a.split:
        with open(a.split) as f:
            split = json.load(f)
        train, test = np.array(split["train"]), np.array(split["test"])
    else:
        labelled = np.flatnonzero(y >= 0)
        train, test = train_test_split(
            labelled, test_size=a.holdout, stratify=y[labelled], random_state=a.seed
        )
    started = time.perf_counter()
    out = {"seed": a.seed, "rows_train": int(len(train)), "rows_test": int(len(test))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, make in (("hgb", hgb), ("lr", logistic)):
            model = make(numeric, categorical, a.seed)
            model.fit(X.iloc[train], y[train])
            scores = model.predict_proba(X.iloc[test])[:, 1]
            out[f"{name}_auc"] = float(roc_auc_score(y[test], scores))
            if name == "lr":
                out["lr_c"] = float(model[-1].C_[0])
    out["seconds"] = round(time.perf_counter() - started, 2)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
