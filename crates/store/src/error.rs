/// Errors of the storage layer. `NotFound` is distinct so callers can answer 404.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("unsupported database URL: {0}")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// A write that gave up waiting for SQLite's write lock, passed on by a task that
    /// cannot pass the driver's error itself (the event writer answering its requests).
    #[error("the database is busy with another write")]
    Busy,
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_string())
            }
            _ => StoreError::Database(e),
        }
    }
}

impl StoreError {
    /// Whether SQLite's write lock stayed with another connection for longer than the
    /// busy timeout (`SQLITE_BUSY` and its extended codes).
    pub fn is_busy(&self) -> bool {
        match self {
            StoreError::Busy => true,
            StoreError::Database(sqlx::Error::Database(db)) => db
                .code()
                .and_then(|c| c.parse::<i32>().ok())
                .is_some_and(|c| c & 0xff == 5),
            _ => false,
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;
