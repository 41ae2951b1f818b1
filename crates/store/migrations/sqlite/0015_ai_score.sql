-- The AI score: model versions learnt from a workspace's own outcomes (one active), the
-- runs that train them, the workspace's AI settings, and each lead's probability with
-- its reasons.

-- Every trained model is kept with its metrics; exactly one per workspace is active
-- (rollback: activate an older one).
CREATE TABLE ai_models (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    -- 1, 2, 3… per workspace.
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    created_by INTEGER,
    -- logistic_regression | gradient_boosting (ondo_ml::model::ModelKind).
    kind TEXT NOT NULL,
    -- Labelled leads it learnt from, and how many of them became opportunities.
    rows_used INTEGER NOT NULL,
    positives INTEGER NOT NULL,
    cv_auc REAL,
    holdout_auc REAL,
    -- JSON: candidates with their cross-validated AUC, the holdout's gain and
    -- calibration curves and counts.
    metrics TEXT NOT NULL DEFAULT '{}',
    -- JSON: the model, and the feature space it reads leads with.
    model TEXT NOT NULL,
    space TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT FALSE,
    note TEXT NOT NULL DEFAULT '',
    UNIQUE (workspace_id, id),
    UNIQUE (workspace_id, version)
);
CREATE UNIQUE INDEX ai_models_one_active ON ai_models (workspace_id) WHERE active;

-- A training, requested from the web, the CLI or the schedule; the durable job that
-- runs it is in `jobs`.
CREATE TABLE ai_training_runs (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    -- queued | running | done | failed
    state TEXT NOT NULL,
    -- manual | schedule | cli
    requested_via TEXT NOT NULL,
    -- loading | training | scoring: what the run is doing now.
    phase TEXT,
    progress_done INTEGER NOT NULL DEFAULT 0,
    progress_total INTEGER NOT NULL DEFAULT 0,
    -- What the run came to, in Japanese and English (e.g. too few outcomes).
    message_ja TEXT,
    message_en TEXT,
    requested_by INTEGER,
    job_id INTEGER,
    model_id INTEGER,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    UNIQUE (workspace_id, id)
);

-- The workspace's AI settings; a workspace without a row uses the defaults.
CREATE TABLE ai_settings (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    -- Cold start: below these, no model is trained and the rule scores alone rank leads.
    min_rows INTEGER NOT NULL DEFAULT 200,
    min_positives INTEGER NOT NULL DEFAULT 40,
    -- Retrain every this many days (0: only on demand).
    retrain_days INTEGER NOT NULL DEFAULT 7,
    updated_by INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id)
);

-- The active model's probability that the lead becomes an opportunity, its reasons
-- (JSON: the top positive and negative factors; NULL after an event changed the
-- probability, worked out again when read) and the model that scored it.
ALTER TABLE leads ADD COLUMN ai_probability REAL;
ALTER TABLE leads ADD COLUMN ai_reasons TEXT;
ALTER TABLE leads ADD COLUMN ai_model_id INTEGER;
