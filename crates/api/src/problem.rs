//! RFC 9457 problem details: the one error type of the HTTP API.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use callvault_store::CatalogError;
use callvault_vault::ingest::IngestError;

/// An HTTP error with a stable machine-readable `code`. Its text never holds
/// SQL, file paths or secrets.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub code: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    code: &'a str,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self { status, code, title, detail: detail.into(), headers: Vec::new() }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, "Bad request", detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Not found", format!("no such {what}"))
    }

    pub fn unauthorized(detail: &str) -> Self {
        let mut p = Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized", detail);
        p.headers.push((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        p
    }

    pub fn forbidden(detail: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail)
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error", detail)
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        let mut p = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            detail,
        );
        p.headers.push((header::RETRY_AFTER, HeaderValue::from_static("5")));
        p
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = Body {
            kind: format!("https://callvault.dev/problems/{}", self.code.replace('_', "-")),
            title: self.title,
            status: self.status.as_u16(),
            detail: &self.detail,
            code: self.code,
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        let mut resp = (self.status, json).into_response();
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        for (name, value) in self.headers {
            resp.headers_mut().insert(name, value);
        }
        resp
    }
}

impl From<CatalogError> for Problem {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Conflict { what } => Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                "Conflict",
                format!("{what} already exists"),
            ),
            CatalogError::NotFound { what } => Problem::not_found(what),
            CatalogError::Invalid { what, reason } => {
                Problem::bad_request("invalid", format!("invalid {what}: {reason}"))
            }
            CatalogError::Unavailable(err) => {
                tracing::error!(error = %err, "catalog unavailable");
                Problem::unavailable("the catalog is unavailable; retry later")
            }
            CatalogError::Backend(err) => {
                tracing::error!(error = %err, "catalog error");
                Problem::internal("catalog error")
            }
        }
    }
}

impl From<IngestError> for Problem {
    fn from(e: IngestError) -> Self {
        match &e {
            IngestError::Metadata(_) => Problem::bad_request("invalid_metadata", e.to_string()),
            IngestError::Audio(p) => {
                let code = match p.code() {
                    "empty" => "empty_audio",
                    "truncated" => "truncated_audio",
                    "unsupported" => "unsupported_audio",
                    "unknown_format" => "unknown_audio_format",
                    _ => "invalid_audio",
                };
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, "Audio refused", e.to_string())
            }
            IngestError::TooLarge { .. } => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "Upload too large",
                e.to_string(),
            ),
            IngestError::Incomplete(_) => Problem::bad_request("incomplete_upload", e.to_string()),
            IngestError::IdempotencyMismatch { .. } => Problem::new(
                StatusCode::CONFLICT,
                "idempotency_key_reused",
                "Idempotency key reused",
                e.to_string(),
            ),
            // The cause is logged where it happened; clients get no SQL,
            // paths or hostnames.
            IngestError::Unavailable(_) => Problem::unavailable(
                "storage is unavailable; the recording was not stored, retry later",
            ),
        }
    }
}
