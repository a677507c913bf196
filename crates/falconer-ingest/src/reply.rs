//! Answers in falcosidekick's shape: `http.Error` style text for errors.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;

/// falcosidekick's 400 for a body that is not a valid alert.
pub(crate) const INVALID_BODY: &str = "Please send a valid request body";
/// falcosidekick's 400 for a method other than POST.
pub(crate) const POST_ONLY: &str = "Please send with post http method";

/// A `text/plain` error like Go's `http.Error`: trailing newline, `nosniff`.
pub(crate) fn text_error(status: StatusCode, message: &str) -> Response {
    let mut response = Response::new(Body::from(format!("{message}\n")));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// 200 with an empty body.
pub(crate) fn ok_empty() -> Response {
    Response::new(Body::empty())
}

/// A body with a content type.
pub(crate) fn with_type(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Body>,
) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
