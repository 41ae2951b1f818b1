//! The durable jobs table: jobs exist exactly when their transaction commits, leases
//! never hand one job to two workers, a lease that runs out hands the job over, and a
//! failure is retried until the last attempt. Runs on SQLite, and on PostgreSQL when
//! TEST_DATABASE_URL is set.

use std::collections::BTreeSet;

use ondo_store::jobs::{self, Failure};
use ondo_store::testing::fresh_db;
use ondo_store::{Db, WorkspaceId};
use serde_json::json;

/// A lease long enough never to run out during a test.
const LONG: i64 = 3_600_000_000;

async fn workspace(db: &Db, name: &str) -> WorkspaceId {
    ondo_store::workspaces::ensure(db, name)
        .await
        .expect("workspace")
        .id()
}

#[tokio::test]
async fn a_job_exists_only_when_its_transaction_commits() {
    let db = fresh_db().await;
    let ws = workspace(&db, "acme").await;
    let now = ondo_domain::Micros::now().0;

    let mut tx = db.begin_write().await.expect("tx");
    let dropped = jobs::enqueue(&mut tx, ws, "notify_email", &json!({"lead_id": 1}), now, 3)
        .await
        .expect("enqueued");
    tx.rollback().await.expect("rollback");
    assert_eq!(jobs::get(&db, ws, dropped).await.expect("read"), None);
    assert_eq!(
        jobs::latest(&db, ws, "notify_email").await.expect("read"),
        None
    );

    let mut tx = db.begin_write().await.expect("tx");
    let kept = jobs::enqueue(&mut tx, ws, "notify_email", &json!({"lead_id": 2}), now, 3)
        .await
        .expect("enqueued");
    tx.commit().await.expect("commit");
    let job = jobs::get(&db, ws, kept)
        .await
        .expect("read")
        .expect("the job");
    assert_eq!(job.state, jobs::QUEUED);
    assert_eq!(job.attempts, 0);
    assert_eq!(job.max_attempts, 3);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&job.payload).expect("JSON"),
        json!({"lead_id": 2})
    );
    assert_eq!(
        jobs::latest(&db, ws, "notify_email").await.expect("read"),
        Some(job)
    );

    // Another workspace sees nothing of it.
    let other = workspace(&db, "other").await;
    assert_eq!(jobs::get(&db, other, kept).await.expect("read"), None);
    assert_eq!(
        jobs::latest(&db, other, "notify_email")
            .await
            .expect("read"),
        None
    );

    // A job that could never run is refused.
    assert!(
        jobs::enqueue_db(&db, ws, "notify_email", &json!({}), now, 0)
            .await
            .is_err()
    );
    assert!(
        jobs::enqueue_db(&db, ws, " ", &json!({}), now, 1)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn two_leases_never_take_the_same_job() {
    let db = fresh_db().await;
    let ws = workspace(&db, "acme").await;
    let now = ondo_domain::Micros::now().0;
    let mut all = BTreeSet::new();
    for n in 0..60 {
        all.insert(
            jobs::enqueue_db(&db, ws, "test", &json!({"n": n}), now, 3)
                .await
                .expect("enqueued"),
        );
    }
    // A job not yet due is left alone.
    let later = jobs::enqueue_db(&db, ws, "test", &json!({}), now + LONG, 3)
        .await
        .expect("enqueued");

    let worker = |db: Db| async move {
        let mut taken = Vec::new();
        loop {
            let batch = jobs::lease(&db, now, LONG, 7).await.expect("lease");
            if batch.is_empty() {
                return taken;
            }
            for job in batch {
                assert_eq!(job.state, jobs::RUNNING);
                assert_eq!(job.attempts, 1);
                taken.push(job.id);
            }
            tokio::task::yield_now().await;
        }
    };
    let (a, b, c) = tokio::join!(
        tokio::spawn(worker(db.clone())),
        tokio::spawn(worker(db.clone())),
        tokio::spawn(worker(db.clone())),
    );
    let (a, b, c) = (a.expect("a"), b.expect("b"), c.expect("c"));
    let mut seen = BTreeSet::new();
    for id in a.iter().chain(&b).chain(&c) {
        assert!(seen.insert(*id), "job {id} was leased twice");
    }
    assert_eq!(seen, all, "every due job was leased once");
    assert!(!seen.contains(&later));
    assert!(!jobs::any_due(&db, now).await.expect("read"));
    assert!(jobs::any_due(&db, now + LONG).await.expect("read"));
}

#[tokio::test]
async fn an_expired_lease_is_taken_again_and_the_first_worker_cannot_finish_it() {
    let db = fresh_db().await;
    let ws = workspace(&db, "acme").await;
    let now = ondo_domain::Micros::now().0;
    let id = jobs::enqueue_db(&db, ws, "test", &json!({}), now, 5)
        .await
        .expect("enqueued");
    let lease = 60_000_000;
    let first = jobs::lease(&db, now, lease, 10).await.expect("lease");
    assert_eq!(first.len(), 1);
    // Within the lease nobody else takes it.
    assert!(
        jobs::lease(&db, now + lease - 1, lease, 10)
            .await
            .expect("lease")
            .is_empty()
    );
    // The first worker died: after its lease the job is taken again.
    let second = jobs::lease(&db, now + lease, lease, 10)
        .await
        .expect("lease");
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].id, id);
    assert_eq!(second[0].attempts, 2);
    // The first worker comes back: its lease is lost, its outcome is not recorded.
    assert!(
        !jobs::complete(&db, &first[0], now + lease, Some("late"))
            .await
            .expect("complete")
    );
    assert_eq!(
        jobs::fail(&db, &first[0], now + lease, "late", Some(now))
            .await
            .expect("fail"),
        Failure::LeaseLost
    );
    assert!(
        jobs::complete(&db, &second[0], now + lease + 1, Some("sent"))
            .await
            .expect("complete")
    );
    let report = jobs::get_report(&db, ws, id)
        .await
        .expect("read")
        .expect("job");
    assert_eq!(report.job.state, jobs::DONE);
    assert_eq!(report.result.as_deref(), Some("sent"));
}

#[tokio::test]
async fn a_failed_attempt_is_retried_at_its_time_until_the_last_one() {
    let db = fresh_db().await;
    let ws = workspace(&db, "acme").await;
    let now = ondo_domain::Micros::now().0;
    let id = jobs::enqueue_db(&db, ws, "test", &json!({}), now, 2)
        .await
        .expect("enqueued");
    let job = jobs::lease(&db, now, LONG, 10)
        .await
        .expect("lease")
        .remove(0);
    assert_eq!(
        jobs::fail(&db, &job, now, "HTTP 500", Some(now + 30_000_000))
            .await
            .expect("fail"),
        Failure::Retry
    );
    let queued = jobs::get(&db, ws, id).await.expect("read").expect("job");
    assert_eq!(queued.state, jobs::QUEUED);
    assert_eq!(queued.run_at, now + 30_000_000);
    assert_eq!(queued.last_error.as_deref(), Some("HTTP 500"));
    assert!(
        jobs::lease(&db, now + 29_999_999, LONG, 10)
            .await
            .expect("lease")
            .is_empty(),
        "not before its retry time"
    );
    let job = jobs::lease(&db, now + 30_000_000, LONG, 10)
        .await
        .expect("lease")
        .remove(0);
    assert_eq!(job.attempts, 2);
    assert_eq!(
        jobs::fail(
            &db,
            &job,
            now + 30_000_000,
            "HTTP 503",
            Some(now + 90_000_000)
        )
        .await
        .expect("fail"),
        Failure::Failed,
        "that was the last attempt"
    );
    let failed = jobs::get(&db, ws, id).await.expect("read").expect("job");
    assert_eq!(failed.state, jobs::FAILED);
    assert_eq!(failed.last_error.as_deref(), Some("HTTP 503"));
    assert!(
        jobs::lease(&db, now + LONG, LONG, 10)
            .await
            .expect("lease")
            .is_empty()
    );

    // An error no retry mends fails the job at once.
    let id = jobs::enqueue_db(&db, ws, "test", &json!({}), now, 5)
        .await
        .expect("enqueued");
    let job = jobs::lease(&db, now, LONG, 10)
        .await
        .expect("lease")
        .remove(0);
    assert_eq!(
        jobs::fail(&db, &job, now, "bad payload", None)
            .await
            .expect("fail"),
        Failure::Failed
    );
    assert_eq!(
        jobs::get(&db, ws, id)
            .await
            .expect("read")
            .expect("job")
            .state,
        jobs::FAILED
    );
}

#[tokio::test]
async fn interrupted_jobs_run_again_unless_it_was_their_last_attempt() {
    let db = fresh_db().await;
    let ws = workspace(&db, "acme").await;
    let now = ondo_domain::Micros::now().0;
    let again = jobs::enqueue_db(&db, ws, "test", &json!({}), now, 3)
        .await
        .expect("enqueued");
    let last = jobs::enqueue_db(&db, ws, "test", &json!({}), now, 1)
        .await
        .expect("enqueued");
    assert_eq!(
        jobs::lease(&db, now, LONG, 10).await.expect("lease").len(),
        2
    );

    // The server stopped; at the next start the running jobs are settled.
    let recovered = jobs::recover(&db, now + 1).await.expect("recover");
    assert_eq!(recovered.requeued, 1);
    assert_eq!(recovered.failed, 1);
    let job = jobs::get(&db, ws, again).await.expect("read").expect("job");
    assert_eq!(job.state, jobs::QUEUED);
    assert_eq!(job.last_error.as_deref(), Some(jobs::INTERRUPTED));
    let job = jobs::get(&db, ws, last).await.expect("read").expect("job");
    assert_eq!(job.state, jobs::FAILED);

    // A lease that ran out on the last attempt fails the job instead of running it again.
    let id = jobs::enqueue_db(&db, ws, "test", &json!({}), now, 1)
        .await
        .expect("enqueued");
    let leased = jobs::lease(&db, now + 1, 10, 10).await.expect("lease");
    assert_eq!(leased.len(), 2, "the requeued job and the new one");
    let requeued = leased.iter().find(|j| j.id == again).expect("requeued job");
    assert!(
        jobs::complete(&db, requeued, now + 2, None)
            .await
            .expect("complete")
    );
    let taken = jobs::lease(&db, now + 100, 10, 10).await.expect("lease");
    assert!(taken.iter().all(|j| j.id != id), "{taken:?}");
    let job = jobs::get(&db, ws, id).await.expect("read").expect("job");
    assert_eq!(job.state, jobs::FAILED);
    assert_eq!(job.last_error.as_deref(), Some(jobs::INTERRUPTED));
}

#[tokio::test]
async fn progress_is_recorded() {
    let db = fresh_db().await;
    let ws = workspace(&db, "acme").await;
    let now = ondo_domain::Micros::now().0;
    let id = jobs::enqueue_db(&db, ws, "test", &json!({}), now, 1)
        .await
        .expect("enqueued");
    jobs::set_progress(&db, ws, id, 250, 1000)
        .await
        .expect("progress");
    let job = jobs::get(&db, ws, id).await.expect("read").expect("job");
    assert_eq!((job.progress_done, job.progress_total), (250, 1000));
    // Another workspace's id changes nothing.
    let other = workspace(&db, "other").await;
    jobs::set_progress(&db, other, id, 999, 999)
        .await
        .expect("progress");
    let job = jobs::get(&db, ws, id).await.expect("read").expect("job");
    assert_eq!(job.progress_done, 250);
}
