//! Configuration: defaults → `ondo.toml` → `ONDO_*` environment variables → CLI flags.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Everything the binary needs to start.
#[derive(Clone, Serialize, Deserialize)]
pub struct Config {
    /// Where the SQLite database and other files live.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL; SQLite in the data dir when absent.
    pub database_url: Option<String>,
    /// The workspace the CLI and the web pages work in.
    pub workspace: String,
    /// The address `serve` listens on.
    pub listen: String,
    /// Mark cookies `Secure` (set when Ondo is served over HTTPS).
    pub secure_cookies: bool,
    /// Tracing filter, e.g. "info" or "ondo_web=debug".
    pub log: String,
    /// Where users reach Ondo, for links in emails and webhooks, e.g.
    /// `https://ondo.example.jp`; `http://` + the listen address when absent.
    pub public_url: Option<String>,
    /// The SMTP server for outgoing mail, e.g. `smtp://127.0.0.1:2525` or
    /// `smtp://user:pass@mail.example.jp:587?tls=required`; no mail is sent when absent.
    pub smtp_url: Option<String>,
    /// The sender of outgoing mail, e.g. `Ondo <ondo@example.jp>` [default: ondo@ the
    /// public URL's host].
    pub smtp_from: Option<String>,
    /// Data rows the web's imports read, match and write at a time, and its previews
    /// plan (`ONDO_IMPORT_CHUNK_ROWS`; fewer rows, less memory).
    pub import_chunk_rows: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./ondo-data"),
            database_url: None,
            workspace: "default".into(),
            listen: "127.0.0.1:8080".into(),
            secure_cookies: false,
            log: "info".into(),
            public_url: None,
            smtp_url: None,
            smtp_from: None,
            import_chunk_rows: ondo_jobs::import::CHUNK_ROWS,
        }
    }
}

// Secrets (the database and SMTP passwords) never reach logs.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(ondo_store::redact_url),
            )
            .field("workspace", &self.workspace)
            .field("listen", &self.listen)
            .field("secure_cookies", &self.secure_cookies)
            .field("log", &self.log)
            .field("public_url", &self.public_url)
            .field(
                "smtp_url",
                &self.smtp_url.as_deref().map(ondo_store::redact_url),
            )
            .field("smtp_from", &self.smtp_from)
            .field("import_chunk_rows", &self.import_chunk_rows)
            .finish()
    }
}

/// Values given on the command line, which win over everything else.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub workspace: Option<String>,
    pub listen: Option<String>,
    pub public_url: Option<String>,
    pub smtp_url: Option<String>,
    pub smtp_from: Option<String>,
}

impl Config {
    /// Loads the layers in order; `ondo.toml` is read from `--config` or the current dir.
    pub fn load(o: &Overrides) -> Result<Config, Box<figment::Error>> {
        let file = o
            .config_file
            .clone()
            .unwrap_or_else(|| PathBuf::from("ondo.toml"));
        let mut c: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(&file))
            .merge(Env::prefixed("ONDO_").only(&[
                "data_dir",
                "database_url",
                "workspace",
                "listen",
                "secure_cookies",
                "log",
                "public_url",
                "smtp_url",
                "smtp_from",
                "import_chunk_rows",
            ]))
            .extract()
            .map_err(Box::new)?;
        if let Some(v) = &o.data_dir {
            c.data_dir = v.clone();
        }
        if let Some(v) = &o.database_url {
            c.database_url = Some(v.clone());
        }
        if let Some(v) = &o.workspace {
            c.workspace = v.clone();
        }
        if let Some(v) = &o.listen {
            c.listen = v.clone();
        }
        for (value, flag) in [
            (&mut c.public_url, &o.public_url),
            (&mut c.smtp_url, &o.smtp_url),
            (&mut c.smtp_from, &o.smtp_from),
        ] {
            if let Some(v) = flag {
                *value = Some(v.clone());
            }
        }
        c.database_url = c.database_url.filter(|u| !u.trim().is_empty());
        c.public_url = c.public_url.filter(|u| !u.trim().is_empty());
        c.smtp_url = c.smtp_url.filter(|u| !u.trim().is_empty());
        c.smtp_from = c.smtp_from.filter(|u| !u.trim().is_empty());
        Ok(c)
    }

    /// The database URL in effect (SQLite in the data dir by default).
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(u) => u.clone(),
            None => format!("sqlite://{}", self.data_dir.join("ondo.db").display()),
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Checks the public URL: `http(s)://host[:port][/path]`, or nothing.
    pub fn checked_public_url(&self) -> Result<Option<String>, String> {
        let Some(raw) = self.public_url.as_deref().map(str::trim) else {
            return Ok(None);
        };
        match url::Url::parse(raw) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
                Ok(Some(raw.trim_end_matches('/').to_string()))
            }
            _ => Err(format!(
                "the public URL (--public-url / ONDO_PUBLIC_URL) must start with https:// or http://, not {raw:?}"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_redacts_the_database_password() {
        let c = Config {
            database_url: Some("postgres://ondo:s3cret@db.local/ondo".into()),
            smtp_url: Some("smtp://ondo:m4ilpass@mail.local:587?tls=required".into()),
            ..Config::default()
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(!shown.contains("m4ilpass"), "{shown}");
        assert!(shown.contains("db.local"));
        assert!(shown.contains("mail.local"));
    }

    #[test]
    fn the_public_url_must_be_http() {
        let with = |u: &str| Config {
            public_url: Some(u.into()),
            ..Config::default()
        };
        assert_eq!(
            with("https://ondo.example.jp/").checked_public_url(),
            Ok(Some("https://ondo.example.jp".into()))
        );
        assert!(with("ondo.example.jp").checked_public_url().is_err());
        assert_eq!(Config::default().checked_public_url(), Ok(None));
    }

    // figment's Jail API returns its large error type by value; that is its design.
    #[allow(clippy::result_large_err)]
    #[test]
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "ondo.toml",
                "workspace = \"from-file\"\nlisten = \"127.0.0.1:9000\"\n",
            )?;
            jail.set_env("ONDO_WORKSPACE", "from-env");
            jail.set_env("ONDO_SMTP_URL", "smtp://127.0.0.1:2525");
            jail.set_env("ONDO_PUBLIC_URL", "https://ondo.example.jp");
            let c = Config::load(&Overrides::default()).expect("config loads");
            assert_eq!(c.workspace, "from-env");
            assert_eq!(c.smtp_url.as_deref(), Some("smtp://127.0.0.1:2525"));
            assert_eq!(c.public_url.as_deref(), Some("https://ondo.example.jp"));
            assert_eq!(c.listen, "127.0.0.1:9000");
            assert_eq!(c.import_chunk_rows, ondo_jobs::import::CHUNK_ROWS);
            jail.set_env("ONDO_IMPORT_CHUNK_ROWS", "20000");
            let c = Config::load(&Overrides::default()).expect("config loads");
            assert_eq!(c.import_chunk_rows, 20_000);
            let c = Config::load(&Overrides {
                workspace: Some("from-flag".into()),
                ..Default::default()
            })
            .expect("config loads");
            assert_eq!(c.workspace, "from-flag");
            Ok(())
        });
    }
}
