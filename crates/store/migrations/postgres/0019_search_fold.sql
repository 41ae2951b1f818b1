-- Lead search now folds variant kanji (髙/高, 﨑/崎, 齋/斎, 邊/辺 …), so that 渡辺 finds 渡邊.
-- The search text of every existing lead is rewritten once, in batches, by the
-- application when it opens the database (ondo_store::leads::reindex_search); a
-- workspace's row records how far it has come and goes when it is done.
CREATE TABLE search_reindex (
    workspace_id BIGINT NOT NULL REFERENCES workspaces (workspace_id),
    -- The last lead id rewritten.
    after_id BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id)
);

INSERT INTO search_reindex (workspace_id) SELECT workspace_id FROM workspaces;
