//! The single error type returned when raw input cannot be parsed into a domain value.

/// An input value that could not be turned into a domain type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The value of `field` is invalid; `message` explains why, in English.
    #[error("{field}: {message}")]
    Invalid {
        /// Name of the offending input field, e.g. `"email"`.
        field: &'static str,
        /// Human-readable English explanation, e.g. `is not a valid email address: "foo"`.
        message: String,
    },
}

impl DomainError {
    /// Builds an [`DomainError::Invalid`] for `field` with the given message.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::Invalid {
            field,
            message: message.into(),
        }
    }

    /// Returns the name of the input field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            DomainError::Invalid { field, .. } => field,
        }
    }

    /// Returns the English explanation without the field name.
    pub fn message(&self) -> &str {
        match self {
            DomainError::Invalid { message, .. } => message,
        }
    }
}

/// Quotes user input for an error message, shortening very long values.
pub(crate) fn quote(raw: &str) -> String {
    const MAX: usize = 80;
    if raw.chars().count() > MAX {
        let head: String = raw.chars().take(MAX).collect();
        format!("{:?}…", head)
    } else {
        format!("{raw:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_includes_field_and_message() {
        let e = DomainError::invalid("email", "is not a valid email address: \"foo\"");
        assert_eq!(e.field(), "email");
        assert_eq!(e.message(), "is not a valid email address: \"foo\"");
        assert_eq!(
            e.to_string(),
            "email: is not a valid email address: \"foo\""
        );
    }

    #[test]
    fn quote_escapes_and_truncates() {
        assert_eq!(quote("a\"b"), "\"a\\\"b\"");
        assert_eq!(quote("山田"), "\"山田\"");
        let long = "x".repeat(200);
        let q = quote(&long);
        assert!(q.ends_with('…'));
        assert_eq!(q.chars().filter(|c| *c == 'x').count(), 80);
    }
}
