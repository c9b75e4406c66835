//! `/api/bookings` (list, create) and `/api/bookings/{id}` (read, update, cancel).

pub mod collection;
pub mod item;
pub mod model;
pub mod status;

/// Raised by the `bookings_no_overlap` exclusion constraint.
pub const NO_OVERLAP: &str = "bookings_no_overlap";

pub fn overlap_conflict() -> common::ApiError {
    common::ApiError::Conflict("Time slot conflicts with an existing booking".into())
}
