//! `/api/bookings` (list, create) and `/api/bookings/{id}` (read, update, cancel).

pub mod collection;
pub mod item;
pub mod model;
pub mod queries;
pub mod status;

/// Raised by the `bookings_no_overlap` exclusion constraint.
///
/// Every statement that writes a booking first locks its owner's `users` row (`FOR NO KEY
/// UPDATE`, which foreign-key checks do not wait for). Two in-progress writes of overlapping
/// rows would otherwise wait for each other inside the constraint check until PostgreSQL's
/// deadlock detector broke the tie, after `deadlock_timeout` (1 s by default); queued on the
/// owner instead, the later write sees the earlier one committed and fails at once with a 409.
pub const NO_OVERLAP: &str = "bookings_no_overlap";

pub fn overlap_conflict() -> common::ApiError {
    common::ApiError::Conflict("Time slot conflicts with an existing booking".into())
}

pub fn in_the_past() -> common::ApiError {
    common::ApiError::validation("scheduledAt", "Cannot book a time in the past")
}
