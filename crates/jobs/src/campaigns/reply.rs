//! Replies to campaign messages. An inbound-mail service (SendGrid's Inbound Parse,
//! Mailgun's routes…) posts each message that reached the reply address; its
//! `In-Reply-To` and `References` name the messages it answers, and a campaign message's
//! `Message-ID` is signed with the workspace's key (see
//! `ondo_domain::campaign::message_id`), so a reply is matched to exactly the message it
//! answers and a made-up header matches nothing. A matched reply ends that enrolment
//! (`replied`): a person who writes back wants an answer from a person, not the next step.
//! Automatic answers (out-of-office, delivery reports) change nothing.

use ondo_domain::Micros;
use ondo_domain::campaign::{MailHeaders, MailParseError, MessageRef};
use ondo_domain::tracking::TrackingKey;
use ondo_store::campaigns as store;
use ondo_store::{Db, StoreError, WorkspaceId};

/// A reply matched to the campaign message it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedReply {
    pub message_id: i64,
    pub lead_id: i64,
    pub campaign_id: i64,
    pub step_id: i64,
    /// False when a reply to this message was recorded before (a provider's retry).
    pub first: bool,
    /// Whether the enrolment was active and ended now.
    pub enrollment_ended: bool,
    /// The reply's own `Message-ID`, when it has one.
    pub reply_message_id: Option<String>,
}

/// What an inbound message turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// It answers no message of this workspace's campaigns: nothing was written.
    Unmatched,
    /// An automatic answer to a campaign message (`reason`): nothing was written.
    Automatic {
        reason: &'static str,
        message_id: i64,
        lead_id: i64,
    },
    /// A person's reply: recorded, and its enrolment ended.
    Replied(MatchedReply),
}

/// Why an inbound message could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    #[error(transparent)]
    Unreadable(#[from] MailParseError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The workspace's tracking key, which signed its messages' ids; `None` before any
/// campaign message was sent.
async fn key_of(db: &Db, ws: WorkspaceId) -> Result<Option<TrackingKey>, StoreError> {
    Ok(ondo_store::tracking::settings(db, ws)
        .await?
        .and_then(|s| TrackingKey::from_base64(&s.secret).ok()))
}

/// The campaign message a reply answers: the first id it names (its `In-Reply-To`, then
/// its `References` from the most recent) that is a message of this workspace, signed
/// with its key.
async fn answered(
    db: &Db,
    ws: WorkspaceId,
    headers: &MailHeaders,
) -> Result<Option<store::Message>, StoreError> {
    let candidates: Vec<MessageRef> = headers
        .replied_to()
        .iter()
        .filter_map(|id| MessageRef::parse(id))
        .filter(|r| r.workspace_id == ws.0)
        .collect();
    if candidates.is_empty() {
        return Ok(None);
    }
    let Some(key) = key_of(db, ws).await? else {
        return Ok(None);
    };
    for r in candidates {
        if !r.verify(&key) {
            continue;
        }
        if let Some(m) = store::message(db, ws, r.message_id).await? {
            return Ok(Some(m));
        }
    }
    Ok(None)
}

/// Handles one inbound message (the raw RFC 822 text, or at least its header section):
/// matches it to the campaign message it answers and, when a person wrote it, records
/// the reply on that message and ends its enrolment (see the module's words).
pub async fn receive(
    db: &Db,
    ws: WorkspaceId,
    raw: &[u8],
    now: Micros,
) -> Result<Inbound, ReplyError> {
    let headers = MailHeaders::parse(raw)?;
    let Some(m) = answered(db, ws, &headers).await? else {
        return Ok(Inbound::Unmatched);
    };
    if let Some(reason) = headers.automatic() {
        return Ok(Inbound::Automatic {
            reason,
            message_id: m.id,
            lead_id: m.lead_id,
        });
    }
    let Some(r) = store::record_reply(db, ws, m.id, now.0).await? else {
        return Ok(Inbound::Unmatched);
    };
    let reply_message_id = headers
        .get("Message-ID")
        .and_then(|v| ondo_domain::campaign::message_ids(v).into_iter().next())
        .map(|id| id.chars().take(200).collect());
    Ok(Inbound::Replied(MatchedReply {
        message_id: m.id,
        lead_id: r.lead_id,
        campaign_id: r.campaign_id,
        step_id: r.step_id,
        first: r.first,
        enrollment_ended: r.enrollment_ended,
        reply_message_id,
    }))
}
