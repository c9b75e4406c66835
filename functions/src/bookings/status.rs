//! Booking statuses and who may move a booking from one to another.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum BookingStatus {
    Pending,
    Confirmed,
    Cancelled,
    Completed,
}

/// Who asks for a change: the booking's owner, or an administrator (anyone's booking).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Owner,
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// Cancelled and completed bookings never change again (409).
    #[error("booking is {0:?} and can no longer change")]
    Final(BookingStatus),
    /// Only an administrator may confirm or complete a booking (403).
    #[error("only an administrator may set {0:?}")]
    AdminOnly(BookingStatus),
}

impl BookingStatus {
    pub const ALL: [BookingStatus; 4] = [
        BookingStatus::Pending,
        BookingStatus::Confirmed,
        BookingStatus::Cancelled,
        BookingStatus::Completed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Pending => "PENDING",
            BookingStatus::Confirmed => "CONFIRMED",
            BookingStatus::Cancelled => "CANCELLED",
            BookingStatus::Completed => "COMPLETED",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, BookingStatus::Cancelled | BookingStatus::Completed)
    }

    /// Whether `actor` may change a booking in this status at all (reschedule, notes, status).
    pub fn check_editable(self) -> Result<(), TransitionError> {
        if self.is_final() {
            return Err(TransitionError::Final(self));
        }
        Ok(())
    }

    /// Whether `actor` may move a booking from this status to `to`.
    pub fn transition(self, to: BookingStatus, actor: Actor) -> Result<(), TransitionError> {
        use BookingStatus::*;
        match (self, to, actor) {
            (Cancelled | Completed, _, _) => Err(TransitionError::Final(self)),
            (from, to, _) if from == to => Ok(()),
            // The contract reserves CONFIRMED and COMPLETED for administrators; an owner may
            // cancel, or take back a confirmation (PENDING), which grants nothing.
            (_, Cancelled | Pending, _) => Ok(()),
            (_, Confirmed | Completed, Actor::Admin) => Ok(()),
            (_, Confirmed | Completed, Actor::Owner) => Err(TransitionError::AdminOnly(to)),
        }
    }

    /// The status a booking in this status ends up in when `actor` applies one change: the
    /// status it asks for, if any, and whether it moves the booking to a new time.
    pub fn after_change(
        self,
        requested: Option<BookingStatus>,
        moves: bool,
        actor: Actor,
    ) -> Result<BookingStatus, TransitionError> {
        use BookingStatus::*;
        self.check_editable()?;
        let to = match (requested, moves, actor) {
            // A confirmation approves a time. Nobody approved the owner's new one, so the
            // booking waits for approval again; an administrator's move is its own approval.
            (None, true, Actor::Owner) if self == Confirmed => Pending,
            // Keeping it CONFIRMED at a new time would be a confirmation the owner cannot give.
            (Some(Confirmed), true, Actor::Owner) => {
                return Err(TransitionError::AdminOnly(Confirmed));
            }
            (Some(to), _, _) => to,
            (None, _, _) => self,
        };
        self.transition(to, actor)?;
        Ok(to)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown booking status")]
pub struct UnknownStatus;

impl FromStr for BookingStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BookingStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or(UnknownStatus)
    }
}

common::text_column!(BookingStatus);

#[cfg(test)]
mod tests {
    use super::BookingStatus::*;
    use super::*;

    /// Every (from, to, actor) combination, spelled out as the rules read.
    #[test]
    fn transition_table() {
        use Actor::*;
        let allowed = |from, to, actor| BookingStatus::transition(from, to, actor);
        let owner_cannot = |status| Err(TransitionError::AdminOnly(status));
        let cases = [
            (Pending, Pending, Owner, Ok(())),
            (Pending, Confirmed, Owner, owner_cannot(Confirmed)),
            (Pending, Cancelled, Owner, Ok(())),
            (Pending, Completed, Owner, owner_cannot(Completed)),
            (Confirmed, Pending, Owner, Ok(())),
            (Confirmed, Confirmed, Owner, Ok(())),
            (Confirmed, Cancelled, Owner, Ok(())),
            (Confirmed, Completed, Owner, owner_cannot(Completed)),
            (Pending, Pending, Admin, Ok(())),
            (Pending, Confirmed, Admin, Ok(())),
            (Pending, Cancelled, Admin, Ok(())),
            (Pending, Completed, Admin, Ok(())),
            (Confirmed, Pending, Admin, Ok(())),
            (Confirmed, Confirmed, Admin, Ok(())),
            (Confirmed, Cancelled, Admin, Ok(())),
            (Confirmed, Completed, Admin, Ok(())),
        ];
        for (from, to, actor, expected) in cases {
            assert_eq!(
                allowed(from, to, actor),
                expected,
                "{from:?} -> {to:?} by {actor:?}"
            );
        }
        for from in [Cancelled, Completed] {
            for to in BookingStatus::ALL {
                for actor in [Owner, Admin] {
                    assert_eq!(
                        allowed(from, to, actor),
                        Err(TransitionError::Final(from)),
                        "{from:?} is final"
                    );
                }
            }
        }
    }

    /// A change that moves the booking, for every status it may ask for (or none), spelled
    /// out as the rules read.
    #[test]
    fn change_that_moves_the_booking_table() {
        use Actor::*;
        let after =
            |from: BookingStatus, requested, actor| from.after_change(requested, true, actor);
        let owner_cannot = |status| Err(TransitionError::AdminOnly(status));
        let cases = [
            (Pending, None, Owner, Ok(Pending)),
            (Pending, Some(Pending), Owner, Ok(Pending)),
            (Pending, Some(Confirmed), Owner, owner_cannot(Confirmed)),
            (Pending, Some(Cancelled), Owner, Ok(Cancelled)),
            (Pending, Some(Completed), Owner, owner_cannot(Completed)),
            // Nobody approved the new time.
            (Confirmed, None, Owner, Ok(Pending)),
            (Confirmed, Some(Pending), Owner, Ok(Pending)),
            (Confirmed, Some(Confirmed), Owner, owner_cannot(Confirmed)),
            (Confirmed, Some(Cancelled), Owner, Ok(Cancelled)),
            (Confirmed, Some(Completed), Owner, owner_cannot(Completed)),
            (Pending, None, Admin, Ok(Pending)),
            (Pending, Some(Pending), Admin, Ok(Pending)),
            (Pending, Some(Confirmed), Admin, Ok(Confirmed)),
            (Pending, Some(Cancelled), Admin, Ok(Cancelled)),
            (Pending, Some(Completed), Admin, Ok(Completed)),
            // The administrator's move is the approval.
            (Confirmed, None, Admin, Ok(Confirmed)),
            (Confirmed, Some(Pending), Admin, Ok(Pending)),
            (Confirmed, Some(Confirmed), Admin, Ok(Confirmed)),
            (Confirmed, Some(Cancelled), Admin, Ok(Cancelled)),
            (Confirmed, Some(Completed), Admin, Ok(Completed)),
        ];
        for (from, requested, actor, expected) in cases {
            assert_eq!(
                after(from, requested, actor),
                expected,
                "{from:?} moved, asking {requested:?}, by {actor:?}"
            );
        }
    }

    /// Without a move, a change ends where it asks to (or where it was) exactly when the
    /// transition is allowed; final bookings refuse every change, moving or not.
    #[test]
    fn change_without_a_move_is_the_transition() {
        use Actor::*;
        for from in BookingStatus::ALL {
            let requests = BookingStatus::ALL.into_iter().map(Some).chain([None]);
            for requested in requests {
                for actor in [Owner, Admin] {
                    let to = requested.unwrap_or(from);
                    assert_eq!(
                        from.after_change(requested, false, actor),
                        from.transition(to, actor).map(|()| to),
                        "{from:?} asking {requested:?} by {actor:?}"
                    );
                    if from.is_final() {
                        assert_eq!(
                            from.after_change(requested, true, actor),
                            Err(TransitionError::Final(from)),
                            "{from:?} is final"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in BookingStatus::ALL {
            assert_eq!(status.as_str().parse::<BookingStatus>().unwrap(), status);
        }
        assert!("pending".parse::<BookingStatus>().is_err());
    }
}
