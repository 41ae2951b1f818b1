-- Step campaigns, continued: enrolment triggers (a status entered, a form submitted, a
-- segment matched), pausing, re-enrolment, and replies.

-- A paused campaign sends nothing; its due steps wait and go out after it resumes. A
-- campaign that allows re-enrolment takes a lead whose enrolment ended again, from step 1.
ALTER TABLE campaigns ADD COLUMN paused_at INTEGER;
ALTER TABLE campaigns ADD COLUMN allow_reenroll BOOLEAN NOT NULL DEFAULT FALSE;

-- When the lead answered this message (its reply named the message's Message-ID).
ALTER TABLE campaign_messages ADD COLUMN replied_at INTEGER;

-- Enrolments: a lead may be enrolled in a campaign more than once, one enrolment after
-- the other (`round` 1, 2, …), and never twice at the same time. `source` says how the
-- lead came in: NULL by hand (page or API), or the kind of trigger (status, form,
-- segment). SQLite cannot drop the old unique (campaign, lead), so the table is rebuilt;
-- campaign_messages refers to it, and its foreign keys are checked again at commit.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE campaign_enrollments_0018 AS SELECT * FROM campaign_enrollments;
DROP TABLE campaign_enrollments;
CREATE TABLE campaign_enrollments (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    campaign_id INTEGER NOT NULL,
    lead_id INTEGER NOT NULL,
    -- active | completed | exited
    state TEXT NOT NULL,
    exit_reason TEXT,
    enrolled_by INTEGER,
    enrolled_at INTEGER NOT NULL,
    ended_at INTEGER,
    round INTEGER NOT NULL DEFAULT 1,
    source TEXT,
    UNIQUE (workspace_id, id),
    UNIQUE (workspace_id, campaign_id, lead_id, round),
    FOREIGN KEY (workspace_id, campaign_id) REFERENCES campaigns (workspace_id, id),
    FOREIGN KEY (workspace_id, lead_id) REFERENCES leads (workspace_id, id)
);
INSERT INTO campaign_enrollments (id, workspace_id, campaign_id, lead_id, state, exit_reason,
    enrolled_by, enrolled_at, ended_at, round, source)
SELECT id, workspace_id, campaign_id, lead_id, state, exit_reason, enrolled_by, enrolled_at,
    ended_at, 1, NULL FROM campaign_enrollments_0018;
DROP TABLE campaign_enrollments_0018;
CREATE INDEX campaign_enrollments_lead ON campaign_enrollments (workspace_id, lead_id, state);
CREATE UNIQUE INDEX campaign_enrollments_active ON campaign_enrollments (workspace_id, campaign_id, lead_id)
    WHERE state = 'active';

-- A campaign's enrolment triggers. A status or form trigger acts on the status changes
-- or submissions recorded after it was switched on (ids above `since_id`); a segment
-- trigger walks the segment's leads in passes (`segment_cursor`: the last lead id of the
-- pass under way).
CREATE TABLE campaign_triggers (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    campaign_id INTEGER NOT NULL,
    -- status | form | segment
    kind TEXT NOT NULL,
    status TEXT,
    form_id INTEGER,
    segment_id INTEGER,
    since_id INTEGER NOT NULL DEFAULT 0,
    segment_cursor INTEGER NOT NULL DEFAULT 0,
    segment_pass_at INTEGER,
    -- Leads it enrolled, when it last did, and why it could not at its last try.
    enrolled INTEGER NOT NULL DEFAULT 0,
    last_enrolled_at INTEGER,
    problem TEXT,
    created_by INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (workspace_id, id),
    FOREIGN KEY (workspace_id, campaign_id) REFERENCES campaigns (workspace_id, id)
);
CREATE INDEX campaign_triggers_campaign ON campaign_triggers (workspace_id, campaign_id);

-- How far the workspace's status changes and form submissions have been followed (for
-- triggers and for ending enrolments when a lead becomes SQL): ids up to the cursors are
-- done. A workspace gets its row with its first campaign, at the ids of that moment.
CREATE TABLE campaign_followers (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (workspace_id),
    status_cursor INTEGER NOT NULL DEFAULT 0,
    form_cursor INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id)
);
INSERT INTO campaign_followers (workspace_id, status_cursor, form_cursor, updated_at)
SELECT w.workspace_id,
    COALESCE((SELECT MAX(h.id) FROM status_history h WHERE h.workspace_id = w.workspace_id), 0),
    COALESCE((SELECT MAX(f.id) FROM form_submissions f WHERE f.workspace_id = w.workspace_id), 0),
    0
FROM (SELECT DISTINCT workspace_id FROM campaigns) w;
