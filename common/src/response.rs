//! Response shaping: the contract's envelope, JSON content type, and no caching of API answers.

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use serde_json::{Value, json};

const INTERNAL_ERROR_BODY: &str = r#"{"success":false,"error":"Internal server error"}"#;

fn json_response(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut resp = Response::new(body.into());
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // Answers carry personal data and session state: never let a shared cache keep them.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn envelope(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => json_response(status, bytes),
        Err(err) => {
            tracing::error!(error = %err, "response serialization failed");
            json_response(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL_ERROR_BODY)
        }
    }
}

#[derive(Serialize)]
struct Success<'a, T: Serialize> {
    success: bool,
    data: &'a T,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

/// `{"success": true, "data": ...}` with the given status.
pub fn success<T: Serialize>(status: StatusCode, data: &T) -> Response {
    envelope(
        status,
        &Success {
            success: true,
            data,
            message: None,
        },
    )
}

/// `{"success": true, "data": ..., "message": "..."}`.
pub fn success_with_message<T: Serialize>(status: StatusCode, data: &T, message: &str) -> Response {
    envelope(
        status,
        &Success {
            success: true,
            data,
            message: Some(message),
        },
    )
}

/// `{"success": true, "data": ..., "message": "..."}` with 201 Created.
pub fn created<T: Serialize>(data: &T, message: &str) -> Response {
    success_with_message(StatusCode::CREATED, data, message)
}

/// `{"success": true, "data": ..., "message": "..."}` with 200 OK.
pub fn updated<T: Serialize>(data: &T, message: &str) -> Response {
    success_with_message(StatusCode::OK, data, message)
}

/// `{"success": true, "data": null, "message": "..."}` with 200 OK.
pub fn message(text: &str) -> Response {
    success_with_message(StatusCode::OK, &Value::Null, text)
}

/// `{"success": false, "error": "...", "details": ...}`.
pub fn failure(status: StatusCode, message: &str, details: Option<Value>) -> Response {
    let mut body = json!({"success": false, "error": message});
    if let Some(details) = details {
        body["details"] = details;
    }
    envelope(status, &body)
}

/// The 404 for a path no function serves.
pub fn route_not_found() -> Response {
    failure(StatusCode::NOT_FOUND, "Route not found", None)
}

/// The 405 for a method a path does not serve; the router adds `Allow`.
pub fn method_not_allowed() -> Response {
    failure(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed", None)
}
