//! Who is asking: browser sessions (with CSRF tokens), API bearer tokens, passwords.

pub mod api_token;
pub mod csrf;
pub mod password;
pub mod session;
pub mod throttle;

pub use api_token::ApiUser;
pub use session::{CurrentUser, MaybeUser};
