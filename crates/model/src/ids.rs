//! Typed identifiers. All ids are UUIDv7 so that they sort by creation time,
//! which keeps catalog indexes append-mostly and cursors stable.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident, $prefix:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// The prefix used in logs to tell id kinds apart.
            pub const PREFIX: &'static str = $prefix;
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}:{}", $prefix, self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
    };
}

id_type!(
    /// A customer organisation; every row of the catalog belongs to one.
    TenantId,
    "tnt"
);
id_type!(
    /// One call from first answer to last hang-up, across transfers.
    ConversationId,
    "conv"
);
id_type!(
    /// A person or device that took part in a conversation.
    ParticipantId,
    "part"
);
id_type!(
    /// One audio object of a conversation.
    RecordingId,
    "rec"
);
id_type!(
    /// An API key.
    ApiKeyId,
    "key"
);
id_type!(
    /// A copy of a recording's object in one store.
    CopyId,
    "copy"
);
