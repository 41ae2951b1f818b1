//! A workspace's tracking keys and allowed domains, read for every tracking request and
//! made with fresh random keys on first use.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ondo_domain::tracking::{KEY_BYTES, SiteDomain, TrackingKey};
use ondo_store::{Db, StoreError, WorkspaceId};
use rand::RngCore;

/// What the tracking routes need of a workspace.
#[derive(Debug, Clone)]
pub struct Tracking {
    /// Signs and verifies the workspace's tokens.
    pub key: TrackingKey,
    /// The public key in the snippet's `data-site`.
    pub site_key: String,
    /// Sites whose pages may report; none means the snippet records nothing.
    pub domains: Vec<SiteDomain>,
    /// The company named in the disclosure, when set.
    pub operator_name: Option<String>,
}

fn random_base64(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The workspace's tracking settings, keys created on first use.
pub async fn load(db: &Db, ws: WorkspaceId) -> Result<Tracking, StoreError> {
    let stored = match ondo_store::tracking::settings(db, ws).await? {
        Some(s) => s,
        None => {
            let secret = random_base64(KEY_BYTES);
            // 144 bits: public, but not to be guessed from the workspace's number.
            let site_key = random_base64(18);
            let fresh = ondo_store::tracking::NewKeys {
                secret: &secret,
                site_key: &site_key,
            };
            ondo_store::tracking::create(db, ws, &fresh).await?;
            ondo_store::tracking::settings(db, ws)
                .await?
                .ok_or(StoreError::NotFound)?
        }
    };
    let key = TrackingKey::from_base64(&stored.secret)
        .map_err(|e| StoreError::Corrupt(format!("tracking secret: {e}")))?;
    Ok(Tracking {
        key,
        site_key: stored.site_key,
        // A stored domain was checked when saved; one that no longer parses is skipped.
        domains: stored
            .domains
            .iter()
            .filter_map(|d| SiteDomain::parse(d).ok())
            .collect(),
        operator_name: stored.operator_name,
    })
}

impl Tracking {
    /// Whether the snippet may report from a page on `host`.
    pub fn allows(&self, host: &str) -> bool {
        ondo_domain::tracking::host_allowed(&self.domains, host)
    }
}
