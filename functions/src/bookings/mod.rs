//! `/api/bookings` (list, create) and `/api/bookings/{id}` (read, update, cancel).

pub mod collection;
pub mod item;
pub mod model;
pub mod queries;
pub mod status;

use common::ApiError;
use common::error::DbError;

/// Raised by the `bookings_no_overlap` exclusion constraint (one user's bookings) and by
/// `bookings_project_no_overlap` (one project's calendar).
///
/// Every statement that writes a booking first locks its owner's `users` row and its project's
/// `projects` row, in that order (`lock_calendars()`, or `book_for_customer()` for a booking
/// without a user; `FOR NO KEY UPDATE`, which foreign-key checks do not wait for). Two
/// in-progress writes of overlapping rows would otherwise wait for each other inside the
/// constraint check until PostgreSQL's deadlock detector broke the tie,
/// after `deadlock_timeout` (1 s by default); queued on the calendar instead, the later write
/// sees the earlier one committed and fails at once with a 409.
pub const OVERLAP_CONSTRAINTS: [&str; 2] = ["bookings_no_overlap", "bookings_project_no_overlap"];

/// A write's result, with an overlap answered 409.
pub fn on_overlap<T>(result: Result<T, DbError>) -> Result<T, ApiError> {
    result.map_err(|e| match e.constraint() {
        Some(name) if OVERLAP_CONSTRAINTS.contains(&name) => {
            ApiError::Conflict("Time slot conflicts with an existing booking".into())
        }
        _ => e.into(),
    })
}

pub fn outside_hours() -> ApiError {
    ApiError::BadRequest("Outside business hours".into())
}

pub fn in_the_past() -> ApiError {
    ApiError::validation("scheduledAt", "Cannot book a time in the past")
}
