//! How far a running import has got, for a progress bar. The import updates it a batch or
//! a stage at a time with plain atomic stores — no locks and no database writes — and
//! whoever shows it reads a snapshot whenever it likes.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

/// The steps of an import, in the order they happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStage {
    /// Waiting for an earlier import to finish.
    Queued,
    /// Reading and parsing the file's rows.
    Reading,
    /// Looking up the existing leads the rows may match.
    LookingUp,
    /// Grouping rows and existing leads into people, deciding what to do with each.
    Matching,
    /// Writing companies and new and changed leads.
    WritingLeads,
    /// Writing a touchpoint per row and the candidate pairs.
    WritingTouchpoints,
    /// Committing the transaction.
    Committing,
    /// Finished: everything is committed.
    Done,
}

impl ImportStage {
    const ALL: [ImportStage; 8] = [
        ImportStage::Queued,
        ImportStage::Reading,
        ImportStage::LookingUp,
        ImportStage::Matching,
        ImportStage::WritingLeads,
        ImportStage::WritingTouchpoints,
        ImportStage::Committing,
        ImportStage::Done,
    ];

    /// The stage's name as stored and sent in JSON.
    pub fn key(self) -> &'static str {
        match self {
            ImportStage::Queued => "queued",
            ImportStage::Reading => "reading",
            ImportStage::LookingUp => "looking_up",
            ImportStage::Matching => "matching",
            ImportStage::WritingLeads => "writing_leads",
            ImportStage::WritingTouchpoints => "writing_touchpoints",
            ImportStage::Committing => "committing",
            ImportStage::Done => "done",
        }
    }

    pub fn parse(key: &str) -> Option<ImportStage> {
        ImportStage::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Where the stage starts and ends on a bar of 0–1000, weighted by how long each
    /// stage takes on a large file (100k rows into 1M leads: reading a sixth, writing
    /// about half).
    fn span(self) -> (u64, u64) {
        match self {
            ImportStage::Queued => (0, 0),
            ImportStage::Reading => (0, 200),
            ImportStage::LookingUp => (200, 350),
            ImportStage::Matching => (350, 500),
            ImportStage::WritingLeads => (500, 850),
            ImportStage::WritingTouchpoints => (850, 950),
            ImportStage::Committing => (950, 990),
            ImportStage::Done => (1000, 1000),
        }
    }
}

/// A consistent-enough reading of an import's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ProgressSnapshot {
    pub stage: ImportStage,
    /// Data rows read and parsed so far.
    pub rows_done: u64,
    /// All data rows: an estimate until the file is read, then exact.
    pub rows_total: u64,
    /// Data rows of the chunks already written (a large file is imported a chunk at a
    /// time; each chunk goes through the stages from reading to writing its touchpoints).
    pub rows_finished: u64,
}

impl ProgressSnapshot {
    /// How far along the whole import is, 0–1000: the chunks already written count in
    /// full; the current chunk counts its share of the rows times how far its stages have
    /// got (reading moves with the rows read, later stages a stage at a time). A file of
    /// one chunk is the current chunk all along.
    pub fn permille(&self) -> u64 {
        let (start, end) = self.stage.span();
        if self.stage == ImportStage::Done {
            return 1000;
        }
        let total = self.rows_total.max(self.rows_done);
        if total == 0 {
            return start;
        }
        let finished = self.rows_finished.min(total);
        let current = self.rows_done.min(total) - finished;
        let within = if self.stage == ImportStage::Reading {
            end
        } else {
            start
        };
        ((finished * 1000 + current * within) / total).min(990)
    }
}

/// Shared between an import and whoever watches it.
#[derive(Debug, Default)]
pub struct ImportProgress {
    stage: AtomicU8,
    rows_done: AtomicU64,
    rows_total: AtomicU64,
    rows_finished: AtomicU64,
}

impl ImportProgress {
    pub fn set_stage(&self, stage: ImportStage) {
        self.stage.store(stage as u8, Ordering::Relaxed);
    }

    /// Counts `n` more rows read.
    pub fn add_rows(&self, n: usize) {
        self.rows_done.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Counts `n` more rows whose chunk is written.
    pub fn finish_rows(&self, n: usize) {
        self.rows_finished.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Sets the number of rows (an estimate before reading, the count after).
    pub fn set_total(&self, n: usize) {
        self.rows_total.store(n as u64, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> ProgressSnapshot {
        let stage = ImportStage::ALL
            .get(usize::from(self.stage.load(Ordering::Relaxed)))
            .copied()
            .unwrap_or(ImportStage::Queued);
        ProgressSnapshot {
            stage,
            rows_done: self.rows_done.load(Ordering::Relaxed),
            rows_total: self.rows_total.load(Ordering::Relaxed),
            rows_finished: self.rows_finished.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_moves_with_rows_while_reading_and_by_stage_afterwards() {
        let p = ImportProgress::default();
        assert_eq!(p.snapshot().stage, ImportStage::Queued);
        p.set_stage(ImportStage::Reading);
        p.set_total(1000);
        p.add_rows(500);
        let s = p.snapshot();
        assert_eq!((s.rows_done, s.rows_total), (500, 1000));
        assert_eq!(s.permille(), 100);
        p.add_rows(700); // an underestimated total never goes past the stage's end
        assert_eq!(p.snapshot().permille(), 200);
        p.set_stage(ImportStage::WritingLeads);
        assert_eq!(p.snapshot().permille(), 500);
        p.set_stage(ImportStage::Done);
        assert_eq!(p.snapshot().permille(), 1000);
        for s in ImportStage::ALL {
            assert_eq!(ImportStage::parse(s.key()), Some(s));
        }
    }

    #[test]
    fn a_file_of_several_chunks_moves_the_bar_forward_chunk_by_chunk() {
        let p = ImportProgress::default();
        p.set_total(300);
        let mut last = 0;
        for chunk in 1..=3 {
            p.set_stage(ImportStage::Reading);
            p.add_rows(100);
            for stage in [
                ImportStage::Reading,
                ImportStage::LookingUp,
                ImportStage::Matching,
                ImportStage::WritingLeads,
                ImportStage::WritingTouchpoints,
            ] {
                p.set_stage(stage);
                let now = p.snapshot().permille();
                assert!(now >= last, "chunk {chunk}, {stage:?}: {now} after {last}");
                last = now;
            }
            assert!(last < chunk * 1000 / 3, "chunk {chunk} is not written yet");
            p.finish_rows(100);
            last = p.snapshot().permille();
            assert_eq!(last, (chunk * 1000 / 3).min(990), "chunk {chunk} written");
        }
        p.set_stage(ImportStage::Committing);
        assert_eq!(p.snapshot().permille(), 990);
        p.set_stage(ImportStage::Done);
        assert_eq!(p.snapshot().permille(), 1000);
    }
}
