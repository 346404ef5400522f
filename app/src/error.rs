//! The error every server function returns to the page.
//!
//! Each operation has its own error type naming the rule that refused (see `ssr::*`); they are
//! turned into an `AppError` in one place, which decides the words the user reads and the HTTP
//! status the server answers with.

use serde::{Deserialize, Serialize};
use server_fn_error::{FromServerFnError, ServerFnErrorErr};

// `leptos::server_fn` re-exports what the `#[server]` macro needs; name it once here.
mod server_fn_error {
    pub use leptos::server_fn::codec::JsonEncoding;
    pub use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No valid sign-in: the page offers the sign-in form.
    #[error("Please sign in to continue.")]
    SignInRequired,
    /// Signed in, but this is not theirs to do.
    #[error("{0}")]
    Forbidden(String),
    /// The input was refused; the message says what to change.
    #[error("{0}")]
    Invalid(String),
    /// One field of the form was refused: the page says so next to that field (`field` is
    /// its name in the form), and ties the message to it.
    #[error("{message}")]
    InvalidField { field: String, message: String },
    /// Too many attempts; the message says when to try again.
    #[error("{0}")]
    TooManyAttempts(String),
    /// Something broke on our side; the log has the details.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request never reached the server function (network, bad arguments).
    #[error("{0}")]
    Transport(String),
}

impl AppError {
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::SignInRequired => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Invalid(_) | AppError::InvalidField { .. } | AppError::Transport(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl AppError {
    /// The words said beside the form: none for a refusal of one field, said beside that
    /// field instead (`about_field`).
    pub fn about_form(&self) -> Option<String> {
        match self {
            AppError::InvalidField { .. } => None,
            other => Some(other.to_string()),
        }
    }

    /// The words said beside the form field `field`, if this refused it.
    pub fn about_field(&self, field: &str) -> Option<String> {
        match self {
            AppError::InvalidField {
                field: refused,
                message,
            } if refused == field => Some(message.clone()),
            _ => None,
        }
    }

    /// A refusal of the form field named `field`.
    pub fn field(field: &str, message: impl std::fmt::Display) -> AppError {
        AppError::InvalidField {
            field: field.to_string(),
            message: message.to_string(),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = server_fn_error::JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => AppError::Invalid(
                "The form was incomplete or malformed. Please fill it in again.".into(),
            ),
            ServerFnErrorErr::Request(_) => AppError::Transport(
                "Could not reach the server. Check your connection and try again.".into(),
            ),
            other => AppError::Transport(other.to_string()),
        }
    }
}
